// GetAccountAuthorizationDetails: every user, group, role and managed policy with its policies, one page at a time.
import { listAttachedRows } from '../store/iam-attachments-repo.js';
import { type DetailKind, pageAuthorizationEntities } from '../store/iam-authorization-details-repo.js';
import { findGroupById, listGroupsOfUser } from '../store/iam-groups-repo.js';
import { listInlinePolicies } from '../store/iam-inline-policies-repo.js';
import {
  countBoundaryUses,
  findPolicyById,
  listPolicyVersionRows,
} from '../store/iam-managed-policies-repo.js';
import { findRoleById } from '../store/iam-roles-repo.js';
import { findUserById } from '../store/iam-users-repo.js';
import { pageRequest, toPage } from './pagination.js';
import { encodePolicyDocument } from './policy-documents.js';
import type { IamContext, Tx } from './service-context.js';
import { groupView, policyView, roleView, tagsOf, userView } from './service-principals.js';
import type { IamService, PrincipalKind } from './types.js';
import type {
  AccountAuthorizationDetails,
  AttachedPolicy,
  DetailFilter,
  InlinePolicyDetail,
} from './types-details.js';
import { validationError } from './validate.js';

type Db = Pick<Tx, 'query'>;

const ALL_KINDS: readonly DetailFilter[] = [
  'User',
  'Group',
  'Role',
  'LocalManagedPolicy',
  'AWSManagedPolicy',
];

function kindsOf(filter: readonly string[] | undefined): DetailKind[] {
  if (filter === undefined || filter.length === 0) return [...ALL_KINDS];
  for (const f of filter) {
    if (!(ALL_KINDS as readonly string[]).includes(f)) {
      throw validationError('filter.member', f, `satisfy enum value set: [${ALL_KINDS.join(', ')}]`);
    }
  }
  return [...new Set(filter as DetailFilter[])];
}

async function inlineOf(db: Db, kind: PrincipalKind, id: string): Promise<InlinePolicyDetail[]> {
  return (await listInlinePolicies(db, kind, id)).map((p) => ({
    PolicyName: p.name,
    PolicyDocument: encodePolicyDocument(p.document),
  }));
}

async function attachedOf(db: Db, kind: PrincipalKind, id: string): Promise<AttachedPolicy[]> {
  return (await listAttachedRows(db, kind, id)).map((a) => ({
    PolicyName: a.policyName,
    PolicyArn: a.policyArn,
  }));
}

/** Adds one entity's detail to `out`; an entity deleted since the page was read is left out. */
async function addDetail(
  db: Db,
  kind: DetailKind,
  id: string,
  out: AccountAuthorizationDetails,
): Promise<void> {
  if (kind === 'User') {
    const u = await findUserById(db, id);
    if (!u) return;
    const { Tags: _none, ...view } = userView(u);
    out.UserDetailList.push({
      ...view,
      UserPolicyList: await inlineOf(db, 'User', id),
      GroupList: (await listGroupsOfUser(db, id)).map((g) => g.name),
      AttachedManagedPolicies: await attachedOf(db, 'User', id),
      Tags: await tagsOf(db, 'User', id),
    });
  } else if (kind === 'Group') {
    const g = await findGroupById(db, id);
    if (!g) return;
    out.GroupDetailList.push({
      ...groupView(g),
      GroupPolicyList: await inlineOf(db, 'Group', id),
      AttachedManagedPolicies: await attachedOf(db, 'Group', id),
    });
  } else if (kind === 'Role') {
    const r = await findRoleById(db, id);
    if (!r) return;
    const { Tags: _t, Description: _d, MaxSessionDuration: _m, ...view } = roleView(r);
    out.RoleDetailList.push({
      ...view,
      InstanceProfileList: [],
      RolePolicyList: await inlineOf(db, 'Role', id),
      AttachedManagedPolicies: await attachedOf(db, 'Role', id),
      Tags: await tagsOf(db, 'Role', id),
    });
  } else {
    const p = await findPolicyById(db, id);
    if (!p) return;
    out.Policies.push({
      ...policyView(p),
      PermissionsBoundaryUsageCount: await countBoundaryUses(db, p.arn),
      PolicyVersionList: (await listPolicyVersionRows(db, id)).map((v) => ({
        Document: encodePolicyDocument(v.document),
        VersionId: v.versionId,
        IsDefaultVersion: v.versionId === p.defaultVersion,
        CreateDate: v.createdAt.toISOString(),
      })),
    });
  }
}

export function createAuthorizationDetailMethods(
  ctx: IamContext,
): Pick<IamService, 'getAccountAuthorizationDetails'> {
  const { store } = ctx;
  return {
    async getAccountAuthorizationDetails(p) {
      const kinds = kindsOf(p.Filter);
      const req = pageRequest('authorization-details', p);
      const { items, page } = toPage(req, await pageAuthorizationEntities(store.pool, kinds, req));
      const out: AccountAuthorizationDetails = {
        UserDetailList: [],
        GroupDetailList: [],
        RoleDetailList: [],
        Policies: [],
      };
      for (const e of items) await addDetail(store.pool, e.kind, e.id, out);
      return { ...out, ...page };
    },
  };
}
