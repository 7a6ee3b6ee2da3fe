// gh_access_keys rows owned by IAM users (long-term AKIA keys): per-user listing, quota, status and deletion.
import type pg from 'pg';
import { afterPart, fetchCount, type Keyed, type Keyset, refuseBadMarker, timeKey } from './iam-keyset.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface UserAccessKeyRow {
  readonly accessKeyId: string;
  readonly principalArn: string;
  readonly userId: string | null;
  readonly secret: Buffer;
  readonly status: 'Active' | 'Inactive';
  readonly createdAt: Date;
}

const COLUMNS = 'access_key_id, principal_arn, user_id, secret, status, created_at';

function toRow(r: Record<string, unknown>): UserAccessKeyRow {
  return {
    accessKeyId: r['access_key_id'] as string,
    principalArn: r['principal_arn'] as string,
    userId: (r['user_id'] as string | null) ?? null,
    secret: r['secret'] as Buffer,
    status: r['status'] as 'Active' | 'Inactive',
    createdAt: r['created_at'] as Date,
  };
}

export async function findUserAccessKey(
  db: Queryable,
  accessKeyId: string,
): Promise<UserAccessKeyRow | null> {
  const res = await db.query(`SELECT ${COLUMNS} FROM gh_access_keys WHERE access_key_id = $1`, [accessKeyId]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function listUserAccessKeys(db: Queryable, userId: string): Promise<UserAccessKeyRow[]> {
  const res = await db.query(`SELECT ${COLUMNS} FROM gh_access_keys WHERE user_id = $1 ORDER BY created_at`, [
    userId,
  ]);
  return res.rows.map(toRow);
}

export async function insertUserAccessKey(
  db: Queryable,
  row: Omit<UserAccessKeyRow, 'userId'> & { userId: string },
): Promise<void> {
  await db.query(`INSERT INTO gh_access_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, [
    row.accessKeyId,
    row.principalArn,
    row.userId,
    row.secret,
    row.status,
    row.createdAt,
  ]);
}

export async function setUserAccessKeyStatus(
  db: Queryable,
  userId: string,
  accessKeyId: string,
  status: 'Active' | 'Inactive',
): Promise<boolean> {
  const res = await db.query(
    'UPDATE gh_access_keys SET status = $3 WHERE user_id = $1 AND access_key_id = $2',
    [userId, accessKeyId, status],
  );
  return (res.rowCount ?? 0) > 0;
}

export async function deleteUserAccessKey(
  db: Queryable,
  userId: string,
  accessKeyId: string,
): Promise<boolean> {
  const res = await db.query('DELETE FROM gh_access_keys WHERE user_id = $1 AND access_key_id = $2', [
    userId,
    accessKeyId,
  ]);
  return (res.rowCount ?? 0) > 0;
}

/** Keys issued for `principalArn` before that user had a row (the bootstrap admin key): adopt them. */
export async function adoptAccessKeys(db: Queryable, principalArn: string, userId: string): Promise<number> {
  const res = await db.query(
    'UPDATE gh_access_keys SET user_id = $2 WHERE principal_arn = $1 AND user_id IS NULL',
    [principalArn, userId],
  );
  return res.rowCount ?? 0;
}

export async function countOrphanKeys(db: Queryable, principalArn: string): Promise<number> {
  const res = await db.query(
    'SELECT count(*)::int AS n FROM gh_access_keys WHERE principal_arn = $1 AND user_id IS NULL',
    [principalArn],
  );
  return res.rows[0].n as number;
}

/** When and for which service a key was last used, with its user's name; null for an unknown key. */
export async function findAccessKeyLastUsed(
  db: Queryable,
  accessKeyId: string,
): Promise<{ userName: string; lastUsedAt: Date | null; lastUsedService: string | null } | null> {
  const res = await db.query(
    `SELECT u.name, k.last_used_at, k.last_used_service
       FROM gh_access_keys k JOIN gh_iam_users u ON u.user_id = k.user_id
      WHERE k.access_key_id = $1`,
    [accessKeyId],
  );
  const row = res.rows[0];
  if (!row) return null;
  return {
    userName: row.name as string,
    lastUsedAt: row.last_used_at instanceof Date ? row.last_used_at : null,
    lastUsedService: (row.last_used_service as string | null) ?? null,
  };
}

/** One page of a user's keys, oldest first (creation time, then id). */
export async function pageUserAccessKeys(
  db: Queryable,
  userId: string,
  page: Keyset,
): Promise<Keyed<UserAccessKeyRow>[]> {
  const res = await db
    .query(
      `SELECT ${COLUMNS}, ${timeKey('created_at')} AS k0 FROM gh_access_keys
      WHERE user_id = $1 AND ($2::text IS NULL OR (created_at, access_key_id) > ($2::timestamptz, $3))
      ORDER BY created_at, access_key_id LIMIT $4`,
      [userId, afterPart(page, 0), afterPart(page, 1), fetchCount(page)],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({ row: toRow(r), key: [r.k0 as string, r.access_key_id as string] }));
}

/** A renamed or moved user's keys sign as its new ARN. */
export async function setAccessKeysPrincipalArn(db: Queryable, userId: string, arn: string): Promise<void> {
  await db.query('UPDATE gh_access_keys SET principal_arn = $2 WHERE user_id = $1', [userId, arn]);
}
