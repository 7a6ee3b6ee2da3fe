// gh_meta: deployment-wide facts fixed at init (account id, region, mock-SCRAM secret).
import pg from 'pg';
import { assertMasterKeyCheck, MASTER_KEY_CHECK_KEY, masterKeyCheck } from '../core/master-key.js';
import type { SecretBox } from '../core/secret-box.js';

const { escapeIdentifier } = pg;

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export async function getMeta<T>(db: Queryable, key: string): Promise<T | null> {
  const res = await db.query('SELECT value FROM gh_meta WHERE key = $1', [key]);
  return res.rows[0] ? (res.rows[0].value as T) : null;
}

/** Insert if absent and return whatever is stored (first writer wins when nodes start together). */
export async function ensureMeta<T>(db: Queryable, key: string, value: T): Promise<T> {
  await db.query('INSERT INTO gh_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
    key,
    JSON.stringify(value),
  ]);
  return (await getMeta<T>(db, key)) as T;
}

/**
 * The first run records a canary sealed with this key in gh_meta; every later run must open it, or
 * start-up stops with GH_MASTER_KEY_WRONG before anything is sealed under the wrong key. The row is
 * inserted with ON CONFLICT DO NOTHING, so nodes starting together agree and a mismatch never
 * overwrites it.
 */
export async function verifyMasterKey(store: { pool: Queryable }, box: SecretBox): Promise<void> {
  const stored = await ensureMeta<unknown>(store.pool, MASTER_KEY_CHECK_KEY, masterKeyCheck(box));
  assertMasterKeyCheck(stored, box);
}

/** Whether the store answers a trivial query now (readiness); rejects with the store's own error otherwise. */
export async function pingStore(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}

/** The name of the database the store lives in (an instance must never front it: it holds the IAM tables). */
export async function storeDatabaseName(db: Queryable): Promise<string | undefined> {
  const { rows } = await db.query<{ db: string }>('SELECT current_database() AS db');
  return rows[0]?.db;
}

/**
 * Closes the store's database to every role not granted it: PostgreSQL lets PUBLIC connect to a new database,
 * so a database user Gatehouse creates on the same server (the default backend of `gatehouse up`, or any
 * instance whose backend shares the store's server) could otherwise log in to it by naming it. Done when the
 * store's role owns the database or is a superuser (revoking cannot lock it out then); 'unable' otherwise,
 * for the caller to warn about. Idempotent.
 */
export async function closeStoreDatabase(db: Queryable): Promise<'closed' | 'already' | 'unable'> {
  const { rows } = await db.query<{ db: string; open: boolean; may: boolean }>(
    `SELECT current_database() AS db,
            has_database_privilege('public', current_database(), 'CONNECT') AS open,
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
              OR (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) = current_user
              AS may`,
  );
  const row = rows[0];
  if (row === undefined || !row.open) return 'already';
  if (!row.may) return 'unable';
  await db.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${escapeIdentifier(row.db)} FROM PUBLIC`);
  return 'closed';
}
