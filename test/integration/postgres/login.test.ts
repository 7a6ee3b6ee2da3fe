// Password login through Gatehouse with node-postgres over verified TLS (the basic path every other test builds on).
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';

describe('password login through the gateway', () => {
  let t: TestGateway;
  let port: number;
  let password: string;

  beforeAll(async () => {
    t = await startTestGateway();
    port = await t.createInstance('login');
    password = await t.createUser('login', 'alice');
  });
  afterAll(async () => t?.stop());

  it('node-postgres logs in with sslmode=verify-full against ca.pem and reads the backend as the mapped user', async () => {
    const client = new pg.Client({
      host: 'localhost',
      port,
      user: 'alice',
      password,
      database: 'app',
      ssl: { ca: readFileSync(t.caFile, 'utf8'), servername: 'localhost' },
    });
    await client.connect();
    const { rows } = await client.query('SELECT current_user AS u, name FROM items');
    await client.end();
    expect(rows).toEqual([{ u: 'alice', name: 'espresso' }]);
  });
});
