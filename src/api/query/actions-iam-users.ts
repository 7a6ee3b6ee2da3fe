// IAM Query actions on users: create, get, list, update, delete, tags and permissions boundary (IAM API Reference, 2010-05-08).
import { z } from 'zod';
import { list, type QueryAction, queryAction, tagConditions, tags, text } from './action.js';
import { iamOp, paging } from './actions-iam-call.js';
import { iamArn, principalArn, renamedArn, userOrSelfArn } from './arns.js';

export const IAM_USER_ACTIONS: ReadonlyArray<[string, QueryAction]> = [
  [
    'CreateUser',
    queryAction({
      schema: z.object({
        UserName: text,
        Path: text.optional(),
        PermissionsBoundary: text.optional(),
        Tags: tags.optional(),
      }),
      permission: 'iam:CreateUser',
      resource: (i, ctx) => iamArn(ctx.caller.accountId, 'user', i.UserName, i.Path),
      conditions: (i) => ({
        ...tagConditions(i.Tags),
        ...(i.PermissionsBoundary !== undefined ? { 'iam:PermissionsBoundary': i.PermissionsBoundary } : {}),
      }),
      run: async (i, ctx) => ctx.iam.createUser(i),
    }),
  ],
  [
    'GetUser',
    queryAction({
      schema: z.object({ UserName: text.optional() }),
      permission: 'iam:GetUser',
      resource: (i, ctx) => userOrSelfArn(ctx, i.UserName),
      run: async (i, ctx) => ctx.iam.getUser(i, ctx.caller),
    }),
  ],
  [
    'ListUsers',
    queryAction({
      schema: z.object({ PathPrefix: text.optional(), ...paging }),
      permission: 'iam:ListUsers',
      // AWS names the path prefix itself: "… iam:ListUsers on resource: arn:aws:iam::123456789012:user/".
      resource: (i, ctx) => iamArn(ctx.caller.accountId, 'user', '', i.PathPrefix ?? '/'),
      run: async (i, ctx) => ctx.iam.listUsers(i),
    }),
  ],
  [
    'UpdateUser',
    queryAction({
      schema: z.object({ UserName: text, NewUserName: text.optional(), NewPath: text.optional() }),
      permission: 'iam:UpdateUser',
      resource: (i, ctx) => principalArn(ctx, 'User', i.UserName),
      alsoResources: (i, ctx) =>
        renamedArn(ctx, 'User', i.UserName, { newName: i.NewUserName, newPath: i.NewPath }),
      run: async (i, ctx) => void (await iamOp(ctx, 'updateUser')(i)),
    }),
  ],
  [
    'DeleteUser',
    queryAction({
      schema: z.object({ UserName: text }),
      permission: 'iam:DeleteUser',
      resource: (i, ctx) => principalArn(ctx, 'User', i.UserName),
      run: async (i, ctx) => void (await ctx.iam.deleteUser(i)),
    }),
  ],
  [
    'TagUser',
    queryAction({
      schema: z.object({ UserName: text, Tags: tags }),
      permission: 'iam:TagUser',
      resource: (i, ctx) => principalArn(ctx, 'User', i.UserName),
      conditions: (i) => tagConditions(i.Tags),
      run: async (i, ctx) => void (await ctx.iam.tagUser(i)),
    }),
  ],
  [
    'UntagUser',
    queryAction({
      schema: z.object({ UserName: text, TagKeys: list(text) }),
      permission: 'iam:UntagUser',
      resource: (i, ctx) => principalArn(ctx, 'User', i.UserName),
      conditions: (i) => ({ 'aws:TagKeys': i.TagKeys }),
      run: async (i, ctx) => void (await iamOp(ctx, 'untagUser')(i)),
    }),
  ],
  [
    'ListUserTags',
    queryAction({
      schema: z.object({ UserName: text, ...paging }),
      permission: 'iam:ListUserTags',
      resource: (i, ctx) => principalArn(ctx, 'User', i.UserName),
      run: async (i, ctx) => iamOp(ctx, 'listUserTags')(i),
    }),
  ],
  [
    'PutUserPermissionsBoundary',
    queryAction({
      schema: z.object({ UserName: text, PermissionsBoundary: text }),
      permission: 'iam:PutUserPermissionsBoundary',
      resource: (i, ctx) => principalArn(ctx, 'User', i.UserName),
      conditions: (i) => ({ 'iam:PermissionsBoundary': i.PermissionsBoundary }),
      run: async (i, ctx) => void (await iamOp(ctx, 'putUserPermissionsBoundary')(i)),
    }),
  ],
  [
    'DeleteUserPermissionsBoundary',
    queryAction({
      schema: z.object({ UserName: text }),
      permission: 'iam:DeleteUserPermissionsBoundary',
      resource: (i, ctx) => principalArn(ctx, 'User', i.UserName),
      run: async (i, ctx) => void (await iamOp(ctx, 'deleteUserPermissionsBoundary')(i)),
    }),
  ],
];
