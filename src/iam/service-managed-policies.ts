// Customer-managed policies, their versions (at most 5, default one used), and attaching them to users, groups and roles.
import { GatehouseError } from '../core/errors.js';
import { attachPolicyRow, detachPolicyRow, listAttachedRows } from '../store/iam-attachments-repo.js';
import {
  customerPolicyNameTaken,
  deletePolicyRow,
  deletePolicyVersionRow,
  findPolicyVersionRow,
  insertPolicyRow,
  insertPolicyVersionRow,
  listPolicyRows,
  listPolicyVersionRows,
  type ManagedPolicyRow,
  setDefaultPolicyVersionRow,
} from '../store/iam-managed-policies-repo.js';
import { iamArn } from './arns.js';
import { newIamId } from './ids.js';
import { checkPolicyDocument, encodePolicyDocument } from './policy-documents.js';
import {
  deleteConflict,
  type IamContext,
  limitExceeded,
  noSuchEntityReason,
  type Tx,
  uniqueName,
} from './service-context.js';
import { policyView, requirePolicy, requirePrincipal } from './service-principals.js';
import type { IamService } from './types.js';
import {
  checkDescription,
  checkName,
  checkPath,
  checkPathPrefix,
  checkVersionId,
  invalidInput,
  NAME_LIMITS,
} from './validate.js';

type ManagedMethods = Pick<
  IamService,
  | 'createPolicy'
  | 'getPolicy'
  | 'listPolicies'
  | 'deletePolicy'
  | 'createPolicyVersion'
  | 'getPolicyVersion'
  | 'listPolicyVersions'
  | 'deletePolicyVersion'
  | 'setDefaultPolicyVersion'
  | 'attachPrincipalPolicy'
  | 'detachPrincipalPolicy'
  | 'listAttachedPrincipalPolicies'
>;

/** IAM quotas: "Versions of a managed policy that can be stored", "Managed policies attached to an IAM user/group/role". */
export const MAX_POLICY_VERSIONS = 5;
export const MAX_ATTACHED_POLICIES = 10;

/** AWS-managed policies belong to AWS: they can be attached, never changed or deleted. */
async function requireCustomerPolicy(tx: Tx, arn: string): Promise<ManagedPolicyRow> {
  const row = await requirePolicy(tx, arn, true);
  if (row.awsManaged) throw invalidInput(`Policy ${arn} is an AWS managed policy and cannot be modified.`);
  return row;
}

function noSuchVersion(arn: string, versionId: string): Error {
  return noSuchEntityReason(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);
}

export function createManagedPolicyMethods(ctx: IamContext): ManagedMethods {
  const { store, clock } = ctx;
  return {
    async createPolicy(p) {
      const name = checkName('policyName', p.PolicyName, NAME_LIMITS.policy);
      const path = checkPath('path', p.Path);
      const description = checkDescription(p.Description);
      const document = checkPolicyDocument(p.PolicyDocument, { kind: 'managed' });
      const arn = iamArn(ctx.account.accountId, 'policy', path, name);
      return ctx.mutate(async (tx) => {
        if (await customerPolicyNameTaken(tx, name))
          throw new GatehouseError('GH_IAM_ENTITY_EXISTS', { entity: 'Policy', name });
        await uniqueName('Policy', name, () =>
          insertPolicyRow(
            tx,
            { policyId: newIamId('ANPA'), name, path, arn, description, createdAt: clock.now() },
            document,
          ),
        );
        return { Policy: policyView(await requirePolicy(tx, arn)) };
      });
    },

    async getPolicy(p) {
      return { Policy: policyView(await requirePolicy(store.pool, p.PolicyArn)) };
    },

    async listPolicies(p) {
      const scope = p.Scope ?? 'All';
      if (scope !== 'All' && scope !== 'AWS' && scope !== 'Local') {
        throw invalidInput(`Scope must be one of All, AWS, Local (got ${String(scope)})`);
      }
      const rows = await listPolicyRows(store.pool, {
        scope,
        onlyAttached: p.OnlyAttached === true,
        pathPrefix: checkPathPrefix('pathPrefix', p.PathPrefix),
      });
      return { Policies: rows.map(policyView), IsTruncated: false };
    },

    async deletePolicy(p) {
      await ctx.mutate(async (tx) => {
        const row = await requireCustomerPolicy(tx, p.PolicyArn);
        if (row.attachmentCount > 0) throw deleteConflict('Cannot delete a policy attached to entities.');
        if ((await listPolicyVersionRows(tx, row.policyId)).length > 1) {
          throw deleteConflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
          );
        }
        await deletePolicyRow(tx, row.policyId);
      });
    },

    async createPolicyVersion(p) {
      const document = checkPolicyDocument(p.PolicyDocument, { kind: 'managed' });
      return ctx.mutate(async (tx) => {
        // The policy row lock serialises concurrent CreatePolicyVersion calls against the 5-version quota.
        const row = await requireCustomerPolicy(tx, p.PolicyArn);
        if ((await listPolicyVersionRows(tx, row.policyId)).length >= MAX_POLICY_VERSIONS) {
          throw limitExceeded(
            `A managed policy can have up to ${MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
          );
        }
        const at = clock.now();
        const versionId = await insertPolicyVersionRow(tx, row.policyId, document, at);
        if (p.SetAsDefault === true) await setDefaultPolicyVersionRow(tx, row.policyId, versionId, at);
        return {
          PolicyVersion: {
            Document: encodePolicyDocument(document),
            VersionId: versionId,
            IsDefaultVersion: p.SetAsDefault === true,
            CreateDate: at.toISOString(),
          },
        };
      });
    },

    async getPolicyVersion(p) {
      const versionId = checkVersionId(p.VersionId);
      const row = await requirePolicy(store.pool, p.PolicyArn);
      const v = await findPolicyVersionRow(store.pool, row.policyId, versionId);
      if (!v) throw noSuchVersion(row.arn, versionId);
      return {
        PolicyVersion: {
          Document: encodePolicyDocument(v.document),
          VersionId: v.versionId,
          IsDefaultVersion: v.versionId === row.defaultVersion,
          CreateDate: v.createdAt.toISOString(),
        },
      };
    },

    async listPolicyVersions(p) {
      const row = await requirePolicy(store.pool, p.PolicyArn);
      const versions = await listPolicyVersionRows(store.pool, row.policyId);
      return {
        Versions: versions.map((v) => ({
          VersionId: v.versionId,
          IsDefaultVersion: v.versionId === row.defaultVersion,
          CreateDate: v.createdAt.toISOString(),
        })),
        IsTruncated: false,
      };
    },

    async deletePolicyVersion(p) {
      const versionId = checkVersionId(p.VersionId);
      await ctx.mutate(async (tx) => {
        const row = await requireCustomerPolicy(tx, p.PolicyArn);
        if (!(await findPolicyVersionRow(tx, row.policyId, versionId)))
          throw noSuchVersion(row.arn, versionId);
        if (versionId === row.defaultVersion)
          throw deleteConflict('Cannot delete the default version of a policy.');
        await deletePolicyVersionRow(tx, row.policyId, versionId);
      });
    },

    async setDefaultPolicyVersion(p) {
      const versionId = checkVersionId(p.VersionId);
      await ctx.mutate(async (tx) => {
        const row = await requireCustomerPolicy(tx, p.PolicyArn);
        if (!(await findPolicyVersionRow(tx, row.policyId, versionId)))
          throw noSuchVersion(row.arn, versionId);
        await setDefaultPolicyVersionRow(tx, row.policyId, versionId, clock.now());
      });
    },

    async attachPrincipalPolicy(kind, name, p) {
      await ctx.mutate(async (tx) => {
        const principal = await requirePrincipal(tx, kind, name);
        const policy = await requirePolicy(tx, p.PolicyArn);
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

    async listAttachedPrincipalPolicies(kind, name) {
      const principal = await requirePrincipal(store.pool, kind, name);
      const rows = await listAttachedRows(store.pool, kind, principal.id);
      return {
        AttachedPolicies: rows.map((r) => ({ PolicyName: r.policyName, PolicyArn: r.policyArn })),
        IsTruncated: false,
      };
    },
  };
}
