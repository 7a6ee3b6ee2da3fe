// IAM Query actions on groups and their membership (IAM API Reference, 2010-05-08).
import { z } from 'zod';
import { type QueryAction, queryAction, text } from './action.js';
import { iamOp, paging } from './actions-iam-call.js';
import { iamArn, principalArn, renamedArn } from './arns.js';

const membership = z.object({ GroupName: text, UserName: text });

export const IAM_GROUP_ACTIONS: ReadonlyArray<[string, QueryAction]> = [
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
    'GetGroup',
    queryAction({
      schema: z.object({ GroupName: text, ...paging }),
      permission: 'iam:GetGroup',
      resource: (i, ctx) => principalArn(ctx, 'Group', i.GroupName),
      run: async (i, ctx) => ctx.iam.getGroup(i),
    }),
  ],
  [
    'ListGroups',
    queryAction({
      schema: z.object({ PathPrefix: text.optional(), ...paging }),
      permission: 'iam:ListGroups',
      resource: (i, ctx) => iamArn(ctx.caller.accountId, 'group', '', i.PathPrefix ?? '/'),
      run: async (i, ctx) => iamOp(ctx, 'listGroups')(i),
    }),
  ],
  [
    'ListGroupsForUser',
    queryAction({
      schema: z.object({ UserName: text, ...paging }),
      permission: 'iam:ListGroupsForUser',
      resource: (i, ctx) => principalArn(ctx, 'User', i.UserName),
      run: async (i, ctx) => iamOp(ctx, 'listGroupsForUser')(i),
    }),
  ],
  [
    'UpdateGroup',
    queryAction({
      schema: z.object({ GroupName: text, NewGroupName: text.optional(), NewPath: text.optional() }),
      permission: 'iam:UpdateGroup',
      resource: (i, ctx) => principalArn(ctx, 'Group', i.GroupName),
      alsoResources: (i, ctx) =>
        renamedArn(ctx, 'Group', i.GroupName, { newName: i.NewGroupName, newPath: i.NewPath }),
      run: async (i, ctx) => void (await iamOp(ctx, 'updateGroup')(i)),
    }),
  ],
  [
    'DeleteGroup',
    queryAction({
      schema: z.object({ GroupName: text }),
      permission: 'iam:DeleteGroup',
      resource: (i, ctx) => principalArn(ctx, 'Group', i.GroupName),
      run: async (i, ctx) => void (await iamOp(ctx, 'deleteGroup')(i)),
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
];
