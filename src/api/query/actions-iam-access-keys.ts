// IAM Query actions on users' access keys (IAM API Reference, 2010-05-08); UserName omitted means the caller.
import { z } from 'zod';
import { type QueryAction, queryAction, text } from './action.js';
import { paging } from './actions-iam-call.js';
import { principalArn, userOrSelfArn } from './arns.js';

const keyStatus = z.enum(['Active', 'Inactive']);

export const IAM_ACCESS_KEY_ACTIONS: ReadonlyArray<[string, QueryAction]> = [
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
      schema: z.object({ UserName: text.optional(), ...paging }),
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
