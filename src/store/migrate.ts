// Applies the versioned schema migrations at start, forward-only, serialised across nodes by an advisory lock.
import type pg from 'pg';
import { GatehouseError } from '../core/errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import type { Store } from './pool.js';

/**
 * Session-level advisory lock key shared by every Gatehouse node: ASCII "Gatehous" as a signed 64-bit
 * integer. A fixed constant (not a hash of anything) so all versions of the code agree on it.
 */
export const MIGRATION_LOCK_KEY = 0x47617465686f7573n;

/**
 * Waiting for another node's migrations, and a migration itself, may take far longer than the pool's
 * per-query timeout (which exists so a frozen store answers logins with GH_STORE_UNAVAILABLE): these
 * queries get their own, generous one.
 */
const MIGRATION_QUERY_TIMEOUT_MS = 15 * 60_000;

/** A query config with the migration timeout (node-postgres reads `query_timeout` per query too). */
function long(text: string, values?: unknown[]): pg.QueryConfig {
  const config: pg.QueryConfig & { query_timeout: number } = {
    text,
    query_timeout: MIGRATION_QUERY_TIMEOUT_MS,
  };
  if (values !== undefined) config.values = values;
  return config;
}

const CREATE_HISTORY = `
CREATE TABLE IF NOT EXISTS gh_schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

function checkOrder(migrations: readonly Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version < 1 || (i > 0 && sorted[i - 1]!.version === m.version)) {
      throw new GatehouseError(
        'GH_INTERNAL',
        {},
        { detail: `invalid migration list at version ${m.version}` },
      );
    }
  });
  return sorted;
}

/**
 * Brings the store's schema up to date. Each migration runs in its own transaction together with its
 * history row, so a failed one leaves nothing behind. All of it happens while holding
 * pg_advisory_lock(MIGRATION_LOCK_KEY) on one dedicated connection: a second node starting at the same
 * time waits, then finds nothing left to do. Returns the versions this call applied.
 */
export async function migrate(
  store: Pick<Store, 'pool'>,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<{ applied: number[] }> {
  const ordered = checkOrder(migrations);
  const client = await store.pool.connect();
  // A dedicated, checked-out client has no pool error listener; the awaited query rejects anyway.
  const onError = (): void => undefined;
  client.on('error', onError);
  let broken: Error | undefined;
  try {
    // Session-level (not xact) lock: it must span several transactions. It is released explicitly
    // below, or by the server when this connection ends.
    await client.query(long('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]));
    try {
      return await applyPending(client, ordered);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } catch (e) {
    if (!(e instanceof GatehouseError)) broken = e instanceof Error ? e : new Error(String(e));
    throw e;
  } finally {
    client.removeListener('error', onError);
    // Destroy the connection after an unexpected failure so no lock or aborted transaction lingers.
    client.release(broken);
  }
}

async function applyPending(
  client: pg.PoolClient,
  ordered: readonly Migration[],
): Promise<{ applied: number[] }> {
  await client.query(CREATE_HISTORY);
  const res = await client.query<{ version: number }>('SELECT version FROM gh_schema_migrations');
  const done = new Set(res.rows.map((r) => r.version));
  const newestKnown = ordered.at(-1)?.version ?? 0;
  const newestApplied = Math.max(0, ...done);
  if (newestApplied > newestKnown) {
    // A downgrade: an older Gatehouse must not run against a schema it does not understand.
    throw new GatehouseError('GH_STORE_SCHEMA_TOO_NEW', {
      storeVersion: newestApplied,
      codeVersion: newestKnown,
    });
  }

  const applied: number[] = [];
  for (const m of ordered) {
    if (done.has(m.version)) continue;
    await client.query('BEGIN');
    try {
      await client.query(long(m.sql));
      await client.query('INSERT INTO gh_schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK');
      const reason = e instanceof Error ? e.message : String(e);
      throw new GatehouseError(
        'GH_STORE_MIGRATION_FAILED',
        { version: m.version, name: m.name, reason },
        {
          detail: `schema migration ${m.version} (${m.name}) failed and was rolled back: ${reason}`,
          cause: e,
        },
      );
    }
    applied.push(m.version);
  }
  return { applied };
}

/**
 * The schema as the store holds it against what this code knows: `behind` when a migration this node knows is
 * not applied (the store was restored from an older backup after start), `ahead` when a newer node migrated it
 * (a rolling upgrade: this node keeps serving, the migrations keep what it reads).
 */
export async function schemaState(
  db: Pick<pg.Pool, 'query'>,
  ordered: readonly Migration[] = MIGRATIONS,
): Promise<{ applied: number; known: number; state: 'current' | 'behind' | 'ahead' }> {
  const res = await db.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM gh_schema_migrations',
  );
  const applied = res.rows[0]?.version ?? 0;
  const known = Math.max(0, ...ordered.map((m) => m.version));
  return { applied, known, state: applied === known ? 'current' : applied < known ? 'behind' : 'ahead' };
}
