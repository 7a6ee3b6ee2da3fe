// Attaching managed policies to users, groups and roles (at most 10 each), detaching them, listing them.
import {
  attachPolicyRow,
  detachPolicyRow,
  listAttachedRows,
  pageAttachedRows,
} from '../store/iam-attachments-repo.js';
import { pageRequest, toPage } from './pagination.js';
import { type IamContext, limitExceeded, noSuchEntityReason } from './service-context.js';
import { requirePolicy, requirePrincipal } from './service-principals.js';
import type { IamService } from './types.js';
import { checkPathPrefix } from './validate.js';

type AttachmentMethods = Pick<
  IamService,
  'attachPrincipalPolicy' | 'detachPrincipalPolicy' | 'listAttachedPrincipalPolicies'
>;

/** IAM quota "Managed policies attached to an IAM user/group/role". */
export const MAX_ATTACHED_POLICIES = 10;

export function createAttachmentMethods(ctx: IamContext): AttachmentMethods {
  const { store, clock } = ctx;
  return {
    async attachPrincipalPolicy(kind, name, p) {
      await ctx.mutate(async (tx) => {
        // Principal row, then policy row (always this order). The principal lock serialises the quota check
        // with concurrent attaches; the policy lock keeps a concurrent DeletePolicy from passing its check.
        const principal = await requirePrincipal(tx, kind, name, true);
        const policy = await requirePolicy(tx, p.PolicyArn, true);
        const attached = await listAttachedRows(tx, kind, principal.id);
        if (attached.some((a) => a.policyArn === policy.arn)) return;
        if (attached.length >= MAX_ATTACHED_POLICIES) {
          throw limitExceeded(`Cannot exceed quota for PoliciesPer${kind}: ${MAX_ATTACHED_POLICIES}`);
        }
        await attachPolicyRow(tx, kind, principal.id, policy.arn, clock.now());
      });
    },

    async detachPrincipalPolicy(kind, name, p) {
      await ctx.mutate(async (tx) => {
        const principal = await requirePrincipal(tx, kind, name);
        const policy = await requirePolicy(tx, p.PolicyArn);
        if (!(await detachPolicyRow(tx, kind, principal.id, policy.arn))) {
          throw noSuchEntityReason(`Policy ${policy.arn} was not found.`);
        }
      });
    },

    async listAttachedPrincipalPolicies(kind, name, p = {}) {
      const pathPrefix = checkPathPrefix('pathPrefix', p.PathPrefix);
      const req = pageRequest('attached-policies', p);
      const principal = await requirePrincipal(store.pool, kind, name);
      const rows = await pageAttachedRows(store.pool, kind, principal.id, pathPrefix, req);
      const { items, page } = toPage(req, rows);
      return {
        AttachedPolicies: items.map((r) => ({ PolicyName: r.policyName, PolicyArn: r.policyArn })),
        ...page,
      };
    },
  };
}
