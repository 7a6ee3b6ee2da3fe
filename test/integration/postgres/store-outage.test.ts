// A state store that stops accepting connections: logins get 08006 GH_STORE_UNAVAILABLE, the management API 503,
// the CLI says it is temporary, the log has one line per outage, and everything works again without a restart.
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createApiClient } from '../../../src/cli/api-client.js';
import { runCli } from '../../../src/cli/program.js';
import { createLogger } from '../../../src/core/logger.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { conninfo, runPsql } from '../../support/psql.js';
import { requireBinary } from '../../support/require-binary.js';
import { testIo } from '../../unit/cli/support/cli-io.js';

const psql = requireBinary('psql');
const TEMPORARY = 'cannot reach the state store: this is temporary, retry in a few seconds';
const REQUEST_ID = '\\(request id [0-9a-f]{16}\\)';
const OUTAGE_LINE = 'state store unreachable';
const BACK_LINE = 'state store reachable again';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

describe('state store outage', () => {
  let t: TestGateway;
  let admin: pg.Client;
  let ca: string;
  let port: number;
  let password: string;
  let credentials: { accessKeyId: string; secretAccessKey: string };
  const lines: string[] = [];
  const log = (): LogLine[] => lines.map((l) => JSON.parse(l) as LogLine);

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    t = await startTestGateway({ logger: createLogger({ level: 'info', destination }) });
    ca = readFileSync(t.caFile, 'utf8');
    port = await t.createInstance('shop');
    password = await t.createUser('shop', 'sam');
    const key = t.gateway.bootstrapKey;
    if (!key) throw new Error('the test gateway created no bootstrap key');
    credentials = key;
    admin = new pg.Client({ connectionString: t.postgres.adminUrl('postgres') });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query('ALTER DATABASE gatehouse WITH ALLOW_CONNECTIONS true').catch(() => {});
    await admin?.end().catch(() => {});
    await t?.stop();
  });

  async function login(): Promise<{ user?: string; code?: string; message?: string }> {
    const client = new pg.Client({
      host: 'localhost',
      port,
      user: 'sam',
      password,
      database: 'app',
      ssl: { ca, servername: 'localhost' },
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ u: string }>('select current_user AS u');
      return { user: rows[0]?.u ?? '' };
    } catch (e) {
      const err = e as Error & { code?: string };
      return { code: err.code ?? '', message: err.message };
    } finally {
      await client.end().catch(() => {});
    }
  }

  async function cli(args: string[]) {
    const io = testIo({
      env: {
        GATEHOUSE_ACCESS_KEY_ID: credentials.accessKeyId,
        GATEHOUSE_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      },
    });
    const code = await runCli(
      ['--data-dir', t.dataDir, '--endpoint-url', t.gateway.apiUrl, '--ca-bundle', t.caFile, ...args],
      io.io,
    );
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  }

  async function apiCall(): Promise<{
    status: number;
    code?: string;
    gatehouseCode?: string;
    message?: string;
  }> {
    const client = createApiClient({
      endpoint: new URL(t.gateway.apiUrl),
      region: t.gateway.account.region,
      credentials,
      caPem: ca,
    });
    try {
      await client.call('ListDBUsers', { DBInstanceIdentifier: 'shop' });
      return { status: 200 };
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      return { status: e.status, code: e.code, gatehouseCode: e.gatehouseCode, message: e.message };
    }
  }

  /** The reproduction from the issue: the store database refuses new connections and loses its open ones. */
  async function takeStoreDown(): Promise<void> {
    await admin.query('ALTER DATABASE gatehouse WITH ALLOW_CONNECTIONS false');
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'gatehouse' AND pid <> pg_backend_pid()",
    );
    await expect
      .poll(
        async () =>
          (
            await admin.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'gatehouse'",
            )
          ).rows[0]?.n,
        { timeout: 10_000 },
      )
      .toBe(0);
  }

  it('logins get 08006 GH_STORE_UNAVAILABLE saying it is temporary, API calls 503, one log line per outage; all works again without a restart', async () => {
    // Control: the login and the API call work while the store is up.
    expect(await login()).toEqual({ user: 'sam' });
    expect((await cli(['db', 'list-users', '--db-instance-identifier', 'shop'])).code).toBe(0);
    const before = lines.length;

    await takeStoreDown();

    const attempts = 5;
    for (let i = 0; i < attempts; i++) {
      const refused = await login();
      expect(refused.code).toBe('08006');
      expect(refused.message).toMatch(new RegExp(`^${TEMPORARY} ${REQUEST_ID}$`));
    }
    let psqlAttempts = 0;
    if (psql) {
      psqlAttempts = 1;
      const info = conninfo({
        host: 'localhost',
        port,
        user: 'sam',
        dbname: 'app',
        sslmode: 'verify-full',
        sslrootcert: t.caFile,
      });
      const r = await runPsql(info, 'select 1', { bin: psql, password, timeoutMs: 30_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`FATAL: {2}${TEMPORARY} ${REQUEST_ID}`));
    }

    const api = await apiCall();
    expect(api).toMatchObject({
      status: 503,
      code: 'ServiceUnavailable',
      gatehouseCode: 'GH_STORE_UNAVAILABLE',
    });
    expect(api.message).toMatch(new RegExp(`^${TEMPORARY} ${REQUEST_ID}$`));

    const listed = await cli(['db', 'list-users', '--db-instance-identifier', 'shop']);
    expect(listed.code).toBe(1);
    expect(listed.stdout).toBe('');
    expect(listed.stderr).toMatch(
      new RegExp(`^gatehouse: ${TEMPORARY} ${REQUEST_ID} \\[GH_STORE_UNAVAILABLE\\]\\n$`),
    );

    // The AWS Query protocol (IAM, through the AWS SDK, which retries a 503 before giving up) says the same.
    const iamListed = await cli(['iam', 'list-users']);
    expect(iamListed.code).toBe(1);
    expect(iamListed.stderr).toBe(
      `gatehouse: An error occurred (ServiceUnavailable) when calling the ListUsers operation: ${TEMPORARY} [GH_STORE_UNAVAILABLE]\n`,
    );

    // One warn for the whole outage, no stack and no error line for any of the attempts.
    const during = log().slice(before);
    expect(during.filter((l) => l.msg.startsWith(OUTAGE_LINE))).toHaveLength(1);
    expect(during.find((l) => l.msg.startsWith(OUTAGE_LINE))).toMatchObject({
      level: 40,
      code: 'GH_STORE_UNAVAILABLE',
    });
    expect(during.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.slice(before).filter((l) => l.includes('"stack"'))).toEqual([]);
    expect(during.filter((l) => l.msg === BACK_LINE)).toEqual([]);

    // Recovery, same process: the pool opens new connections once the store accepts them.
    await admin.query('ALTER DATABASE gatehouse WITH ALLOW_CONNECTIONS true');
    expect(await login()).toEqual({ user: 'sam' });
    const recovered = await cli(['db', 'list-users', '--db-instance-identifier', 'shop']);
    expect(recovered).toMatchObject({ code: 0, stderr: '' });
    expect(recovered.stdout).toContain('sam');

    const back = log()
      .slice(before)
      .filter((l) => l.msg === BACK_LINE);
    expect(back).toHaveLength(1);
    expect(back[0]?.['failedAttempts']).toBeGreaterThanOrEqual(attempts + psqlAttempts + 3);
    expect(back[0]?.['outageMs']).toEqual(expect.any(Number));
    expect(
      log()
        .slice(before)
        .filter((l) => l.msg.startsWith(OUTAGE_LINE)),
    ).toHaveLength(1);
  });
});
