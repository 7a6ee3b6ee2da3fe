// Reads the raw policy documents that apply to a user (own + groups) or a role (+ session) from the store.
import type pg from 'pg';
import { findUserAccessKey } from '../store/iam-access-keys-repo.js';
import { listAttachedRows } from '../store/iam-attachments-repo.js';
import { listGroupsOfUser } from '../store/iam-groups-repo.js';
import {
  type InlinePolicyRow,
  listInlinePolicies,
  type PrincipalKindRow,
} from '../store/iam-inline-policies-repo.js';
import { defaultDocuments } from '../store/iam-managed-policies-repo.js';
import { findRoleByArn, findRoleById, findRoleByName, type IamRoleRow } from '../store/iam-roles-repo.js';
import { findSessionRow } from '../store/iam-sessions-repo.js';
import { listTagRows, type TagRow } from '../store/iam-tags-repo.js';
import { findUserByArn, findUserById, type IamUserRow } from '../store/iam-users-repo.js';
import { assumedRoleArn, type ParsedAssumedRoleArn, parseIamArn } from './arns.js';

type Db = Pick<pg.Pool, 'query'>;

export interface PolicySource {
  readonly name: string;
  readonly arn?: string;
  readonly source: string;
  readonly document: string;
}

export interface PrincipalSources {
  readonly arn: string;
  readonly accountId: string;
  readonly username?: string;
  readonly userid: string;
  readonly tags: readonly TagRow[];
  readonly policies: readonly PolicySource[];
  readonly boundary: { readonly arn: string; readonly document: string } | null;
  readonly session?: {
    readonly roleArn: string;
    readonly roleName: string;
    readonly sessionName: string;
    readonly expiresAt?: Date;
    readonly policy: string | null;
  };
}

/** Inline policies then attached managed policies (default versions) of one user, group or role. */
async function policiesOf(
  db: Db,
  kind: PrincipalKindRow,
  id: string,
  source: string,
): Promise<PolicySource[]> {
  const inline: InlinePolicyRow[] = await listInlinePolicies(db, kind, id);
  const attached = await listAttachedRows(db, kind, id);
  const docs = await defaultDocuments(
    db,
    attached.map((a) => a.policyArn),
  );
  const out: PolicySource[] = inline.map((p) => ({ name: p.name, source, document: p.document }));
  for (const a of attached) {
    const d = docs.get(a.policyArn);
    if (d) out.push({ name: d.name, arn: a.policyArn, source, document: d.document });
  }
  return out;
}

async function boundaryOf(db: Db, arn: string | null): Promise<PrincipalSources['boundary']> {
  if (arn === null) return null;
  const d = (await defaultDocuments(db, [arn])).get(arn);
  // A boundary whose policy vanished must not widen anything: an empty document allows nothing.
  return { arn, document: d?.document ?? '{"Version":"2012-10-17","Statement":[]}' };
}

export async function loadUserSources(
  db: Db,
  by: { arn: string } | { accessKeyId: string },
): Promise<PrincipalSources | null> {
  let user: IamUserRow | null;
  if ('arn' in by) {
    user = await findUserByArn(db, by.arn);
  } else {
    const key = await findUserAccessKey(db, by.accessKeyId);
    user = key?.userId ? await findUserById(db, key.userId) : null;
  }
  if (!user) return null;
  const policies = await policiesOf(db, 'User', user.userId, 'user');
  for (const g of await listGroupsOfUser(db, user.userId)) {
    policies.push(...(await policiesOf(db, 'Group', g.groupId, `group:${g.name}`)));
  }
  return {
    arn: user.arn,
    accountId: parseIamArn(user.arn)?.accountId ?? '',
    username: user.name,
    userid: user.userId,
    tags: await listTagRows(db, 'User', user.userId),
    policies,
    boundary: await boundaryOf(db, user.boundaryArn),
  };
}

async function roleSources(
  db: Db,
  role: IamRoleRow,
  session?: PrincipalSources['session'],
): Promise<PrincipalSources> {
  const accountId = parseIamArn(role.arn)?.accountId ?? '';
  return {
    arn: session ? assumedRoleArn(accountId, role.name, session.sessionName) : role.arn,
    accountId,
    userid: session ? `${role.roleId}:${session.sessionName}` : role.roleId,
    tags: await listTagRows(db, 'Role', role.roleId),
    policies: await policiesOf(db, 'Role', role.roleId, 'role'),
    boundary: await boundaryOf(db, role.boundaryArn),
    ...(session && { session }),
  };
}

export async function loadRoleSources(
  db: Db,
  by: { roleArn: string } | { sessionKeyId: string } | { assumed: ParsedAssumedRoleArn },
): Promise<PrincipalSources | null> {
  if ('roleArn' in by) {
    const role = await findRoleByArn(db, by.roleArn);
    return role ? roleSources(db, role) : null;
  }
  if ('assumed' in by) {
    const role = await findRoleByName(db, by.assumed.roleName);
    if (!role || parseIamArn(role.arn)?.accountId !== by.assumed.accountId) return null;
    return roleSources(db, role, {
      roleArn: role.arn,
      roleName: role.name,
      sessionName: by.assumed.sessionName,
      policy: null,
    });
  }
  const s = await findSessionRow(db, by.sessionKeyId);
  if (!s) return null;
  const role = await findRoleById(db, s.roleId);
  if (!role || role.arn !== s.roleArn) return null; // deleted, or re-created under the same name
  return roleSources(db, role, {
    roleArn: role.arn,
    roleName: role.name,
    sessionName: s.sessionName,
    expiresAt: s.expiresAt,
    policy: s.sessionPolicy,
  });
}
