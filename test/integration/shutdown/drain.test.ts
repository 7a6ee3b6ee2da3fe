// Stopping a gateway with sessions open: it stops accepting, tells idle sessions at once (FATAL 57P01 "terminating
// connection due to administrator command", what PostgreSQL itself sends), lets a transaction finish within the drain
// period, tells the rest at its end, commits their disconnect events and stops without a warning, error or stack.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, SessionEndedEvent } from '../../../src/core/audit.js';
import { createLogger } from '../../../src/core/logger.js';
import { waitFor } from '../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { conninfo, startPsql } from '../../support/psql.js';
import { requireBinary } from '../../support/require-binary.js';

const PSQL = requireBinary('psql');
const FATAL = 'FATAL:  terminating connection due to administrator command';
const DRAIN_MS = 4000;

interface LogLine {
  level: number;
  msg: string;
  stack?: string;
}

/** psql reading its commands from a pipe (`\watch` keeps it sending), with what it printed. */
function psqlOnStdin(info: string, password: string, script: string) {
  const child: ChildProcess = spawn(PSQL as string, ['-X', '-A', '-t', '-w', info], {
    env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '15' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stdin?.write(script);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe.skipIf(PSQL === null)('stopping a gateway with sessions open', () => {
  const lines: string[] = [];
  const events: AuditEvent[] = [];
  let t: TestGateway;
  let port: number;
  let password: string;

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    t = await startTestGateway({
      logger: createLogger({ level: 'info', destination }),
      audit: { emit: (e) => void events.push(e) },
    });
    port = await t.createInstance('drain');
    password = await t.createUser('drain', 'dora');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const pgClient = async () => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'dora', password, database: 'app' });
    const errors: Array<Error & { code?: string }> = [];
    client.on('error', (e) => errors.push(e));
    await client.connect();
    return { client, errors };
  };

  it('idle sessions are told at once, a transaction commits within the drain, the rest are told at its end', async () => {
    const tls = { host: 'localhost', port, user: 'dora', dbname: 'app', sslmode: 'require' };
    const idle = await pgClient();
    await idle.client.query('SELECT 1');
    const inTransaction = await pgClient();
    await inTransaction.client.query('BEGIN');
    await inTransaction.client.query('SELECT name FROM items');
    // psql over TLS, idle between two runs of its \watch.
    const watching = psqlOnStdin(conninfo(tls), password, 'SELECT 41 + 1 \\watch 0.2\n');
    await waitFor(() => watching.output().includes('42'), {
      timeoutMs: 15_000,
      what: 'psql to run its query',
    });
    // psql over TLS with a statement running through the whole drain.
    const busy = startPsql(conninfo(tls), 'SELECT pg_sleep(60)', { bin: PSQL as string, password });
    await waitFor(
      async () =>
        (await t.backendSql("SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'"))
          .rowCount === 1,
      { timeoutMs: 15_000, what: 'the busy psql statement to run' },
    );
    await waitFor(() => t.gateway.listeners.get('drain')?.activeSessions === 4, {
      what: 'four relaying sessions',
    });

    const stages: string[] = [];
    const started = performance.now();
    const stopped = t.gateway.close({ drainMs: DRAIN_MS, progress: (l) => stages.push(l) });

    // Told at once: the idle node-postgres client and the idle psql.
    await waitFor(() => idle.errors.length > 0, { what: 'the idle client to be told' });
    expect(idle.errors[0]?.code).toBe('57P01');
    expect(idle.errors[0]?.message).toMatch(/^terminating connection due to administrator command/);
    watching.child.stdin?.end();
    expect(await watching.exited).not.toBe(0);
    expect(watching.output()).toContain(FATAL);
    expect(watching.output()).not.toContain('SSL SYSCALL error');
    // New connections are refused: the listener is closed.
    const refused = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve('connected'));
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(refused).toBe('ECONNREFUSED');

    // The transaction goes on and commits within the drain period; then (idle) it is told.
    expect(performance.now() - started).toBeLessThan(DRAIN_MS);
    await inTransaction.client.query('SELECT count(*) FROM items');
    const committed = await inTransaction.client.query('COMMIT');
    expect(committed.command).toBe('COMMIT');
    await waitFor(() => inTransaction.errors.length > 0, { what: 'the committed session to be told' });
    expect(inTransaction.errors[0]?.code).toBe('57P01');

    // The statement still running at the deadline: told then, psql prints it (not a TLS EOF).
    const busyResult = await busy.done;
    expect(performance.now() - started).toBeGreaterThanOrEqual(DRAIN_MS - 50);
    expect(busyResult.stderr).toContain(FATAL);
    expect(busyResult.stderr).not.toContain('SSL SYSCALL error');
    await stopped;

    expect(stages).toEqual([
      'Stopping: no longer accepting connections',
      'Draining 4 sessions (up to 4 s)…',
      'Closed 4 sessions',
      'Audit trail flushed',
      'Store closed',
    ]);
    // Every session ended with reason shutdown, and those events are committed to the trail.
    const ended = events.filter((e): e is SessionEndedEvent => e.type === 'db.disconnect');
    expect(ended.map((e) => e.reason)).toEqual(['shutdown', 'shutdown', 'shutdown', 'shutdown']);
    const stored = await storeSql("SELECT request_id FROM gh_audit_events WHERE outcome = 'shutdown'");
    expect(stored.map((r) => r['request_id']).sort()).toEqual(ended.map((e) => e.requestId).sort());
    // A clean stop: nothing at warn level or above, no stack anywhere.
    const logged = lines.map((l) => JSON.parse(l) as LogLine);
    expect(logged.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
    expect(lines.filter((l) => l.includes('"stack"'))).toEqual([]);
    await idle.client.end().catch(() => {});
    await inTransaction.client.end().catch(() => {});
  });

  async function storeSql(sql: string): Promise<Array<Record<string, unknown>>> {
    const client = new pg.Client({ connectionString: t.postgres.adminUrl('gatehouse') });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  }
});
