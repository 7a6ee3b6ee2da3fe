// Connection limits a client can read: the pre-auth cap answered inside TLS, a per-source-address pre-auth cap that
// keeps one flooding address from starving the rest, and the per-instance session limit that answers before the
// backend's own max_connections.
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/core/audit.js';
import { waitFor } from '../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { conninfo, runPsql } from '../../support/psql.js';
import { RawPgConnection, startup, verifiedTls } from '../../support/raw-pg-client.js';
import { requireBinary } from '../../support/require-binary.js';

const psql = requireBinary('psql');
const REQUEST_ID = /\(request id [0-9a-f]{16}\)$/;
const PENDING_CAP = /^too many connections in authentication on this listener \(request id [0-9a-f]{16}\)$/;

/** A connection that asked for TLS and got 'S' (so the listener holds it as pending) and then says nothing. */
async function stalledTls(port: number, localAddress?: string): Promise<RawPgConnection> {
  const conn = await RawPgConnection.connect(port, '127.0.0.1', localAddress);
  const answer = await conn.requestSslOrError();
  if (answer !== 'S') throw new Error(`expected S, got ${answer instanceof Map ? answer.get('M') : answer}`);
  return conn;
}

describe('a client refused at the pre-auth cap reads why, inside TLS', () => {
  let t: TestGateway;
  let port: number;
  let password: string;
  const open: RawPgConnection[] = [];
  const events: AuditEvent[] = [];

  beforeAll(async () => {
    // Two pending connections fill the listener; two refusals at a time (one per source) get TLS.
    // A long deadline: the stalled connections must outlive the tests, which never wait for it.
    t = await startTestGateway({
      listener: { authTimeoutSeconds: 120, maxPendingConnections: 2, maxTlsRefusals: 2 },
      audit: { emit: (e) => void events.push(e) },
    });
    port = await t.createInstance('capped');
    password = await t.createUser('capped', 'carol');
    open.push(await stalledTls(port), await stalledTls(port));
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await t?.stop();
  });

  it.skipIf(!psql)(
    'psql with sslmode=require prints the 53300 message instead of "error response during SSL exchange"',
    async () => {
      const r = await runPsql(
        conninfo({ host: 'localhost', port, user: 'carol', dbname: 'app', sslmode: 'require' }),
        'select 1',
        { bin: psql!, password },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/error response during SSL exchange/);
      expect(r.stderr).toMatch(
        /FATAL: {2}too many connections in authentication on this listener \(request id [0-9a-f]{16}\)/,
      );
    },
  );

  it('the refusal is a FATAL 53300 ErrorResponse sent after the TLS handshake and the startup packet', async () => {
    const conn = await RawPgConnection.connect(port);
    expect(await conn.requestSslOrError()).toBe('S');
    await conn.startTls(verifiedTls(t.caFile));
    const result = await startup(conn, { user: 'carol', database: 'app', password });
    expect(result.messages.map((m) => m.type)).toEqual(['E']);
    expect(result.error?.get('S')).toBe('FATAL');
    expect(result.error?.get('C')).toBe('53300');
    expect(result.error?.get('M')).toMatch(PENDING_CAP);
    expect(await conn.closed).toBeGreaterThanOrEqual(0);
  });

  it('a plaintext client is refused after its startup packet, so the audit trail names the refused user', async () => {
    const conn = await RawPgConnection.connect(port);
    const result = await startup(conn, { user: 'carol', database: 'app', password });
    expect(result.error?.get('C')).toBe('53300');
    expect(result.error?.get('M')).toMatch(PENDING_CAP);
    const requestId = /\(request id ([0-9a-f]{16})\)$/.exec(result.error?.get('M') ?? '')?.[1];
    await waitFor(() => events.some((e) => e.requestId === requestId), {
      timeoutMs: 10_000,
      what: 'the audit event',
    });
    expect(events.find((e) => e.requestId === requestId)).toMatchObject({
      type: 'db.connect',
      dbUser: 'carol',
      tls: false,
      outcome: 'failure',
      code: 'GH_TOO_MANY_CONNECTIONS',
    });
  });

  it('TLS refusals are bounded: past one per source and two in all, the refusal is sent at once, before TLS', async () => {
    const listener = () => t.gateway.listeners.get('capped')!;
    // 127.0.0.3 takes its one TLS refusal slot and stalls in it.
    const held3 = await RawPgConnection.connect(port, '127.0.0.1', '127.0.0.3');
    open.push(held3);
    expect(await held3.requestSslOrError()).toBe('S');
    // Its second refused connection is answered at once with the error instead of 'S'.
    const second3 = await RawPgConnection.connect(port, '127.0.0.1', '127.0.0.3');
    open.push(second3);
    const immediate = await second3.requestSslOrError();
    expect(immediate).toBeInstanceOf(Map);
    expect((immediate as Map<string, string>).get('C')).toBe('53300');
    expect((immediate as Map<string, string>).get('M')).toMatch(PENDING_CAP);
    // 127.0.0.4 takes the second (last) slot; then even a fresh source 127.0.0.5 is refused at once.
    const held4 = await RawPgConnection.connect(port, '127.0.0.1', '127.0.0.4');
    open.push(held4);
    expect(await held4.requestSslOrError()).toBe('S');
    const fresh5 = await RawPgConnection.connect(port, '127.0.0.1', '127.0.0.5');
    open.push(fresh5);
    expect(await fresh5.requestSslOrError()).toBeInstanceOf(Map);
    expect(listener().admission).toEqual({ pending: 2, refusing: 2 });
    // When a stalled refusal goes away its slot is free again.
    held3.close();
    await waitFor(() => listener().admission.refusing === 1, {
      timeoutMs: 10_000,
      what: 'the TLS refusal slot to be released',
    });
    const again5 = await RawPgConnection.connect(port, '127.0.0.1', '127.0.0.5');
    open.push(again5);
    expect(await again5.requestSslOrError()).toBe('S');
  });
});

describe('the per-source pre-auth limit (listener.maxPendingPerSource)', () => {
  const SILENT = 1000;
  let t: TestGateway;
  let port: number;
  let password: string;
  const silent: Socket[] = [];

  beforeAll(async () => {
    // Defaults (1000 pending in all, 64 per source), with a deadline the silent sockets outlive.
    t = await startTestGateway({ listener: { authTimeoutSeconds: 120 } });
    port = await t.createInstance('shared');
    password = await t.createUser('shared', 'dave');
  });
  afterAll(async () => {
    for (const s of silent) s.destroy();
    await t?.stop();
  });

  it.skipIf(!psql)(
    '1,000 silent sockets from 127.0.0.2 leave a psql login from 127.0.0.1 working; 127.0.0.2 is told why it is refused',
    async () => {
      for (let batch = 0; batch < SILENT; batch += 100) {
        const sockets = Array.from({ length: 100 }, () =>
          netConnect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }),
        );
        for (const s of sockets) s.on('error', () => {}); // refused ones are closed under us
        await Promise.all(sockets.map((s) => new Promise((resolve) => s.once('connect', resolve))));
        silent.push(...sockets);
      }
      // Connections are accepted in order: once this one is answered, the listener has seen all 1,000.
      const probe = await RawPgConnection.connect(port, '127.0.0.1', '127.0.0.2');
      const answer = await probe.requestSslOrError();
      probe.close();
      expect(answer).not.toBeNull();

      const r = await runPsql(
        conninfo({ host: 'localhost', port, user: 'dave', dbname: 'app', sslmode: 'require' }),
        'select name from items',
        { bin: psql!, password },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('espresso');

      // 127.0.0.2 holds 64 pending and its share of TLS refusals, so the probe was refused at once, by name.
      expect(answer).toBeInstanceOf(Map);
      expect((answer as Map<string, string>).get('C')).toBe('53300');
      expect((answer as Map<string, string>).get('M')).toMatch(
        /^too many connections in authentication from 127\.0\.0\.2: at most 64 at once per client address \(request id [0-9a-f]{16}\)$/,
      );
      const { pending, refusing } = t.gateway.listeners.get('shared')!.admission;
      expect(pending).toBe(64);
      expect(refusing).toBe(25);
    },
  );
});

describe('the per-instance session limit (listener.maxSessionsPerInstance)', () => {
  const LIMIT = 3;
  let t: TestGateway;
  let port: number;
  let password: string;
  const clients: pg.Client[] = [];

  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'erin',
      password,
      database: 'app',
      ssl: { ca: readFileSync(t.caFile, 'utf8'), servername: 'localhost' },
    });
    client.on('error', () => {});
    await client.connect();
    clients.push(client);
    return client;
  };
  const backendSessions = async (): Promise<number> => {
    const { rows } = await t.backendSql(
      "select count(*)::int as n from pg_stat_activity where usename = 'erin'",
    );
    return (rows[0] as { n: number }).n;
  };

  beforeAll(async () => {
    t = await startTestGateway({ listener: { maxSessionsPerInstance: LIMIT } });
    port = await t.createInstance('limited');
    password = await t.createUser('limited', 'erin');
  });
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => {});
    await t?.stop();
  });

  it('the 4th session is refused with GH_INSTANCE_SESSION_LIMIT (53300) while the backend still has room', async () => {
    for (let i = 0; i < LIMIT; i++) await connect();
    expect(await backendSessions()).toBe(LIMIT);

    const error = await connect().then(
      () => null,
      (e: Error & { code?: string; severity?: string }) => e,
    );
    expect(error?.code).toBe('53300');
    expect(error?.severity).toBe('FATAL');
    expect(error?.message).toMatch(
      /^too many sessions on instance "limited": this Gatehouse node allows 3 at once \(request id [0-9a-f]{16}\)$/,
    );
    // The backend never saw the 4th, and it has plenty of room: its superuser still gets in.
    expect(await backendSessions()).toBe(LIMIT);
    const { rows } = await t.backendSql("select current_setting('max_connections')::int as max");
    expect((rows[0] as { max: number }).max).toBeGreaterThan(LIMIT + 10);
  });

  it('the refusal comes before authentication: no password is asked for', async () => {
    const conn = await RawPgConnection.connect(port);
    expect(await conn.requestSslOrError()).toBe('S');
    await conn.startTls(verifiedTls(t.caFile));
    const result = await startup(conn, { user: 'erin', database: 'app', password });
    expect(result.messages.map((m) => m.type)).toEqual(['E']);
    expect(result.error?.get('C')).toBe('53300');
    expect(result.error?.get('M')).toMatch(REQUEST_ID);
  });

  it('once a session ends, its slot is free for the next login', async () => {
    await clients.shift()!.end();
    await waitFor(() => t.gateway.listeners.get('limited')!.activeSessions < LIMIT, {
      timeoutMs: 10_000,
      what: 'a session to end',
    });
    const client = await connect();
    const { rows } = await client.query<{ u: string }>('select current_user as u');
    expect(rows).toEqual([{ u: 'erin' }]);
  });
});
