import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../src/core/errors.js';
import { MIGRATION_LOCK_KEY, migrate } from '../../../src/store/migrate.js';
import { MIGRATIONS, type Migration } from '../../../src/store/migrations/index.js';
import { openStore, type Store } from '../../../src/store/pool.js';
import { startEmbeddedPostgres, type TestPostgres } from '../../support/embedded-pg.js';

let server: TestPostgres;
const stores: Store[] = [];

beforeAll(async () => {
  server = await startEmbeddedPostgres({ name: 'migrate' });
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await server?.stop();
});

/** A store on a brand-new database, so every test starts from an empty schema. */
async function freshStore(): Promise<{ store: Store; url: string }> {
  const name = `m_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(server.url);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = server.adminUrl(name);
  const store = await openStore(url);
  stores.push(store);
  return { store, url };
}

async function versions(store: Store): Promise<number[]> {
  const res = await store.pool.query<{ version: number }>(
    'SELECT version FROM gh_schema_migrations ORDER BY version',
  );
  return res.rows.map((r) => r.version);
}

async function tableExists(store: Store, table: string): Promise<boolean> {
  const res = await store.pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
  return res.rows[0]?.t !== null;
}

/** The real migrations, then test-only ones numbered after them. */
const KNOWN = MIGRATIONS.map((m) => m.version);
const LAST = KNOWN.at(-1) as number;
const NEXT = LAST + 1;

const slow: Migration = {
  version: NEXT,
  name: 'slow',
  sql: 'SELECT pg_sleep(0.4); CREATE TABLE slow_table (x int);',
};

describe('migrate', () => {
  it('applies every migration to a fresh store and records each with its name', async () => {
    const { store } = await freshStore();
    const result = await migrate(store);
    expect(result.applied).toEqual(MIGRATIONS.map((m) => m.version));
    const rows = await store.pool.query<{ version: number; name: string; applied_at: Date }>(
      'SELECT version, name, applied_at FROM gh_schema_migrations ORDER BY version',
    );
    expect(rows.rows.map((r) => [r.version, r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    expect(rows.rows[0]?.applied_at).toBeInstanceOf(Date);
    expect(await tableExists(store, 'gh_meta')).toBe(true);
  });

  it('a second run on an up-to-date store applies nothing', async () => {
    const { store } = await freshStore();
    await migrate(store);
    expect(await migrate(store)).toEqual({ applied: [] });
  });

  it('two nodes migrating a fresh store at the same time both succeed and each migration runs once', async () => {
    const { store: a, url } = await freshStore();
    const b = await openStore(url);
    stores.push(b);
    const list = [...MIGRATIONS, slow];
    const [ra, rb] = await Promise.all([migrate(a, list), migrate(b, list)]);
    // Whoever got the lock first applied everything; the other waited and found nothing to do.
    expect([ra.applied, rb.applied].sort((x, y) => y.length - x.length)).toEqual([[...KNOWN, NEXT], []]);
    expect(await versions(a)).toEqual([...KNOWN, NEXT]);
  });

  it('applies migrations in version order whatever order they are listed in', async () => {
    const { store } = await freshStore();
    const second: Migration = {
      version: NEXT,
      name: 'uses-meta',
      sql: "INSERT INTO gh_meta VALUES ('x', '1')",
    };
    expect((await migrate(store, [second, ...[...MIGRATIONS].reverse()])).applied).toEqual([...KNOWN, NEXT]);
  });

  it('a failing migration is rolled back and not recorded; earlier ones stay; a fixed one applies later', async () => {
    const { store } = await freshStore();
    const broken: Migration = {
      version: NEXT,
      name: 'broken',
      sql: 'CREATE TABLE half (x int); SELECT * FROM nope;',
    };
    const e = await migrate(store, [...MIGRATIONS, broken]).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GatehouseError);
    expect((e as GatehouseError).detail).toMatch(new RegExp(`migration ${NEXT} \\(broken\\).*nope`));
    expect(await versions(store)).toEqual(KNOWN);
    expect(await tableExists(store, 'half')).toBe(false);
    const fixed: Migration = { version: NEXT, name: 'fixed', sql: 'CREATE TABLE half (x int);' };
    expect((await migrate(store, [...MIGRATIONS, fixed])).applied).toEqual([NEXT]);
  });

  it('refuses a store whose schema is newer than this code knows, changing nothing', async () => {
    const { store } = await freshStore();
    await migrate(store, [...MIGRATIONS, slow]);
    const e = await migrate(store, MIGRATIONS).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GatehouseError);
    expect((e as GatehouseError).code).toBe('GH_STORE_SCHEMA_TOO_NEW');
    expect((e as GatehouseError).message).toMatch(
      new RegExp(`version ${NEXT} .*only knows up to version ${LAST}`),
    );
    expect(await versions(store)).toEqual([...KNOWN, NEXT]);
  });

  it('releases the advisory lock afterwards, also when a migration failed', async () => {
    const { store } = await freshStore();
    const broken: Migration = { version: NEXT, name: 'broken', sql: 'SELECT * FROM nope' };
    await migrate(store, [...MIGRATIONS, broken]).catch(() => undefined);
    const other = new pg.Client(server.url);
    await other.connect();
    try {
      const res = await other.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS got', [
        MIGRATION_LOCK_KEY.toString(),
      ]);
      expect(res.rows[0]?.got).toBe(true);
    } finally {
      await other.end();
    }
  });

  it('rejects a migration list with duplicate versions before touching the store', async () => {
    const { store } = await freshStore();
    const dup: Migration = { version: 1, name: 'dup', sql: 'SELECT 1' };
    await expect(migrate(store, [...MIGRATIONS, dup])).rejects.toBeInstanceOf(GatehouseError);
    expect(await tableExists(store, 'gh_schema_migrations')).toBe(false);
  });
});
