// Inline policies of users, groups and roles (Put/Get/Delete/List{User,Group,Role}Policy); documents come back URL-encoded.
import {
  deleteInlinePolicy,
  findInlinePolicy,
  listInlinePolicies,
  pageInlinePolicyNames,
  putInlinePolicy,
} from '../store/iam-inline-policies-repo.js';
import { pageRequest, toPage } from './pagination.js';
import { checkPolicyDocument, encodePolicyDocument, POLICY_SIZE_LIMITS } from './policy-documents.js';
import { policySize } from './policy-engine.js';
import { type IamContext, limitExceeded, noSuchEntityReason, type Tx } from './service-context.js';
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

/**
 * IAM quota: the inline policies of one principal together (not counting white space) stay within 2048 (user),
 * 5120 (group) or 10240 (role) characters. The caller holds the principal's row lock, so two concurrent
 * PutUserPolicy calls cannot each pass with the other's size unseen.
 */
async function checkAggregateSize(
  tx: Tx,
  kind: PrincipalKind,
  principal: { id: string; name: string },
  policyName: string,
  document: string,
): Promise<void> {
  const others = (await listInlinePolicies(tx, kind, principal.id)).filter((p) => p.name !== policyName);
  const total = others.reduce((n, p) => n + policySize(p.document), policySize(document));
  const limit = POLICY_SIZE_LIMITS[kind];
  if (total > limit) {
    throw limitExceeded(
      `Maximum policy size of ${limit} bytes exceeded for ${kind.toLowerCase()} ${principal.name}`,
    );
  }
}

export function createInlinePolicyMethods(ctx: IamContext): InlineMethods {
  const { store } = ctx;
  return {
    async putPrincipalPolicy(kind, name, p) {
      const policyName = checkName('policyName', p.PolicyName, NAME_LIMITS.policy);
      const document = checkPolicyDocument(p.PolicyDocument, { kind: 'inline', principal: kind, name });
      await ctx.mutate(async (tx) => {
        const principal = await requirePrincipal(tx, kind, name, true);
        await checkAggregateSize(tx, kind, principal, policyName, document);
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

    async listPrincipalPolicies(kind, name, p = {}) {
      const req = pageRequest('inline-policies', p);
      const principal = await requirePrincipal(store.pool, kind, name);
      const { items, page } = toPage(req, await pageInlinePolicyNames(store.pool, kind, principal.id, req));
      return { PolicyNames: items, ...page };
    },
  };
}
