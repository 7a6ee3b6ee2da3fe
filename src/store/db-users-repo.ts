// gh_db_users, gh_db_user_passwords and gh_db_user_password_verifiers: Gatehouse-managed database users, their
// passwords (current and in a rotation grace period) and each password's client-facing verifiers per mechanism.
import { createHash } from 'node:crypto';
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
  /** The `--grant`s applied on the backend at creation (canonical text, src/provisioning/grants.ts). */
  readonly grants: readonly string[];
}

/**
 * One verifier of a password, for one mechanism: in clear (`verifier`, e.g. SCRAM-SHA-256 as PostgreSQL stores
 * it) or sealed under the master key (`sealedVerifier`); exactly one of the two is set.
 */
export interface VerifierRow {
  readonly mechanism: string;
  readonly verifier: string | null;
  readonly sealedVerifier: Buffer | null;
}

/** One password: current when `validUntil` is null, otherwise valid until then (rotation grace). */
export interface PasswordRow {
  readonly id: string;
  readonly validUntil: Date | null;
  readonly verifiers: readonly VerifierRow[];
}

/** What a login needs: how the user authenticates, its sealed backend secret, its passwords (current first). */
export interface LoginRecord {
  readonly auth: DbUserAuth;
  readonly backendSecret: Buffer;
  readonly passwords: readonly PasswordRow[];
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
    grants: (r['grants'] as string[] | undefined) ?? [],
  };
}

const USER_COLUMNS = 'id, instance_id, username, auth, backend_secret, created_at, grants';

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
  row: Pick<DbUserRow, 'instanceId' | 'username' | 'auth' | 'backendSecret'> & { grants?: readonly string[] },
): Promise<DbUserRow> {
  const res = await db.query(
    `INSERT INTO gh_db_users (instance_id, username, auth, backend_secret, grants) VALUES ($1, $2, $3, $4, $5) RETURNING ${USER_COLUMNS}`,
    [row.instanceId, row.username, row.auth, row.backendSecret, row.grants ?? []],
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

/**
 * Serialise everything that creates, adopts or deletes one (instance, user) across nodes, until the end of the
 * transaction `tx` runs in: otherwise two nodes could each set a different backend secret for the same role.
 */
export async function lockDbUserName(tx: Queryable, instanceId: string, username: string): Promise<void> {
  const key = createHash('sha256').update(`gatehouse-db-user\0${instanceId}\0${username}`).digest();
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [key.readBigInt64BE(0).toString()]);
}

/** Remove every password of the user (current and in grace), with their verifiers. */
export async function deletePasswords(db: Queryable, dbUserId: string): Promise<void> {
  await db.query('DELETE FROM gh_db_user_passwords WHERE db_user_id = $1', [dbUserId]);
}

const PASSWORD_ORDER = 'p.valid_until NULLS FIRST, p.id DESC, v.mechanism';

/** Rows of passwords LEFT JOIN verifiers, in PASSWORD_ORDER, grouped into passwords. */
function toPasswords(rows: readonly Record<string, unknown>[]): PasswordRow[] {
  const out: { id: string; validUntil: Date | null; verifiers: VerifierRow[] }[] = [];
  for (const r of rows) {
    if (r['password_id'] === null || r['password_id'] === undefined) continue;
    const id = String(r['password_id']);
    let password = out.at(-1);
    if (password?.id !== id) {
      password = { id, validUntil: (r['valid_until'] as Date | null) ?? null, verifiers: [] };
      out.push(password);
    }
    if (r['mechanism'] === null) continue;
    password.verifiers.push({
      mechanism: r['mechanism'] as string,
      verifier: (r['verifier'] as string | null) ?? null,
      sealedVerifier: (r['sealed_verifier'] as Buffer | null) ?? null,
    });
  }
  return out;
}

/** The user's passwords with their verifiers: the current one first, then those in grace, newest first. */
export async function listPasswords(db: Queryable, dbUserId: string): Promise<PasswordRow[]> {
  const res = await db.query(
    `SELECT p.id AS password_id, p.valid_until, v.mechanism, v.verifier, v.sealed_verifier
       FROM gh_db_user_passwords p
       LEFT JOIN gh_db_user_password_verifiers v ON v.password_id = p.id
      WHERE p.db_user_id = $1
      ORDER BY ${PASSWORD_ORDER}`,
    [dbUserId],
  );
  return toPasswords(res.rows);
}

/** The login record of (instance identifier, user name), or null when Gatehouse has no such user. */
export async function findLoginRecord(
  db: Queryable,
  identifier: string,
  username: string,
): Promise<LoginRecord | null> {
  const res = await db.query(
    `SELECT u.auth, u.backend_secret, p.id AS password_id, p.valid_until, v.mechanism, v.verifier, v.sealed_verifier
       FROM gh_db_users u
       JOIN gh_instances i ON i.id = u.instance_id
       LEFT JOIN gh_db_user_passwords p ON p.db_user_id = u.id
       LEFT JOIN gh_db_user_password_verifiers v ON v.password_id = p.id
      WHERE i.identifier = $1 AND u.username = $2
      ORDER BY ${PASSWORD_ORDER}`,
    [identifier, username],
  );
  const first = res.rows[0];
  if (!first) return null;
  return {
    auth: first.auth as DbUserAuth,
    backendSecret: first.backend_secret as Buffer,
    passwords: toPasswords(res.rows),
  };
}

/** A new current password (valid_until NULL) with one verifier per mechanism. */
export async function insertPassword(
  db: Queryable,
  dbUserId: string,
  verifiers: readonly VerifierRow[],
): Promise<void> {
  const res = await db.query('INSERT INTO gh_db_user_passwords (db_user_id) VALUES ($1) RETURNING id', [
    dbUserId,
  ]);
  const passwordId = String(res.rows[0].id);
  for (const v of verifiers) {
    await db.query(
      `INSERT INTO gh_db_user_password_verifiers (password_id, mechanism, verifier, sealed_verifier)
       VALUES ($1, $2, $3, $4)`,
      [passwordId, v.mechanism, v.verifier, v.sealedVerifier],
    );
  }
}

/**
 * Rotation: the current password (valid_until NULL) keeps working until `graceUntil` (or is removed when
 * null), passwords already past their grace are removed, and a password with `verifiers` becomes current.
 */
export async function rotatePasswordRows(
  db: Queryable,
  dbUserId: string,
  verifiers: readonly VerifierRow[],
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
  await insertPassword(db, dbUserId, verifiers);
}
