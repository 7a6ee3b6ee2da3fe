import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/core/logger.js';
import { findFreePort } from '../../../src/store/embedded.js';
import { openStore, redactStoreUrl } from '../../../src/store/pool.js';
import { startEmbeddedPostgres, type TestPostgres } from '../../support/embedded-pg.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startEmbeddedPostgres({ name: 'pool' });
});
afterAll(async () => {
  await server?.stop();
});

async function refusal(url: string): Promise<GatehouseError> {
  const e = await openStore(url, { connectTimeoutMs: 5000 }).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GatehouseError);
  return e as GatehouseError;
}

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

describe('openStore', () => {
  it('a wrong password is GH_STORE_UNAVAILABLE and the reason does not contain the password', async () => {
    const url = `postgres://postgres:Wr0ng-Secret-Value@127.0.0.1:${server.port}/postgres`;
    const e = await refusal(url);
    expect(e.code).toBe('GH_STORE_UNAVAILABLE');
    expect(e.message).toContain('127.0.0.1');
    expect(e.message).not.toContain('Wr0ng-Secret-Value');
    expect(JSON.stringify(e.params)).not.toContain('Wr0ng-Secret-Value');
  });

  it('nothing listening is GH_STORE_UNAVAILABLE naming the refused connection, without the password', async () => {
    const port = await findFreePort();
    const e = await refusal(`postgres://postgres:hunter2hunter2@127.0.0.1:${port}/postgres`);
    expect(e.code).toBe('GH_STORE_UNAVAILABLE');
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(e.message).not.toContain('hunter2hunter2');
  });

  it('connections identify themselves as application_name gatehouse', async () => {
    const store = await openStore(server.url);
    try {
      const res = await store.pool.query<{ application_name: string }>('SHOW application_name');
      expect(res.rows[0]?.application_name).toBe('gatehouse');
    } finally {
      await store.close();
    }
  });

  it('withTransaction commits on success and rolls back when the callback throws', async () => {
    const store = await openStore(server.url);
    try {
      await store.pool.query('CREATE TABLE IF NOT EXISTS pool_tx (v int)');
      await store.withTransaction(async (c) => {
        await c.query('INSERT INTO pool_tx VALUES (1)');
      });
      await expect(
        store.withTransaction(async (c) => {
          await c.query('INSERT INTO pool_tx VALUES (2)');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const res = await store.pool.query<{ v: number }>('SELECT v FROM pool_tx ORDER BY v');
      expect(res.rows.map((r) => r.v)).toEqual([1]);
    } finally {
      await store.close();
    }
  });

  it('an idle connection killed by the server is logged and the store keeps working', async () => {
    const { logger, lines } = capturingLogger();
    const store = await openStore(server.url, { logger });
    const admin = new pg.Client(server.url);
    await admin.connect();
    try {
      await store.pool.query('SELECT 1'); // leaves one idle client in the pool
      expect(store.pool.idleCount).toBe(1);
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gatehouse' AND pid <> pg_backend_pid()",
      );
      await expect
        .poll(() => lines.some((l) => l.includes('idle connection failed')), { timeout: 5000 })
        .toBe(true);
      const res = await store.pool.query<{ one: number }>('SELECT 1 AS one');
      expect(res.rows[0]?.one).toBe(1);
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it('while the store database refuses connections, queries and transactions reject with GH_STORE_UNAVAILABLE; other failures pass through', async () => {
    const { logger, lines } = capturingLogger();
    const admin = new pg.Client(server.url);
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS pool_outage');
    await admin.query('CREATE DATABASE pool_outage');
    const store = await openStore(server.adminUrl('pool_outage'), { logger });
    try {
      await store.pool.query('SELECT 1'); // an idle client the outage will kill
      // Not the store's fault: passed through as they are (a caller's bug, a backend's refusal inside a transaction).
      await expect(store.pool.query('SELEC 1')).rejects.toMatchObject({ code: '42601' });
      const backendRefused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:5432'), {
        code: 'ECONNREFUSED',
      });
      await expect(
        store.withTransaction(async () => {
          throw backendRefused;
        }),
      ).rejects.toBe(backendRefused);

      await admin.query('ALTER DATABASE pool_outage WITH ALLOW_CONNECTIONS false');
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'pool_outage' AND pid <> pg_backend_pid()",
      );
      await expect
        .poll(
          async () =>
            (
              await admin.query<{ n: number }>(
                "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'pool_outage'",
              )
            ).rows[0]?.n,
        )
        .toBe(0);
      for (const attempt of [
        () => store.pool.query('SELECT 1'),
        () => store.pool.connect(),
        () => store.withTransaction((c) => c.query('SELECT 1')),
      ]) {
        const e = await attempt().then(
          () => null,
          (err: unknown) => err,
        );
        expect(e).toBeInstanceOf(GatehouseError);
        expect(e).toMatchObject({
          code: 'GH_STORE_UNAVAILABLE',
          message: 'cannot reach the state store: this is temporary, retry in a few seconds',
        });
        expect((e as GatehouseError).detail).toMatch(
          /pool_outage.*(not currently accepting connections|terminat)/,
        );
        expect((e as GatehouseError).detail).not.toContain(decodeURIComponent(new URL(server.url).password));
      }
      const warns = () => lines.filter((l) => l.includes('"state store unreachable'));
      expect(warns()).toHaveLength(1);

      await admin.query('ALTER DATABASE pool_outage WITH ALLOW_CONNECTIONS true');
      const res = await store.withTransaction((c) => c.query<{ one: number }>('SELECT 1 AS one'));
      expect(res.rows[0]?.one).toBe(1);
      const back = lines.filter((l) => l.includes('"state store reachable again"'));
      expect(back).toHaveLength(1);
      expect(JSON.parse(back[0] as string)).toMatchObject({ failedAttempts: 3 });
      expect(warns()).toHaveLength(1);
    } finally {
      await admin.query('ALTER DATABASE pool_outage WITH ALLOW_CONNECTIONS true').catch(() => {});
      await store.close();
      await admin.end();
    }
  });

  it('close() can be called twice', async () => {
    const store = await openStore(server.url);
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});

describe('redactStoreUrl', () => {
  it('removes the password from a URL and keeps the rest', () => {
    expect(redactStoreUrl('postgres://gh:s3cr%40t@db.example:5432/gatehouse?sslmode=require')).toBe(
      'postgres://gh@db.example:5432/gatehouse?sslmode=require',
    );
  });

  it('removes a password given as a query parameter or libpq keyword', () => {
    expect(redactStoreUrl('postgresql://db/x?password=abc&sslmode=verify-full')).not.toContain('abc');
    expect(redactStoreUrl("host=db user=gh password='a b c' dbname=x")).toBe(
      'host=db user=gh password= dbname=x',
    );
  });
});
