// The STS dispatch table of the Query API (Version 2011-06-15): AssumeRole and GetCallerIdentity.
import { z } from 'zod';
import { integer, list, type QueryAction, queryAction, tagConditions, tags, text } from './action.js';

export const STS_VERSION = '2011-06-15';
export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export const STS_ACTIONS: ReadonlyMap<string, QueryAction> = new Map([
  [
    'AssumeRole',
    queryAction({
      schema: z.object({
        RoleArn: text,
        RoleSessionName: text,
        DurationSeconds: integer.optional(),
        Policy: text.optional(),
        PolicyArns: list(z.object({ arn: text })).optional(),
        Tags: tags.optional(),
        TransitiveTagKeys: list(text).optional(),
        ExternalId: text.optional(),
        SourceIdentity: text.optional(),
      }),
      // The caller's identity policies are checked here; the role's trust policy inside sts.assumeRole.
      permission: 'sts:AssumeRole',
      resource: (i) => i.RoleArn,
      conditions: (i) => ({
        'sts:RoleSessionName': i.RoleSessionName,
        ...(i.ExternalId !== undefined ? { 'sts:ExternalId': i.ExternalId } : {}),
        ...(i.SourceIdentity !== undefined ? { 'sts:SourceIdentity': i.SourceIdentity } : {}),
        ...tagConditions(i.Tags),
      }),
      run: async (i, ctx) => ctx.sts.assumeRole(i, ctx.caller),
    }),
  ],
  [
    'GetCallerIdentity',
    queryAction({
      schema: z.object({}),
      // AWS: "No permissions are required to perform this operation", even under an explicit deny.
      permission: null,
      resource: () => '*',
      run: async (_i, ctx) => ctx.sts.getCallerIdentity(ctx.caller),
    }),
  ],
]);
