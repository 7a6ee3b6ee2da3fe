// IAM Query actions on users and their access keys (IAM API Reference, 2010-05-08).
import { z } from 'zod';
import { type QueryAction, queryAction, tagConditions, tags, text } from './action.js';
import { iamArn, principalArn, userOrSelfArn } from './arns.js';

const keyStatus = z.enum(['Active', 'Inactive']);

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
      schema: z.object({ PathPrefix: text.optional() }),
      permission: 'iam:ListUsers',
      // AWS names the path prefix itself: "… iam:ListUsers on resource: arn:aws:iam::123456789012:user/".
      resource: (i, ctx) => iamArn(ctx.caller.accountId, 'user', '', i.PathPrefix ?? '/'),
      run: async (i, ctx) => ctx.iam.listUsers(i),
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
    'CreateAccessKey',
    queryAction({
      schema: z.object({ UserName: text.optional() }),
      permission: 'iam:CreateAccessKey',
      resource: (i, ctx) => userOrSelfArn(ctx, i.UserName),
      run: async (i, ctx) => ctx.iam.createAccessKey(i, ctx.caller),
    }),
  ],
  [
    'ListAccessKeys',
    queryAction({
      schema: z.object({ UserName: text.optional() }),
      permission: 'iam:ListAccessKeys',
      resource: (i, ctx) => userOrSelfArn(ctx, i.UserName),
      run: async (i, ctx) => ctx.iam.listAccessKeys(i, ctx.caller),
    }),
  ],
  [
    'GetAccessKeyLastUsed',
    queryAction({
      schema: z.object({ AccessKeyId: text }),
      permission: 'iam:GetAccessKeyLastUsed',
      // AWS authorises on the key owner's ARN; an unknown key is only reported to callers allowed on user/*.
      resource: async (i, ctx) => {
        const owner = await ctx.iam.getAccessKeyLastUsed(i).then(
          (r) => r.UserName,
          () => null,
        );
        return owner === null
          ? `arn:aws:iam::${ctx.caller.accountId}:user/*`
          : principalArn(ctx, 'User', owner);
      },
      run: async (i, ctx) => ctx.iam.getAccessKeyLastUsed(i),
    }),
  ],
  [
    'UpdateAccessKey',
    queryAction({
      schema: z.object({ UserName: text.optional(), AccessKeyId: text, Status: keyStatus }),
      permission: 'iam:UpdateAccessKey',
      resource: (i, ctx) => userOrSelfArn(ctx, i.UserName),
      run: async (i, ctx) => void (await ctx.iam.updateAccessKey(i, ctx.caller)),
    }),
  ],
  [
    'DeleteAccessKey',
    queryAction({
      schema: z.object({ UserName: text.optional(), AccessKeyId: text }),
      permission: 'iam:DeleteAccessKey',
      resource: (i, ctx) => userOrSelfArn(ctx, i.UserName),
      run: async (i, ctx) => void (await ctx.iam.deleteAccessKey(i, ctx.caller)),
    }),
  ],
];
