// gh_iam_users: IAM users (names unique ignoring case) and their permissions boundary.
import type pg from 'pg';
import { afterPart, fetchCount, type Keyed, type Keyset, refuseBadMarker } from './iam-keyset.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface IamUserRow {
  readonly userId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly boundaryArn: string | null;
  readonly createdAt: Date;
}

const COLUMNS = 'user_id, name, path, arn, boundary_arn, created_at';

function toRow(r: Record<string, unknown>): IamUserRow {
  return {
    userId: r['user_id'] as string,
    name: r['name'] as string,
    path: r['path'] as string,
    arn: r['arn'] as string,
    boundaryArn: (r['boundary_arn'] as string | null) ?? null,
    createdAt: r['created_at'] as Date,
  };
}

/** `forUpdate` locks the row so per-user quotas (keys, tags) are checked and changed atomically. */
export async function findUserByName(
  db: Queryable,
  name: string,
  forUpdate = false,
): Promise<IamUserRow | null> {
  const res = await db.query(
    `SELECT ${COLUMNS} FROM gh_iam_users WHERE lower(name) = lower($1)${forUpdate ? ' FOR UPDATE' : ''}`,
    [name],
  );
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function findUserById(db: Queryable, userId: string): Promise<IamUserRow | null> {
  const res = await db.query(`SELECT ${COLUMNS} FROM gh_iam_users WHERE user_id = $1`, [userId]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function findUserByArn(db: Queryable, arn: string): Promise<IamUserRow | null> {
  const res = await db.query(`SELECT ${COLUMNS} FROM gh_iam_users WHERE arn = $1`, [arn]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function listUserRows(db: Queryable, pathPrefix: string): Promise<IamUserRow[]> {
  const res = await db.query(
    `SELECT ${COLUMNS} FROM gh_iam_users WHERE starts_with(path, $1) ORDER BY lower(name)`,
    [pathPrefix],
  );
  return res.rows.map(toRow);
}

export async function insertUserRow(db: Queryable, row: IamUserRow): Promise<IamUserRow> {
  const res = await db.query(
    `INSERT INTO gh_iam_users (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [row.userId, row.name, row.path, row.arn, row.boundaryArn, row.createdAt],
  );
  return toRow(res.rows[0]);
}

export async function deleteUserRow(db: Queryable, userId: string): Promise<void> {
  await db.query('DELETE FROM gh_iam_users WHERE user_id = $1', [userId]);
}

export async function setUserBoundary(
  db: Queryable,
  userId: string,
  boundaryArn: string | null,
): Promise<void> {
  await db.query('UPDATE gh_iam_users SET boundary_arn = $2 WHERE user_id = $1', [userId, boundaryArn]);
}

/** Serialise writers of IAM users against each other (nodes starting together; quota checks). */
export async function lockIamUsers(db: Queryable): Promise<void> {
  await db.query('LOCK TABLE gh_iam_users IN SHARE ROW EXCLUSIVE MODE');
}

/** One page of users under `pathPrefix`, by name ignoring case (the unique key, so pages never overlap). */
export async function pageUserRows(
  db: Queryable,
  pathPrefix: string,
  page: Keyset,
): Promise<Keyed<IamUserRow>[]> {
  const res = await db
    .query(
      `SELECT ${COLUMNS}, lower(name) AS k0 FROM gh_iam_users
      WHERE starts_with(path, $1) AND ($2::text IS NULL OR lower(name) > $2)
      ORDER BY lower(name) LIMIT $3`,
      [pathPrefix, afterPart(page, 0), fetchCount(page)],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({ row: toRow(r), key: [r.k0 as string] }));
}

/** One page of a group's members, by name ignoring case. */
export async function pageUsersOfGroup(
  db: Queryable,
  groupId: string,
  page: Keyset,
): Promise<Keyed<IamUserRow>[]> {
  const res = await db
    .query(
      `SELECT u.user_id, u.name, u.path, u.arn, u.boundary_arn, u.created_at, lower(u.name) AS k0
       FROM gh_iam_users u JOIN gh_iam_group_members m ON m.user_id = u.user_id
      WHERE m.group_id = $1 AND ($2::text IS NULL OR lower(u.name) > $2)
      ORDER BY lower(u.name) LIMIT $3`,
      [groupId, afterPart(page, 0), fetchCount(page)],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({ row: toRow(r), key: [r.k0 as string] }));
}

/** UpdateUser: a new name and/or path, hence a new ARN (the id, keys, policies and memberships stay). */
export async function renameUserRow(
  db: Queryable,
  userId: string,
  to: { name: string; path: string; arn: string },
): Promise<IamUserRow> {
  const res = await db.query(
    `UPDATE gh_iam_users SET name = $2, path = $3, arn = $4 WHERE user_id = $1 RETURNING ${COLUMNS}`,
    [userId, to.name, to.path, to.arn],
  );
  return toRow(res.rows[0]);
}
