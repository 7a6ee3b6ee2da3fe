// Customer-managed policies and their versions (at most 5, default one used): create, get, list, delete.
import { GatehouseError } from '../core/errors.js';
import { countPolicyAttachments } from '../store/iam-attachments-repo.js';
import {
  countBoundaryUses,
  customerPolicyNameTaken,
  deletePolicyRow,
  deletePolicyVersionRow,
  findPolicyVersionRow,
  insertPolicyRow,
  insertPolicyVersionRow,
  listPolicyVersionRows,
  type ManagedPolicyRow,
  pagePolicyRows,
  pagePolicyVersionRows,
  setDefaultPolicyVersionRow,
} from '../store/iam-managed-policies-repo.js';
import { iamArn } from './arns.js';
import { newIamId } from './ids.js';
import { pageRequest, toPage } from './pagination.js';
import { checkPolicyDocument, encodePolicyDocument } from './policy-documents.js';
import {
  deleteConflict,
  type IamContext,
  limitExceeded,
  noSuchEntityReason,
  type Tx,
  uniqueName,
} from './service-context.js';
import { policyView, requirePolicy } from './service-principals.js';
import type { IamService } from './types.js';
import {
  checkDescription,
  checkName,
  checkPath,
  checkPathPrefix,
  checkVersionId,
  invalidInput,
  NAME_LIMITS,
  validationError,
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
>;

/** IAM quota "Versions of a managed policy that can be stored". */
export const MAX_POLICY_VERSIONS = 5;

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
      const usage = p.PolicyUsageFilter;
      if (usage !== undefined && usage !== 'PermissionsPolicy' && usage !== 'PermissionsBoundary') {
        throw validationError(
          'policyUsageFilter',
          usage,
          'satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]',
        );
      }
      const filter = {
        scope,
        onlyAttached: p.OnlyAttached === true,
        pathPrefix: checkPathPrefix('pathPrefix', p.PathPrefix),
        usage,
      };
      const req = pageRequest('policies', p);
      const { items, page } = toPage(req, await pagePolicyRows(store.pool, filter, req));
      return { Policies: items.map(policyView), ...page };
    },

    async deletePolicy(p) {
      await ctx.mutate(async (tx) => {
        const row = await requireCustomerPolicy(tx, p.PolicyArn);
        // Counted after the row lock (requireCustomerPolicy) in statements of their own: a concurrent attach or
        // boundary change has either committed (and is seen) or waits for this transaction.
        if ((await countPolicyAttachments(tx, row.arn)) > 0 || (await countBoundaryUses(tx, row.arn)) > 0)
          throw deleteConflict('Cannot delete a policy attached to entities.');
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
      const req = pageRequest('policy-versions', p);
      const row = await requirePolicy(store.pool, p.PolicyArn);
      const { items, page } = toPage(req, await pagePolicyVersionRows(store.pool, row.policyId, req));
      return {
        Versions: items.map((v) => ({
          VersionId: v.versionId,
          IsDefaultVersion: v.versionId === row.defaultVersion,
          CreateDate: v.createdAt.toISOString(),
        })),
        ...page,
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
  };
}
