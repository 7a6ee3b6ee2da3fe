// IAM Query actions on roles: create, get, list, update, delete, tags and permissions boundary (IAM API Reference, 2010-05-08).
import { z } from 'zod';
import { integer, list, type QueryAction, queryAction, tagConditions, tags, text } from './action.js';
import { iamOp, paging } from './actions-iam-call.js';
import { iamArn, principalArn } from './arns.js';

const roleName = { RoleName: text };

export const IAM_ROLE_ACTIONS: ReadonlyArray<[string, QueryAction]> = [
  [
    'CreateRole',
    queryAction({
      schema: z.object({
        RoleName: text,
        AssumeRolePolicyDocument: text,
        Path: text.optional(),
        Description: text.optional(),
        MaxSessionDuration: integer.optional(),
        PermissionsBoundary: text.optional(),
        Tags: tags.optional(),
      }),
      permission: 'iam:CreateRole',
      resource: (i, ctx) => iamArn(ctx.caller.accountId, 'role', i.RoleName, i.Path),
      conditions: (i) => ({
        ...tagConditions(i.Tags),
        ...(i.PermissionsBoundary !== undefined ? { 'iam:PermissionsBoundary': i.PermissionsBoundary } : {}),
      }),
      run: async (i, ctx) => ctx.iam.createRole(i),
    }),
  ],
  [
    'GetRole',
    queryAction({
      schema: z.object(roleName),
      permission: 'iam:GetRole',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      run: async (i, ctx) => ctx.iam.getRole(i),
    }),
  ],
  [
    'ListRoles',
    queryAction({
      schema: z.object({ PathPrefix: text.optional(), ...paging }),
      permission: 'iam:ListRoles',
      resource: (i, ctx) => iamArn(ctx.caller.accountId, 'role', '', i.PathPrefix ?? '/'),
      run: async (i, ctx) => iamOp(ctx, 'listRoles')(i),
    }),
  ],
  [
    'UpdateRole',
    queryAction({
      schema: z.object({ ...roleName, Description: text.optional(), MaxSessionDuration: integer.optional() }),
      permission: 'iam:UpdateRole',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      // AWS's model gives UpdateRole an (empty) result, which botocore requires: <UpdateRoleResult/>.
      run: async (i, ctx) => {
        await iamOp(ctx, 'updateRole')(i);
        return {};
      },
    }),
  ],
  [
    'UpdateRoleDescription',
    queryAction({
      schema: z.object({ ...roleName, Description: text }),
      permission: 'iam:UpdateRoleDescription',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      run: async (i, ctx) => iamOp(ctx, 'updateRoleDescription')(i),
    }),
  ],
  [
    'UpdateAssumeRolePolicy',
    queryAction({
      schema: z.object({ ...roleName, PolicyDocument: text }),
      permission: 'iam:UpdateAssumeRolePolicy',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      run: async (i, ctx) => void (await iamOp(ctx, 'updateAssumeRolePolicy')(i)),
    }),
  ],
  [
    'DeleteRole',
    queryAction({
      schema: z.object(roleName),
      permission: 'iam:DeleteRole',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      run: async (i, ctx) => void (await ctx.iam.deleteRole(i)),
    }),
  ],
  [
    'TagRole',
    queryAction({
      schema: z.object({ ...roleName, Tags: tags }),
      permission: 'iam:TagRole',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      conditions: (i) => tagConditions(i.Tags),
      run: async (i, ctx) => void (await iamOp(ctx, 'tagRole')(i)),
    }),
  ],
  [
    'UntagRole',
    queryAction({
      schema: z.object({ ...roleName, TagKeys: list(text) }),
      permission: 'iam:UntagRole',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      conditions: (i) => ({ 'aws:TagKeys': i.TagKeys }),
      run: async (i, ctx) => void (await iamOp(ctx, 'untagRole')(i)),
    }),
  ],
  [
    'ListRoleTags',
    queryAction({
      schema: z.object({ ...roleName, ...paging }),
      permission: 'iam:ListRoleTags',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      run: async (i, ctx) => iamOp(ctx, 'listRoleTags')(i),
    }),
  ],
  [
    'PutRolePermissionsBoundary',
    queryAction({
      schema: z.object({ ...roleName, PermissionsBoundary: text }),
      permission: 'iam:PutRolePermissionsBoundary',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      conditions: (i) => ({ 'iam:PermissionsBoundary': i.PermissionsBoundary }),
      run: async (i, ctx) => void (await iamOp(ctx, 'putRolePermissionsBoundary')(i)),
    }),
  ],
  [
    'DeleteRolePermissionsBoundary',
    queryAction({
      schema: z.object(roleName),
      permission: 'iam:DeleteRolePermissionsBoundary',
      resource: (i, ctx) => principalArn(ctx, 'Role', i.RoleName),
      run: async (i, ctx) => void (await iamOp(ctx, 'deleteRolePermissionsBoundary')(i)),
    }),
  ],
];
