// IAM Query actions on groups (and membership) and roles (IAM API Reference, 2010-05-08).
import { z } from 'zod';
import { integer, type QueryAction, queryAction, tagConditions, tags, text } from './action.js';
import { iamArn, principalArn } from './arns.js';

const membership = z.object({ GroupName: text, UserName: text });

export const IAM_GROUP_ROLE_ACTIONS: ReadonlyArray<[string, QueryAction]> = [
  [
    'CreateGroup',
    queryAction({
      schema: z.object({ GroupName: text, Path: text.optional() }),
      permission: 'iam:CreateGroup',
      resource: (i, ctx) => iamArn(ctx.caller.accountId, 'group', i.GroupName, i.Path),
      run: async (i, ctx) => ctx.iam.createGroup(i),
    }),
  ],
  [
    'AddUserToGroup',
    queryAction({
      schema: membership,
      permission: 'iam:AddUserToGroup',
      resource: (i, ctx) => principalArn(ctx, 'Group', i.GroupName),
      run: async (i, ctx) => void (await ctx.iam.addUserToGroup(i)),
    }),
  ],
  [
    'RemoveUserFromGroup',
    queryAction({
      schema: membership,
      permission: 'iam:RemoveUserFromGroup',
      resource: (i, ctx) => principalArn(ctx, 'Group', i.GroupName),
      run: async (i, ctx) => void (await ctx.iam.removeUserFromGroup(i)),
    }),
  ],
  [
    'CreateRole',
    queryAction({
      schema: z.object({
        RoleName: text,
        AssumeRolePolicyDocument: text,
        Path: text.optional(),
        Description: text.optional(),
        MaxSessionDuration: integer.optional(),
        Tags: tags.optional(),
      }),
      permission: 'iam:CreateRole',
      resource: (i, ctx) => iamArn(ctx.caller.accountId, 'role', i.RoleName, i.Path),
      conditions: (i) => tagConditions(i.Tags),
      run: async (i, ctx) => ctx.iam.createRole(i),
    }),
  ],
  [
    'GetRole',
    queryAction({
      schema: z.object({ RoleName: text }),
      permission: 'iam:GetRole',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      run: async (i, ctx) => ctx.iam.getRole(i),
    }),
  ],
  [
    'DeleteRole',
    queryAction({
      schema: z.object({ RoleName: text }),
      permission: 'iam:DeleteRole',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      run: async (i, ctx) => void (await ctx.iam.deleteRole(i)),
    }),
  ],
];
