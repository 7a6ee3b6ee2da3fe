// Inline policies of users, groups and roles (Put/Get/Delete/List{User,Group,Role}Policy); documents come back URL-encoded.
import {
  deleteInlinePolicy,
  findInlinePolicy,
  listInlinePolicies,
  putInlinePolicy,
} from '../store/iam-inline-policies-repo.js';
import { checkPolicyDocument, encodePolicyDocument } from './policy-documents.js';
import { type IamContext, noSuchEntityReason } from './service-context.js';
import { requirePrincipal } from './service-principals.js';
import type { IamService, PrincipalKind } from './types.js';
import { checkName, NAME_LIMITS } from './validate.js';

type InlineMethods = Pick<
  IamService,
  'putPrincipalPolicy' | 'getPrincipalPolicy' | 'deletePrincipalPolicy' | 'listPrincipalPolicies'
>;

/** AWS: "The user policy with name p cannot be found." */
function noSuchPolicy(kind: PrincipalKind, name: string): Error {
  return noSuchEntityReason(`The ${kind.toLowerCase()} policy with name ${name} cannot be found.`);
}

export function createInlinePolicyMethods(ctx: IamContext): InlineMethods {
  const { store } = ctx;
  return {
    async putPrincipalPolicy(kind, name, p) {
      const policyName = checkName('policyName', p.PolicyName, NAME_LIMITS.policy);
      const document = checkPolicyDocument(p.PolicyDocument, { kind: 'inline', principal: kind, name });
      await ctx.mutate(async (tx) => {
        const principal = await requirePrincipal(tx, kind, name);
        await putInlinePolicy(tx, kind, principal.id, { name: policyName, document }, ctx.clock.now());
      });
    },

    async getPrincipalPolicy(kind, name, p) {
      const policyName = checkName('policyName', p.PolicyName, NAME_LIMITS.policy);
      const principal = await requirePrincipal(store.pool, kind, name);
      const row = await findInlinePolicy(store.pool, kind, principal.id, policyName);
      if (!row) throw noSuchPolicy(kind, policyName);
      return { PolicyName: row.name, PolicyDocument: encodePolicyDocument(row.document) };
    },

    async deletePrincipalPolicy(kind, name, p) {
      const policyName = checkName('policyName', p.PolicyName, NAME_LIMITS.policy);
      await ctx.mutate(async (tx) => {
        const principal = await requirePrincipal(tx, kind, name);
        if (!(await deleteInlinePolicy(tx, kind, principal.id, policyName)))
          throw noSuchPolicy(kind, policyName);
      });
    },

    async listPrincipalPolicies(kind, name) {
      const principal = await requirePrincipal(store.pool, kind, name);
      const rows = await listInlinePolicies(store.pool, kind, principal.id);
      return { PolicyNames: rows.map((r) => r.name), IsTruncated: false };
    },
  };
}
