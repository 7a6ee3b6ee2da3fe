// psql, node-postgres and postgres.js through the gateway: verified TLS, channel binding, plaintext, start-up state.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCertificates } from '../../../src/tls/ca.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { conninfo, runPsql } from '../../support/psql.js';
import { requireBinary } from '../../support/require-binary.js';

const psql = requireBinary('psql');
const HOSTS = ['localhost', '127.0.0.1'] as const;

interface LogLine {
  readonly msg?: string;
  readonly user?: string;
  readonly method?: string;
}

describe('real clients over TLS through the gateway', () => {
  const logs: LogLine[] = [];
  let t: TestGateway;
  let port: number;
  let password: string;
  let caPem: string;
  let otherCaDir: string;
  let otherCaFile: string;
  let backend: { serverVersion: string; timeZone: string };

  const sessionMethods = (user: string): (string | undefined)[] =>
    logs.filter((l) => l.msg === 'session started' && l.user === user).map((l) => l.method);

  const psqlInfo = (host: string, extra: Record<string, string> = {}, user = 'alice') =>
    conninfo({ host, port, user, dbname: 'app', sslmode: 'verify-full', sslrootcert: t.caFile, ...extra });

  const pgUrl = (host: string, user = 'alice', pw = password) =>
    `postgresql://${user}:${encodeURIComponent(pw)}@${host}:${port}/app?sslmode=verify-full&sslrootcert=${encodeURIComponent(t.caFile)}`;

  beforeAll(async () => {
    // The operator log says which SCRAM variant each session used: the only way to prove -PLUS was chosen.
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
    );
    t = await startTestGateway({ logger });
    port = await t.createInstance('tls');
    password = await t.createUser('tls', 'alice');
    caPem = await readFile(t.caFile, 'utf8');
    otherCaDir = await mkdtemp(join(tmpdir(), 'gatehouse-other-ca-'));
    otherCaFile = (await ensureCertificates(otherCaDir)).caFile;
    const admin = new pg.Client({ connectionString: t.postgres.adminUrl('app') });
    await admin.connect();
    const version = await admin.query<{ server_version: string }>('SHOW server_version');
    const zone = await admin.query<{ TimeZone: string }>('SHOW timezone');
    await admin.end();
    backend = { serverVersion: version.rows[0]!.server_version, timeZone: zone.rows[0]!.TimeZone };
  });
  afterAll(async () => {
    await t?.stop();
    if (otherCaDir) await rm(otherCaDir, { recursive: true, force: true });
  });

  it.skipIf(!psql).each(HOSTS)(
    'psql logs in with sslmode=verify-full to host=%s, reads items and runs as the mapped user',
    async (host) => {
      const r = await runPsql(psqlInfo(host), ['select * from items', 'select current_user'], {
        bin: psql!,
        password,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(['1|espresso', 'alice']);
    },
  );

  it.each(HOSTS)(
    'node-postgres logs in with sslmode=verify-full to host=%s, reads items and runs as the mapped user',
    async (host) => {
      const client = new pg.Client({ connectionString: pgUrl(host) });
      await client.connect();
      try {
        expect((await client.query('select * from items')).rows).toEqual([{ id: 1, name: 'espresso' }]);
        expect((await client.query('select current_user AS u')).rows).toEqual([{ u: 'alice' }]);
      } finally {
        await client.end();
      }
    },
  );

  it.each(HOSTS)(
    'postgres.js logs in with verified TLS to host=%s, reads items and runs as the mapped user',
    async (host) => {
      const sql = postgres({
        host,
        port,
        user: 'alice',
        pass: password,
        database: 'app',
        ssl: { ca: caPem, rejectUnauthorized: true },
        max: 1,
        onnotice: () => {},
      });
      try {
        expect(await sql`select * from items`).toEqual([{ id: 1, name: 'espresso' }]);
        expect(await sql`select current_user AS u`).toEqual([{ u: 'alice' }]);
      } finally {
        await sql.end();
      }
    },
  );

  it.skipIf(!psql)('psql with channel_binding=require logs in with SCRAM-SHA-256-PLUS', async () => {
    const pw = await t.createUser('tls', 'cb_psql');
    const r = await runPsql(
      psqlInfo('localhost', { channel_binding: 'require' }, 'cb_psql'),
      'select current_user',
      {
        bin: psql!,
        password: pw,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('cb_psql');
    expect(sessionMethods('cb_psql')).toEqual(['scram-sha-256-plus']);
  });

  it('node-postgres with enableChannelBinding uses SCRAM-SHA-256-PLUS, and plain SCRAM without it', async () => {
    const bound = await t.createUser('tls', 'cb_node');
    const unbound = await t.createUser('tls', 'cb_none');
    for (const [user, pw, enableChannelBinding] of [
      ['cb_node', bound, true],
      ['cb_none', unbound, false],
    ] as const) {
      const client = new pg.Client({ connectionString: pgUrl('localhost', user, pw), enableChannelBinding });
      await client.connect();
      const { rows } = await client.query('select current_user AS u');
      await client.end();
      expect(rows).toEqual([{ u: user }]);
    }
    expect(sessionMethods('cb_node')).toEqual(['scram-sha-256-plus']);
    expect(sessionMethods('cb_none')).toEqual(['scram-sha-256']);
  });

  it('a client verifying against a different CA fails the TLS check (psql and node-postgres)', async () => {
    const client = new pg.Client({
      host: 'localhost',
      port,
      user: 'alice',
      password,
      database: 'app',
      ssl: { ca: await readFile(otherCaFile, 'utf8'), servername: 'localhost' },
    });
    const error = await client.connect().then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    await client.end().catch(() => {});
    expect(error?.code).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    if (psql) {
      const r = await runPsql(psqlInfo('localhost', { sslrootcert: otherCaFile }), 'select 1', {
        bin: psql,
        password,
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/certificate verify failed/);
      expect(r.stdout).toBe('');
    }
  });

  it('plaintext login (sslmode=disable) works on an instance without force_ssl', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'alice',
      password,
      database: 'app',
      ssl: false,
    });
    await client.connect();
    const { rows } = await client.query('select current_user AS u, name from items');
    await client.end();
    expect(rows).toEqual([{ u: 'alice', name: 'espresso' }]);
    if (psql) {
      const info = conninfo({ host: '127.0.0.1', port, user: 'alice', dbname: 'app', sslmode: 'disable' });
      const r = await runPsql(info, 'select current_user', { bin: psql, password });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('alice');
    }
  });

  it.skipIf(!psql)('psql sees the backend server_version and its own application_name', async () => {
    const r = await runPsql(
      psqlInfo('localhost', { application_name: 'gh-psql-app' }),
      ['show server_version', 'show application_name'],
      { bin: psql!, password },
    );
    expect(r.stderr).toBe('');
    // Its own application_name, with the audit request id Gatehouse appends (identity propagation).
    const [version, app] = r.stdout.trim().split('\n');
    expect(version).toBe(backend.serverVersion);
    expect(app).toMatch(/^gh-psql-app \[gh:[0-9a-f]{16}\]$/);
  });

  it('node-postgres receives the backend ParameterStatus values and its application_name reaches the backend', async () => {
    const client = new pg.Client({ connectionString: pgUrl('localhost'), application_name: 'gh-node-app' });
    const status = new Map<string, string>();
    client.connection.on('parameterStatus', (m: { parameterName: string; parameterValue: string }) =>
      status.set(m.parameterName, m.parameterValue),
    );
    await client.connect();
    const { rows } = await client.query<{ application_name: string }>('show application_name');
    const activity = await client.query<{ application_name: string; usename: string }>(
      'select application_name, usename from pg_stat_activity where pid = pg_backend_pid()',
    );
    await client.end();
    expect(status.get('server_version')).toBe(backend.serverVersion);
    expect(status.get('TimeZone')).toBe(backend.timeZone);
    // The client's application_name, with the audit request id Gatehouse appends (identity propagation).
    const app = status.get('application_name');
    expect(app).toMatch(/^gh-node-app \[gh:[0-9a-f]{16}\]$/);
    expect(status.get('is_superuser')).toBe('off');
    expect(rows).toEqual([{ application_name: app }]);
    expect(activity.rows).toEqual([{ application_name: app, usename: 'alice' }]);
  });

  it('postgres.js receives the backend ParameterStatus values (sql.parameters)', async () => {
    const sql = postgres({
      host: 'localhost',
      port,
      user: 'alice',
      pass: password,
      database: 'app',
      ssl: { ca: caPem, rejectUnauthorized: true },
      max: 1,
      connection: { application_name: 'gh-postgresjs-app' },
    });
    try {
      const rows = await sql<{ application_name: string }[]>`show application_name`;
      const parameters = sql.parameters as unknown as Record<string, string>;
      const app = parameters['application_name'];
      // The client's application_name, with the audit request id Gatehouse appends (identity propagation).
      expect(app).toMatch(/^gh-postgresjs-app \[gh:[0-9a-f]{16}\]$/);
      expect(rows).toEqual([{ application_name: app }]);
      expect(parameters['server_version']).toBe(backend.serverVersion);
    } finally {
      await sql.end();
    }
  });
});
