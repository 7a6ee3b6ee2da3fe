// The gateway's own store database is closed to the database users it creates: on `gatehouse up` (and any
// deployment whose instances share the store's PostgreSQL server) a user could otherwise log in to it by
// naming it at connect time, since PostgreSQL gives PUBLIC CONNECT on a new database.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../src/store/embedded.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';

describe('the store database and users of instances on the same server', () => {
  let t: TestGateway;
  let port: number;
  let password: string;

  const login = async (database: string): Promise<string> => {
    const c = new pg.Client({
      host: 'localhost',
      port,
      user: 'eve',
      password,
      database,
      ssl: { ca: readFileSync(t.caFile, 'utf8'), servername: 'localhost' },
    });
    try {
      await c.connect();
      const { rows } = await c.query<{ db: string }>('SELECT current_database() AS db');
      return `in ${rows[0]?.db}`;
    } catch (e) {
      return `refused ${(e as { code?: string }).code}: ${(e as Error).message}`;
    } finally {
      await c.end().catch(() => {});
    }
  };

  beforeAll(async () => {
    t = await startTestGateway({ defaultBackend: true });
    port = await findFreePort();
    // As an rds:CreateDBInstance caller would: no BackendUrl (the default backend), a database of its own.
    await t.gateway.controlPlane.createInstance({
      identifier: 'shop',
      engine: 'postgres',
      dbName: 'shop',
      listen: `127.0.0.1:${port}`,
      forceSsl: false,
    });
    const user = await t.gateway.controlPlane.createDbUser({
      instance: 'shop',
      username: 'eve',
      auth: 'password',
    });
    password = user.generatedPassword as string;
  }, 120_000);
  afterAll(async () => t?.stop());

  it("a user logs in to its instance's database, but naming the store's database is refused by PostgreSQL", async () => {
    expect(await login('shop')).toBe('in shop');
    expect(await login('gatehouse')).toMatch(/^refused 42501: permission denied for database "?gatehouse"?/);
  });

  it('PUBLIC has neither CONNECT nor TEMPORARY on the store database (revoked at start; idempotent)', async () => {
    const { rows } = await t.gateway.store.pool.query<{ connect: boolean; temp: boolean }>(
      `SELECT has_database_privilege('public', current_database(), 'CONNECT') AS connect,
              has_database_privilege('public', current_database(), 'TEMPORARY') AS temp`,
    );
    expect(rows[0]).toEqual({ connect: false, temp: false });
  });
});
