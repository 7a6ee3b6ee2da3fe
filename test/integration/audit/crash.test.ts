// A `gatehouse serve` process killed with SIGKILL in the middle of a burst of logins: every login a client saw
// admitted (its connect() resolved, so the gateway had sent ReadyForQuery) has its committed db.connect success
// event in the store, and after a restart on the same store and data dir the chain (and its signed digests)
// verifies and keeps growing from where the killed process left it.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import type { GatehouseConfig } from '../../../src/config/schema.js';
import { verifyTrail } from '../../../src/core/audit-verify.js';
import { silentLogger } from '../../../src/core/logger.js';
import { type Gateway, startGateway } from '../../../src/gateway.js';
import { readDigests, readDropped, readHead, trailRows } from '../../../src/store/audit-read.js';
import { findFreePort } from '../../../src/store/embedded.js';
import { startEmbeddedPostgres, type TestPostgres } from '../../support/embedded-pg.js';
import { eventually, invariant, waitFor } from '../../support/eventually.js';
import { CLI_MAIN, userEnv } from '../../support/up-process.js';

/** Concurrent login loops in the burst. */
const LOOPS = 8;
/** Logins admitted before the process is killed. */
const KILL_AFTER = 40;
const INSTANCE = 'crash';

interface Attempt {
  readonly app: string;
  /** Started before the kill (the kill interrupted it), or after (refused: nothing listens any more). */
  readonly beforeKill: boolean;
}

describe('the audit trail when gatehouse serve is killed (SIGKILL) during a burst of logins', () => {
  let postgres: TestPostgres;
  let dataDir: string;
  let config: GatehouseConfig;
  let configFile: string;
  let port: number;
  const password = `Crash-${randomBytes(12).toString('base64url')}`;
  let child: ChildProcess | null = null;
  let childOutput = '';
  let restarted: Gateway | null = null;

  beforeAll(async () => {
    postgres = await startEmbeddedPostgres({ name: 'audit-crash' });
    const admin = new pg.Client({ connectionString: postgres.adminUrl('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE gatehouse');
    await admin.query('CREATE DATABASE app');
    await admin.end();
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-crash-'));
    const raw = {
      store: { url: postgres.adminUrl('gatehouse') },
      dataDir,
      api: { listen: '127.0.0.1:0' },
      logLevel: 'silent',
    };
    config = validateConfig(raw, {});
    configFile = join(dataDir, 'gatehouse.json'); // JSON is YAML
    await writeFile(configFile, JSON.stringify(raw), { mode: 0o600 });

    // The state: an instance on a fixed port and a password user allowed to read a table. Created in-process
    // (this also creates the master key and the audit signing key in the data dir), then closed.
    port = await findFreePort();
    const prep = await startGateway({ config, dataDir, logger: silentLogger, createMasterKey: true });
    try {
      await prep.controlPlane.createInstance({
        identifier: INSTANCE,
        engine: 'postgres',
        backendUrl: `${postgres.adminUrl('app')}?sslmode=disable`,
        listen: `127.0.0.1:${port}`,
        forceSsl: false,
      });
      await prep.controlPlane.createDbUser({
        instance: INSTANCE,
        username: 'alice',
        auth: 'password',
        password,
      });
    } finally {
      await prep.close();
    }
    const app = new pg.Client({ connectionString: postgres.adminUrl('app') });
    await app.connect();
    await app.query(
      "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'espresso')",
    );
    await app.query('GRANT SELECT ON items TO alice');
    await app.end();
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await restarted?.close();
    await postgres?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const newClient = (app: string) => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'alice',
      password,
      database: 'app',
      application_name: app,
      connectionTimeoutMillis: 10_000,
    });
    client.on('error', () => {}); // a connection cut by the kill is seen by the awaited call
    return client;
  };

  /** One login that reads the table and ends; throws what the client saw. */
  async function login(app: string): Promise<void> {
    const client = newClient(app);
    try {
      await client.connect();
      await client.query('SELECT name FROM items');
    } finally {
      await client.end().catch(() => {});
    }
  }

  function spawnServe(): { exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
    const proc = spawn(process.execPath, [CLI_MAIN, 'serve', '--config', configFile], {
      env: userEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout?.setEncoding('utf8').on('data', (s: string) => {
      childOutput += s;
    });
    proc.stderr?.setEncoding('utf8').on('data', (s: string) => {
      childOutput += s;
    });
    return {
      exit: new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal }))),
    };
  }

  async function verifyStore(gateway: Gateway) {
    const pool = gateway.store.pool;
    if (!gateway.audit) throw new Error('the restarted gateway runs without its durable trail');
    return verifyTrail({
      rows: trailRows(pool),
      head: await readHead(pool),
      digests: await readDigests(pool),
      dropped: await readDropped(pool),
      publicKeys: [gateway.audit.signer.publicKey],
    });
  }

  it('loses no db.connect event of an admitted login, and the chain verifies after the restart', async () => {
    const started = performance.now();
    const { exit } = spawnServe();
    await eventually(
      async () => {
        invariant(() => {
          if (child?.exitCode !== null || child?.signalCode !== null)
            throw new Error(
              `gatehouse serve exited (${child?.exitCode ?? child?.signalCode}):\n${childOutput}`,
            );
        });
        await login('probe');
      },
      { timeoutMs: 30_000, intervalMs: 50, what: `gatehouse serve admitting logins on port ${port}` },
    );
    const upMs = performance.now() - started;

    // The burst: LOOPS loops logging in one after the other until the process is gone.
    const admitted: string[] = [];
    const connecting = new Set<string>();
    const failed: (Attempt & { message: string })[] = [];
    let killed = false;
    let connectingAtKill: string[] = [];
    let admittedAtKill = 0;
    let next = 0;
    const loop = async (): Promise<void> => {
      for (;;) {
        const attempt: Attempt = { app: `burst-${next++}`, beforeKill: !killed };
        const client = newClient(attempt.app);
        connecting.add(attempt.app);
        try {
          await client.connect();
          connecting.delete(attempt.app);
          admitted.push(attempt.app);
          if (!killed && admitted.length >= KILL_AFTER) {
            killed = true;
            connectingAtKill = [...connecting];
            admittedAtKill = admitted.length;
            child?.kill('SIGKILL');
          }
          await client.query('SELECT 1');
          await client.end();
        } catch (e) {
          failed.push({ ...attempt, message: e instanceof Error ? e.message : String(e) });
          return;
        } finally {
          connecting.delete(attempt.app);
          await client.end().catch(() => {});
        }
      }
    };
    const burstStarted = performance.now();
    await Promise.all(Array.from({ length: LOOPS }, () => loop()));
    const burstMs = performance.now() - burstStarted;
    expect(await exit).toEqual({ code: null, signal: 'SIGKILL' });

    // Not vacuous: enough logins were admitted, others were in the middle of logging in at the kill, and every
    // loop ended on a connection error, some of them on an attempt the kill interrupted.
    expect(killed).toBe(true);
    expect(admitted.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(connectingAtKill.length).toBeGreaterThan(0);
    expect(failed).toHaveLength(LOOPS);
    expect(failed.filter((f) => f.beforeKill).length).toBeGreaterThan(0);

    // The restart (in-process, same store and data dir: same master key, same audit signing key).
    restarted = await startGateway({ config, dataDir, logger: silentLogger });
    const gateway = restarted;
    const audit = gateway.audit;
    if (!audit) throw new Error('the restarted gateway runs without its durable trail');
    const successes = async () =>
      new Map(
        (
          await gateway.store.pool.query<{ body: string; seq: string }>(
            `SELECT body, seq::text AS seq FROM gh_audit_events
              WHERE event_name = 'db.connect' AND outcome = 'success' ORDER BY gh_audit_events.seq`,
          )
        ).rows.map((r) => {
          const event = JSON.parse(r.body) as { application?: string; instance?: string; requestId: string };
          return [event.application ?? '', { ...event, seq: r.seq }] as const;
        }),
      );
    const recorded = await successes();
    const missing = admitted.filter((app) => !recorded.has(app));
    expect(missing).toEqual([]);
    for (const app of admitted) expect(recorded.get(app)).toMatchObject({ instance: INSTANCE });
    const recordedBurst = [...recorded.keys()].filter((a) => a.startsWith('burst-')).length;

    // The chain as the killed process left it verifies, and the restarted node continues it.
    const atRestart = await verifyStore(gateway);
    expect(atRestart.findings).toEqual([]);
    expect(atRestart.ok).toBe(true);
    await eventually(() => login('after-restart'), {
      timeoutMs: 15_000,
      what: 'a login through the restarted gateway',
    });
    const afterRestart = await waitFor(async () => (await successes()).get('after-restart'), {
      what: 'the db.connect event of the login after the restart',
    });
    // Its session's end is written too (emitted once the gateway sees the client go): wait, then sign it all.
    await waitFor(
      async () =>
        (
          await gateway.store.pool.query(
            `SELECT 1 FROM gh_audit_events WHERE event_name = 'db.disconnect' AND request_id = $1`,
            [afterRestart.requestId],
          )
        ).rowCount === 1,
      { what: 'the db.disconnect event of the login after the restart' },
    );
    await audit.trail.flush();
    expect(await audit.digestNow()).not.toBeNull();
    const report = await verifyStore(gateway);
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, signaturesChecked: true, unsignedTail: 0, firstSeq: '1' });
    expect(report.events).toBeGreaterThan(atRestart.events);
    expect(report.digests).toBeGreaterThanOrEqual(2); // the first start's and this one

    console.info(
      `crash: serve up in ${Math.round(upMs)} ms; burst ${Math.round(burstMs)} ms: ${admittedAtKill} logins admitted ` +
        `at the kill, ${admitted.length} in all (${connectingAtKill.length} mid-login at the kill), ${recordedBurst} burst db.connect ` +
        `successes committed, ${failed.filter((f) => f.beforeKill).length} attempts cut by the kill; ` +
        `${report.events} events verified, ${report.digests} digests`,
    );
  });
});
