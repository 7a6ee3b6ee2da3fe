// gh_iam_roles: IAM roles with their trust (assume-role) policy and session duration limit.
import type pg from 'pg';
import { afterPart, fetchCount, type Keyed, type Keyset, refuseBadMarker } from './iam-keyset.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface IamRoleRow {
  readonly roleId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly trustPolicy: string;
  readonly description: string | null;
  readonly maxSessionDuration: number;
  readonly boundaryArn: string | null;
  readonly createdAt: Date;
}

const COLUMNS =
  'role_id, name, path, arn, trust_policy, description, max_session_duration, boundary_arn, created_at';

function toRow(r: Record<string, unknown>): IamRoleRow {
  return {
    roleId: r['role_id'] as string,
    name: r['name'] as string,
    path: r['path'] as string,
    arn: r['arn'] as string,
    trustPolicy: r['trust_policy'] as string,
    description: (r['description'] as string | null) ?? null,
    maxSessionDuration: r['max_session_duration'] as number,
    boundaryArn: (r['boundary_arn'] as string | null) ?? null,
    createdAt: r['created_at'] as Date,
  };
}

export async function findRoleByName(
  db: Queryable,
  name: string,
  forUpdate = false,
): Promise<IamRoleRow | null> {
  const res = await db.query(
    `SELECT ${COLUMNS} FROM gh_iam_roles WHERE lower(name) = lower($1)${forUpdate ? ' FOR UPDATE' : ''}`,
    [name],
  );
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function findRoleById(db: Queryable, roleId: string): Promise<IamRoleRow | null> {
  const res = await db.query(`SELECT ${COLUMNS} FROM gh_iam_roles WHERE role_id = $1`, [roleId]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function findRoleByArn(db: Queryable, arn: string): Promise<IamRoleRow | null> {
  const res = await db.query(`SELECT ${COLUMNS} FROM gh_iam_roles WHERE arn = $1`, [arn]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function listRoleRows(db: Queryable, pathPrefix: string): Promise<IamRoleRow[]> {
  const res = await db.query(
    `SELECT ${COLUMNS} FROM gh_iam_roles WHERE starts_with(path, $1) ORDER BY lower(name)`,
    [pathPrefix],
  );
  return res.rows.map(toRow);
}

export async function insertRoleRow(db: Queryable, row: IamRoleRow): Promise<IamRoleRow> {
  const res = await db.query(
    `INSERT INTO gh_iam_roles (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
    [
      row.roleId,
      row.name,
      row.path,
      row.arn,
      row.trustPolicy,
      row.description,
      row.maxSessionDuration,
      row.boundaryArn,
      row.createdAt,
    ],
  );
  return toRow(res.rows[0]);
}

export async function deleteRoleRow(db: Queryable, roleId: string): Promise<void> {
  await db.query('DELETE FROM gh_iam_roles WHERE role_id = $1', [roleId]);
}

export async function updateRoleRow(
  db: Queryable,
  roleId: string,
  patch: { trustPolicy?: string; description?: string | null; maxSessionDuration?: number },
): Promise<void> {
  await db.query(
    `UPDATE gh_iam_roles SET
       trust_policy = COALESCE($2, trust_policy),
       description = CASE WHEN $3::boolean THEN $4 ELSE description END,
       max_session_duration = COALESCE($5, max_session_duration)
     WHERE role_id = $1`,
    [
      roleId,
      patch.trustPolicy ?? null,
      patch.description !== undefined,
      patch.description ?? null,
      patch.maxSessionDuration ?? null,
    ],
  );
}

export async function setRoleBoundary(
  db: Queryable,
  roleId: string,
  boundaryArn: string | null,
): Promise<void> {
  await db.query('UPDATE gh_iam_roles SET boundary_arn = $2 WHERE role_id = $1', [roleId, boundaryArn]);
}

/** One page of roles under `pathPrefix`, by name ignoring case. */
export async function pageRoleRows(
  db: Queryable,
  pathPrefix: string,
  page: Keyset,
): Promise<Keyed<IamRoleRow>[]> {
  const res = await db
    .query(
      `SELECT ${COLUMNS}, lower(name) AS k0 FROM gh_iam_roles
      WHERE starts_with(path, $1) AND ($2::text IS NULL OR lower(name) > $2)
      ORDER BY lower(name) LIMIT $3`,
      [pathPrefix, afterPart(page, 0), fetchCount(page)],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({ row: toRow(r), key: [r.k0 as string] }));
}
