// gh_db_users and gh_db_user_passwords: Gatehouse-managed database users and their client-facing verifiers.
import type pg from 'pg';
import type { DbUserAuth } from '../core/types.js';

export interface DbUserRow {
  readonly id: string;
  readonly instanceId: string;
  readonly username: string;
  /** `iam`: no rows in gh_db_user_passwords; the user logs in with IAM auth tokens. */
  readonly auth: DbUserAuth;
  readonly backendSecret: Buffer;
  readonly createdAt: Date;
}

export interface PasswordRow {
  readonly id: string;
  readonly verifier: string;
  readonly validUntil: Date | null;
}

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

function toUser(r: Record<string, unknown>): DbUserRow {
  return {
    id: String(r['id']),
    instanceId: String(r['instance_id']),
    username: r['username'] as string,
    auth: r['auth'] as DbUserAuth,
    backendSecret: r['backend_secret'] as Buffer,
    createdAt: r['created_at'] as Date,
  };
}

const USER_COLUMNS = 'id, instance_id, username, auth, backend_secret, created_at';

export async function findDbUser(
  db: Queryable,
  instanceId: string,
  username: string,
): Promise<DbUserRow | null> {
  const res = await db.query(
    `SELECT ${USER_COLUMNS} FROM gh_db_users WHERE instance_id = $1 AND username = $2`,
    [instanceId, username],
  );
  return res.rows[0] ? toUser(res.rows[0]) : null;
}

export async function listDbUsersOf(db: Queryable, instanceId: string): Promise<DbUserRow[]> {
  const res = await db.query(
    `SELECT ${USER_COLUMNS} FROM gh_db_users WHERE instance_id = $1 ORDER BY username`,
    [instanceId],
  );
  return res.rows.map(toUser);
}

export async function insertDbUser(
  db: Queryable,
  row: Pick<DbUserRow, 'instanceId' | 'username' | 'auth' | 'backendSecret'>,
): Promise<DbUserRow> {
  const res = await db.query(
    `INSERT INTO gh_db_users (instance_id, username, auth, backend_secret) VALUES ($1, $2, $3, $4) RETURNING ${USER_COLUMNS}`,
    [row.instanceId, row.username, row.auth, row.backendSecret],
  );
  return toUser(res.rows[0]);
}

export async function deleteDbUserRow(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM gh_db_users WHERE id = $1', [id]);
}

/** Switch how the user authenticates (e.g. a password user granted rds_iam becomes an IAM user). */
export async function setDbUserAuth(db: Queryable, id: string, auth: DbUserAuth): Promise<void> {
  await db.query('UPDATE gh_db_users SET auth = $2 WHERE id = $1', [id, auth]);
}

/** Remove every client-facing verifier of the user (current and in grace). */
export async function deletePasswords(db: Queryable, dbUserId: string): Promise<void> {
  await db.query('DELETE FROM gh_db_user_passwords WHERE db_user_id = $1', [dbUserId]);
}

export async function listPasswords(db: Queryable, dbUserId: string): Promise<PasswordRow[]> {
  const res = await db.query(
    'SELECT id, verifier, valid_until FROM gh_db_user_passwords WHERE db_user_id = $1 ORDER BY valid_until NULLS FIRST, id DESC',
    [dbUserId],
  );
  return res.rows.map((r) => ({ id: String(r.id), verifier: r.verifier, validUntil: r.valid_until }));
}

export async function insertPassword(db: Queryable, dbUserId: string, verifier: string): Promise<void> {
  await db.query('INSERT INTO gh_db_user_passwords (db_user_id, verifier) VALUES ($1, $2)', [
    dbUserId,
    verifier,
  ]);
}

/**
 * Rotation: the current verifier (valid_until NULL) keeps working until `graceUntil` (or is removed when
 * null), verifiers already past their grace are removed, and `verifier` becomes current.
 */
export async function rotatePasswordRows(
  db: Queryable,
  dbUserId: string,
  verifier: string,
  now: Date,
  graceUntil: Date | null,
): Promise<void> {
  await db.query(
    'DELETE FROM gh_db_user_passwords WHERE db_user_id = $1 AND valid_until IS NOT NULL AND valid_until <= $2',
    [dbUserId, now],
  );
  if (graceUntil === null) {
    await db.query('DELETE FROM gh_db_user_passwords WHERE db_user_id = $1', [dbUserId]);
  } else {
    await db.query(
      'UPDATE gh_db_user_passwords SET valid_until = $2 WHERE db_user_id = $1 AND (valid_until IS NULL OR valid_until > $2)',
      [dbUserId, graceUntil],
    );
  }
  await insertPassword(db, dbUserId, verifier);
}
