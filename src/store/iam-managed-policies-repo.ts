// gh_iam_policies and gh_iam_policy_versions: managed policies, their versions (v1, v2, …) and default version.
import type pg from 'pg';
import { afterPart, fetchCount, type Keyed, type Keyset, refuseBadMarker } from './iam-keyset.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface ManagedPolicyRow {
  readonly policyId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly description: string | null;
  readonly awsManaged: boolean;
  readonly defaultVersion: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Users, groups and roles it is attached to. */
  readonly attachmentCount: number;
}

export interface PolicyVersionRow {
  readonly versionId: string;
  readonly document: string;
  readonly createdAt: Date;
}

const SELECT = `SELECT p.policy_id, p.name, p.path, p.arn, p.description, p.aws_managed, p.default_version,
       p.created_at, p.updated_at,
       (SELECT count(*)::int FROM gh_iam_attachments a WHERE a.policy_arn = p.arn) AS attachment_count
  FROM gh_iam_policies p`;

function toRow(r: Record<string, unknown>): ManagedPolicyRow {
  return {
    policyId: r['policy_id'] as string,
    name: r['name'] as string,
    path: r['path'] as string,
    arn: r['arn'] as string,
    description: (r['description'] as string | null) ?? null,
    awsManaged: r['aws_managed'] as boolean,
    defaultVersion: r['default_version'] as string,
    createdAt: r['created_at'] as Date,
    updatedAt: r['updated_at'] as Date,
    attachmentCount: r['attachment_count'] as number,
  };
}

/** `forUpdate` serialises version changes of one policy (the 5-version quota). */
export async function findPolicyByArn(
  db: Queryable,
  arn: string,
  forUpdate = false,
): Promise<ManagedPolicyRow | null> {
  const res = await db.query(`${SELECT} WHERE p.arn = $1${forUpdate ? ' FOR UPDATE OF p' : ''}`, [arn]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function listPolicyRows(
  db: Queryable,
  filter: { scope: 'All' | 'AWS' | 'Local'; onlyAttached: boolean; pathPrefix: string },
): Promise<ManagedPolicyRow[]> {
  const res = await db.query(
    `SELECT * FROM (${SELECT}) q
     WHERE starts_with(path, $1)
       AND ($2 = 'All' OR ($2 = 'AWS') = aws_managed)
       AND (NOT $3::boolean OR attachment_count > 0)
     ORDER BY lower(name), arn`,
    [filter.pathPrefix, filter.scope, filter.onlyAttached],
  );
  return res.rows.map(toRow);
}

/** Creates the policy with its first version `v1` as default. */
export async function insertPolicyRow(
  db: Queryable,
  row: Omit<ManagedPolicyRow, 'attachmentCount' | 'defaultVersion' | 'updatedAt' | 'awsManaged'>,
  document: string,
): Promise<void> {
  await db.query(
    `INSERT INTO gh_iam_policies (policy_id, name, path, arn, description, aws_managed, default_version, next_version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, false, 'v1', 2, $6, $6)`,
    [row.policyId, row.name, row.path, row.arn, row.description, row.createdAt],
  );
  await db.query(
    'INSERT INTO gh_iam_policy_versions (policy_id, version_id, document, created_at) VALUES ($1, $2, $3, $4)',
    [row.policyId, 'v1', document, row.createdAt],
  );
}

export async function deletePolicyRow(db: Queryable, policyId: string): Promise<void> {
  await db.query('DELETE FROM gh_iam_policies WHERE policy_id = $1', [policyId]);
}

export async function listPolicyVersionRows(db: Queryable, policyId: string): Promise<PolicyVersionRow[]> {
  const res = await db.query(
    `SELECT version_id, document, created_at FROM gh_iam_policy_versions WHERE policy_id = $1
      ORDER BY substring(version_id from 2)::int DESC`,
    [policyId],
  );
  return res.rows.map((r) => ({ versionId: r.version_id, document: r.document, createdAt: r.created_at }));
}

export async function findPolicyVersionRow(
  db: Queryable,
  policyId: string,
  versionId: string,
): Promise<PolicyVersionRow | null> {
  const res = await db.query(
    'SELECT version_id, document, created_at FROM gh_iam_policy_versions WHERE policy_id = $1 AND version_id = $2',
    [policyId, versionId],
  );
  const r = res.rows[0];
  return r ? { versionId: r.version_id, document: r.document, createdAt: r.created_at } : null;
}

/** Adds the next version (numbers are never reused) and returns its id. */
export async function insertPolicyVersionRow(
  db: Queryable,
  policyId: string,
  document: string,
  at: Date,
): Promise<string> {
  const res = await db.query(
    `UPDATE gh_iam_policies SET next_version = next_version + 1, updated_at = $2
      WHERE policy_id = $1 RETURNING next_version - 1 AS n`,
    [policyId, at],
  );
  const versionId = `v${res.rows[0].n as number}`;
  await db.query(
    'INSERT INTO gh_iam_policy_versions (policy_id, version_id, document, created_at) VALUES ($1, $2, $3, $4)',
    [policyId, versionId, document, at],
  );
  return versionId;
}

export async function deletePolicyVersionRow(
  db: Queryable,
  policyId: string,
  versionId: string,
): Promise<void> {
  await db.query('DELETE FROM gh_iam_policy_versions WHERE policy_id = $1 AND version_id = $2', [
    policyId,
    versionId,
  ]);
}

export async function setDefaultPolicyVersionRow(
  db: Queryable,
  policyId: string,
  versionId: string,
  at: Date,
): Promise<void> {
  await db.query('UPDATE gh_iam_policies SET default_version = $2, updated_at = $3 WHERE policy_id = $1', [
    policyId,
    versionId,
    at,
  ]);
}

/** The default version's document of each ARN given (unknown ARNs are absent from the map). */
export async function defaultDocuments(
  db: Queryable,
  arns: readonly string[],
): Promise<Map<string, { name: string; document: string }>> {
  if (arns.length === 0) return new Map();
  const res = await db.query(
    `SELECT p.arn, p.name, v.document FROM gh_iam_policies p
       JOIN gh_iam_policy_versions v ON v.policy_id = p.policy_id AND v.version_id = p.default_version
      WHERE p.arn = ANY($1::text[])`,
    [arns],
  );
  return new Map(
    res.rows.map((r) => [r.arn as string, { name: r.name as string, document: r.document as string }]),
  );
}

/** Customer-managed names are unique ignoring case (AWS-managed ones do not clash). */
export async function customerPolicyNameTaken(db: Queryable, name: string): Promise<boolean> {
  const res = await db.query(
    'SELECT 1 FROM gh_iam_policies WHERE NOT aws_managed AND lower(name) = lower($1)',
    [name],
  );
  return (res.rowCount ?? 0) > 0;
}

/** The ListPolicies filters (AWS: Scope, OnlyAttached, PathPrefix, PolicyUsageFilter). */
export interface PolicyFilter {
  readonly scope: 'All' | 'AWS' | 'Local';
  readonly onlyAttached: boolean;
  readonly pathPrefix: string;
  readonly usage?: 'PermissionsPolicy' | 'PermissionsBoundary' | undefined;
}

/** One page of managed policies, by name ignoring case, then ARN (an AWS and a customer policy may share a name). */
export async function pagePolicyRows(
  db: Queryable,
  filter: PolicyFilter,
  page: Keyset,
): Promise<Keyed<ManagedPolicyRow>[]> {
  const res = await db
    .query(
      `SELECT *, lower(name) AS k0 FROM (${SELECT}) q
     WHERE starts_with(path, $1)
       AND ($2 = 'All' OR ($2 = 'AWS') = aws_managed)
       AND (NOT $3::boolean OR attachment_count > 0)
       AND ($4::text IS NULL
            OR ($4 = 'PermissionsPolicy' AND attachment_count > 0)
            OR ($4 = 'PermissionsBoundary' AND (
                  EXISTS (SELECT 1 FROM gh_iam_users u WHERE u.boundary_arn = q.arn)
                  OR EXISTS (SELECT 1 FROM gh_iam_roles r WHERE r.boundary_arn = q.arn))))
       AND ($5::text IS NULL OR (lower(name), arn) > ($5, $6))
     ORDER BY lower(name), arn LIMIT $7`,
      [
        filter.pathPrefix,
        filter.scope,
        filter.onlyAttached,
        filter.usage ?? null,
        afterPart(page, 0),
        afterPart(page, 1),
        fetchCount(page),
      ],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({ row: toRow(r), key: [r.k0 as string, r.arn as string] }));
}

/** One page of a policy's versions, newest first. */
export async function pagePolicyVersionRows(
  db: Queryable,
  policyId: string,
  page: Keyset,
): Promise<Keyed<PolicyVersionRow>[]> {
  const res = await db
    .query(
      `SELECT version_id, document, created_at, substring(version_id from 2)::int AS n
       FROM gh_iam_policy_versions
      WHERE policy_id = $1 AND ($2::int IS NULL OR substring(version_id from 2)::int < $2::int)
      ORDER BY n DESC LIMIT $3`,
      [policyId, afterPart(page, 0), fetchCount(page)],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({
    row: { versionId: r.version_id, document: r.document, createdAt: r.created_at },
    key: [String(r.n)],
  }));
}

/** How many users and roles have this policy as their permissions boundary. */
export async function countBoundaryUses(db: Queryable, arn: string): Promise<number> {
  const res = await db.query(
    `SELECT (SELECT count(*) FROM gh_iam_users WHERE boundary_arn = $1)
          + (SELECT count(*) FROM gh_iam_roles WHERE boundary_arn = $1) AS n`,
    [arn],
  );
  return Number(res.rows[0].n);
}

export async function findPolicyById(db: Queryable, policyId: string): Promise<ManagedPolicyRow | null> {
  const res = await db.query(`${SELECT} WHERE p.policy_id = $1`, [policyId]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}
