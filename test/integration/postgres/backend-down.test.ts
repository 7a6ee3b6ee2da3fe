// A stopped backend: logins fail fast with 08006 naming the instance, and the gateway keeps serving other instances.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type TestPostgres } from '../../support/embedded-pg.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { tryLogin } from '../../support/pg-login.js';
import { conninfo, runPsql } from '../../support/psql.js';
import { requireBinary } from '../../support/require-binary.js';

const psql = requireBinary('psql');
/** Functional bound: a dead backend must be reported well before a client would give up (not a perf assertion). */
const PROMPT_MS = 10_000;
const UNREACHABLE = /^could not connect to the backend of instance "down" \(request id [0-9a-f]{16}\)$/;

describe('backend down behind the gateway', () => {
  let t: TestGateway;
  let pg2: TestPostgres;
  let downPort: number;
  let upPort: number;
  let ca: string;
  const downPassword = 'password-of-dora';
  let upPassword: string;

  beforeAll(async () => {
    [t, pg2] = await Promise.all([startTestGateway(), startEmbeddedPostgres({ name: 'backend-down' })]);
    ca = readFileSync(t.caFile, 'utf8');
    downPort = await t.createInstance('down', { backendUrl: `${pg2.adminUrl('postgres')}?sslmode=disable` });
    // The helper's createUser grants on the first cluster's `app`; this user lives on the second cluster.
    await t.gateway.controlPlane.createDbUser({
      instance: 'down',
      username: 'dora',
      auth: 'password',
      password: downPassword,
    });
    upPort = await t.createInstance('up');
    upPassword = await t.createUser('up', 'uma');
  });
  afterAll(async () => {
    await pg2?.stop();
    await t?.stop();
  });

  const pgLogin = (port: number, user: string, password: string, database: string) =>
    tryLogin({ port, user, password, database, ca });

  it('once the backend stops, logins fail quickly with 08006 naming the instance (node-postgres and psql)', async () => {
    // Control: the same login works while the backend is up, so the failure below is the backend's absence.
    expect(await pgLogin(downPort, 'dora', downPassword, 'postgres')).toMatchObject({ user: 'dora' });
    await pg2.stop();

    const refused = await pgLogin(downPort, 'dora', downPassword, 'postgres');
    expect(refused).toMatchObject({ code: '08006' });
    expect(refused.message).toMatch(UNREACHABLE);
    expect(refused.elapsedMs).toBeLessThan(PROMPT_MS);

    if (psql) {
      const info = conninfo({
        host: 'localhost',
        port: downPort,
        user: 'dora',
        dbname: 'postgres',
        sslmode: 'verify-full',
        sslrootcert: t.caFile,
      });
      const r = await runPsql(info, 'select 1', { bin: psql, password: downPassword, timeoutMs: 30_000 });
      expect(r.timedOut).toBe(false);
      expect(r.elapsedMs).toBeLessThan(PROMPT_MS);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /FATAL: {2}could not connect to the backend of instance "down" \(request id [0-9a-f]{16}\)/,
      );
    }
  });

  it('the gateway keeps serving other instances while one backend is down', async () => {
    await pg2.stop(); // idempotent: holds whether or not the previous test ran first
    expect(await pgLogin(upPort, 'uma', upPassword, 'app')).toMatchObject({ user: 'uma' });
    expect(await pgLogin(downPort, 'dora', downPassword, 'postgres')).toMatchObject({ code: '08006' });
    expect(await pgLogin(upPort, 'uma', upPassword, 'app')).toMatchObject({ user: 'uma' });
  });
});
