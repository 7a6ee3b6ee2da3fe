// Resolving users, groups, roles and managed policies by name or ARN (NoSuchEntity when absent) and AWS views of them.
import { GatehouseError } from '../core/errors.js';
import { findGroupByName, type IamGroupRow } from '../store/iam-groups-repo.js';
import { findPolicyByArn, type ManagedPolicyRow } from '../store/iam-managed-policies-repo.js';
import { findRoleByName, type IamRoleRow } from '../store/iam-roles-repo.js';
import { listTagRows, type TaggableKind } from '../store/iam-tags-repo.js';
import { findUserByName, type IamUserRow } from '../store/iam-users-repo.js';
import { encodePolicyDocument } from './policy-documents.js';
import { noSuchEntity, noSuchEntityReason, type Tx } from './service-context.js';
import type { IamGroup, IamRole, IamUser, ManagedPolicy, PrincipalKind, Tag } from './types.js';
import { checkName, checkPolicyArn, NAME_LIMITS } from './validate.js';

type Db = Tx | Pick<Tx, 'query'>;

export async function requireUser(db: Db, name: string, forUpdate = false): Promise<IamUserRow> {
  checkName('userName', name, NAME_LIMITS.user);
  const row = await findUserByName(db, name, forUpdate);
  if (!row) throw noSuchEntity('user', name);
  return row;
}

export async function requireGroup(db: Db, name: string, forUpdate = false): Promise<IamGroupRow> {
  checkName('groupName', name, NAME_LIMITS.group);
  const row = await findGroupByName(db, name, forUpdate);
  if (!row) throw noSuchEntity('group', name);
  return row;
}

export async function requireRole(db: Db, name: string, forUpdate = false): Promise<IamRoleRow> {
  checkName('roleName', name, NAME_LIMITS.role);
  const row = await findRoleByName(db, name, forUpdate);
  if (!row) throw noSuchEntity('role', name);
  return row;
}

/**
 * The row id and ARN of a user, group or role named `name`. `forUpdate` locks its row until the transaction ends:
 * per-principal quotas (attached policies, inline policy size) are checked and changed under that lock, and a
 * concurrent delete of the principal waits for it.
 */
export async function requirePrincipal(
  db: Db,
  kind: PrincipalKind,
  name: string,
  forUpdate = false,
): Promise<{ id: string; arn: string; name: string }> {
  if (kind === 'User') {
    const u = await requireUser(db, name, forUpdate);
    return { id: u.userId, arn: u.arn, name: u.name };
  }
  if (kind === 'Group') {
    const g = await requireGroup(db, name, forUpdate);
    return { id: g.groupId, arn: g.arn, name: g.name };
  }
  if (kind === 'Role') {
    const r = await requireRole(db, name, forUpdate);
    return { id: r.roleId, arn: r.arn, name: r.name };
  }
  throw new GatehouseError('GH_IAM_INVALID_INPUT', { reason: `unknown principal kind ${String(kind)}` });
}

/** AWS: "Policy arn:… does not exist or is not attachable." */
export async function requirePolicy(db: Db, arn: string, forUpdate = false): Promise<ManagedPolicyRow> {
  checkPolicyArn(arn);
  const row = await findPolicyByArn(db, arn, forUpdate);
  if (!row) throw noSuchEntityReason(`Policy ${arn} does not exist or is not attachable.`);
  return row;
}

export async function tagsOf(db: Db, kind: TaggableKind, id: string): Promise<Tag[]> {
  return (await listTagRows(db, kind, id)).map((t) => ({ Key: t.key, Value: t.value }));
}

function boundary(arn: string | null): IamUser['PermissionsBoundary'] {
  return arn === null ? undefined : { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: arn };
}

export function userView(row: IamUserRow, tags: Tag[] = []): IamUser {
  const view: IamUser = {
    Path: row.path,
    UserName: row.name,
    UserId: row.userId,
    Arn: row.arn,
    CreateDate: row.createdAt.toISOString(),
  };
  if (tags.length > 0) view.Tags = tags;
  const b = boundary(row.boundaryArn);
  if (b) view.PermissionsBoundary = b;
  return view;
}

export function groupView(row: IamGroupRow): IamGroup {
  return {
    Path: row.path,
    GroupName: row.name,
    GroupId: row.groupId,
    Arn: row.arn,
    CreateDate: row.createdAt.toISOString(),
  };
}

export function roleView(row: IamRoleRow, tags: Tag[] = []): IamRole {
  const view: IamRole = {
    Path: row.path,
    RoleName: row.name,
    RoleId: row.roleId,
    Arn: row.arn,
    CreateDate: row.createdAt.toISOString(),
    AssumeRolePolicyDocument: encodePolicyDocument(row.trustPolicy),
    MaxSessionDuration: row.maxSessionDuration,
  };
  if (row.description !== null) view.Description = row.description;
  if (tags.length > 0) view.Tags = tags;
  const b = boundary(row.boundaryArn);
  if (b) view.PermissionsBoundary = b;
  return view;
}

export function policyView(row: ManagedPolicyRow): ManagedPolicy {
  const view: ManagedPolicy = {
    PolicyName: row.name,
    PolicyId: row.policyId,
    Arn: row.arn,
    Path: row.path,
    DefaultVersionId: row.defaultVersion,
    AttachmentCount: row.attachmentCount,
    IsAttachable: true,
    CreateDate: row.createdAt.toISOString(),
    UpdateDate: row.updatedAt.toISOString(),
  };
  if (row.description !== null) view.Description = row.description;
  return view;
}
