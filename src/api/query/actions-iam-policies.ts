// IAM Query actions on inline policies (Put/Get/Delete/List{User,Group,Role}Policy) and managed-policy
// attachments ({Attach,Detach,ListAttached}{User,Group,Role}Policies) (IAM API Reference, 2010-05-08).
import { z } from 'zod';
import type { PrincipalKind } from '../../iam/types.js';
import { type QueryAction, queryAction, text } from './action.js';
import { paging } from './actions-iam-call.js';
import { principalArn } from './arns.js';

const KINDS: readonly PrincipalKind[] = ['User', 'Group', 'Role'];

/** `{UserName: …}` / `{GroupName: …}` / `{RoleName: …}` plus the action's own members. */
function owned<T extends z.ZodRawShape>(kind: PrincipalKind, shape: T) {
  const nameKey = `${kind}Name`;
  return z.object({ ...shape, [nameKey]: text }).transform((i) => ({
    ...(i as z.output<z.ZodObject<T>>),
    owner: (i as Record<string, string>)[nameKey] ?? '',
  }));
}

function inlinePolicyActions(kind: PrincipalKind): Array<[string, QueryAction]> {
  const policyName = { PolicyName: text };
  return [
    [
      `Put${kind}Policy`,
      queryAction({
        schema: owned(kind, { PolicyName: text, PolicyDocument: text }),
        permission: `iam:Put${kind}Policy`,
        resource: (i, ctx) => principalArn(ctx, kind, i.owner),
        run: async (i, ctx) =>
          void (await ctx.iam.putPrincipalPolicy(kind, i.owner, {
            PolicyName: i.PolicyName,
            PolicyDocument: i.PolicyDocument,
          })),
      }),
    ],
    [
      `Get${kind}Policy`,
      queryAction({
        schema: owned(kind, policyName),
        permission: `iam:Get${kind}Policy`,
        resource: (i, ctx) => principalArn(ctx, kind, i.owner),
        run: async (i, ctx) => {
          const got = await ctx.iam.getPrincipalPolicy(kind, i.owner, { PolicyName: i.PolicyName });
          return { [`${kind}Name`]: i.owner, ...got };
        },
      }),
    ],
    [
      `Delete${kind}Policy`,
      queryAction({
        schema: owned(kind, policyName),
        permission: `iam:Delete${kind}Policy`,
        resource: (i, ctx) => principalArn(ctx, kind, i.owner),
        run: async (i, ctx) =>
          void (await ctx.iam.deletePrincipalPolicy(kind, i.owner, { PolicyName: i.PolicyName })),
      }),
    ],
    [
      `List${kind}Policies`,
      queryAction({
        schema: owned(kind, paging),
        permission: `iam:List${kind}Policies`,
        resource: (i, ctx) => principalArn(ctx, kind, i.owner),
        run: async (i, ctx) =>
          ctx.iam.listPrincipalPolicies(kind, i.owner, { Marker: i.Marker, MaxItems: i.MaxItems }),
      }),
    ],
  ];
}

function attachmentActions(kind: PrincipalKind): Array<[string, QueryAction]> {
  const policyArn = { PolicyArn: text };
  // iam:PolicyARN lets an administrator allow attaching only some policies (AWS condition key).
  const conditions = (i: { PolicyArn: string }) => ({ 'iam:PolicyARN': i.PolicyArn });
  return [
    [
      `Attach${kind}Policy`,
      queryAction({
        schema: owned(kind, policyArn),
        permission: `iam:Attach${kind}Policy`,
        resource: (i, ctx) => principalArn(ctx, kind, i.owner),
        conditions,
        run: async (i, ctx) =>
          void (await ctx.iam.attachPrincipalPolicy(kind, i.owner, { PolicyArn: i.PolicyArn })),
      }),
    ],
    [
      `Detach${kind}Policy`,
      queryAction({
        schema: owned(kind, policyArn),
        permission: `iam:Detach${kind}Policy`,
        resource: (i, ctx) => principalArn(ctx, kind, i.owner),
        conditions,
        run: async (i, ctx) =>
          void (await ctx.iam.detachPrincipalPolicy(kind, i.owner, { PolicyArn: i.PolicyArn })),
      }),
    ],
    [
      `ListAttached${kind}Policies`,
      queryAction({
        schema: owned(kind, { PathPrefix: text.optional(), ...paging }),
        permission: `iam:ListAttached${kind}Policies`,
        resource: (i, ctx) => principalArn(ctx, kind, i.owner),
        run: async (i, ctx) =>
          ctx.iam.listAttachedPrincipalPolicies(kind, i.owner, {
            PathPrefix: i.PathPrefix,
            Marker: i.Marker,
            MaxItems: i.MaxItems,
          }),
      }),
    ],
  ];
}

export const IAM_POLICY_ACTIONS: ReadonlyArray<[string, QueryAction]> = [
  ...KINDS.flatMap(inlinePolicyActions),
  ...KINDS.flatMap(attachmentActions),
];
