// Rolling restart when something goes away or the operator stops midway (docs/operations.md "Rolling restart"):
// a successor whose predecessor dies before handing the sockets over fails at once (never waits forever); a
// SIGTERM to the old process during a handover cancels it (the successor is killed before it serves, the port
// ends closed); a SIGTERM after the handover tells the operator the successor serves now; a successor whose
// predecessor was killed before it was ready does not serve.
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExited } from '../../../src/store/embedded-process.js';
import { MIGRATION_LOCK_KEY } from '../../../src/store/migrate.js';
import {
  type HandoverMessage,
  type PredecessorChannel,
  receiveSocketsFrom,
} from '../../../src/wiring/handover.js';
import { waitFor } from '../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { CLI_MAIN, userEnv } from '../../support/up-process.js';
import { writeServeConfig } from './support/serve-config.js';

const DRAIN_SECONDS = 2;

/** Whether `pid` runs (a zombie nobody reaped yet counts as gone). */
const isAlive = (pid: number): boolean => !hasExited(pid);

/** The child processes of `pid` (Linux). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter((s) => s.trim() !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A fake IPC channel to a predecessor, driven by the test. */
class FakeChannel extends EventEmitter {
  connected = true;
  readonly sent: HandoverMessage[] = [];
  send(m: HandoverMessage): boolean {
    this.sent.push(m);
    return true;
  }
  disconnect(): void {
    if (!this.connected) return;
    this.connected = false;
    this.emit('disconnect');
  }
}

describe('handover: a successor waiting for its sockets', () => {
  it('fails with a clear error when the predecessor goes away first, closing the sockets it got', async () => {
    const channel = new FakeChannel();
    const got = receiveSocketsFrom(channel as unknown as PredecessorChannel, 60_000);
    expect(channel.sent).toEqual([{ type: 'gatehouse:want-sockets' }]);
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    channel.emit('message', { type: 'gatehouse:socket', host: '127.0.0.1', port }, server);
    channel.disconnect(); // no "sockets-sent": the predecessor died midway
    await expect(got).rejects.toThrow(/predecessor process went away .*before it handed over its sockets/);
    expect(server.listening).toBe(false);
    expect(channel.listenerCount('message') + channel.listenerCount('disconnect')).toBe(0);
  });

  it('fails after its deadline when the sockets never come, leaving the IPC channel', async () => {
    const channel = new FakeChannel();
    const got = receiveSocketsFrom(channel as unknown as PredecessorChannel, 50);
    await expect(got).rejects.toThrow(/did not hand over its sockets within 0.05 s/);
    expect(channel.connected).toBe(false);
  });

  it('refuses to report ready once the predecessor is gone', async () => {
    const channel = new FakeChannel();
    const got = receiveSocketsFrom(channel as unknown as PredecessorChannel, 60_000);
    channel.emit('message', { type: 'gatehouse:sockets-sent' });
    const inheritance = await got;
    channel.disconnect();
    expect(() => inheritance.ready()).toThrow(/went away before this successor was ready/);
    expect(channel.sent).not.toContainEqual({ type: 'gatehouse:ready' });
  });
});

describe('gatehouse serve: a rolling restart interrupted', () => {
  let t: TestGateway;
  let port: number;
  let password: string;
  let configFile: string;
  const pids: number[] = [];
  const lockHolders: pg.Client[] = [];

  beforeAll(async () => {
    t = await startTestGateway();
    port = await t.createInstance('halt');
    password = await t.createUser('halt', 'hal');
    await t.gateway.close();
    ({ configFile } = await writeServeConfig(t, DRAIN_SECONDS));
  }, 120_000);
  afterAll(async () => {
    for (const c of lockHolders) await c.end().catch(() => {});
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await t?.stop();
  });

  interface Serve {
    readonly proc: ChildProcess;
    readonly pid: number;
    readonly exit: Promise<number | null>;
    out(): string;
    err(): string;
  }

  async function startServe(env: Record<string, string> = {}, ipc = false): Promise<Serve> {
    const proc = spawn(process.execPath, [CLI_MAIN, 'serve', '--config', configFile], {
      env: userEnv(env),
      stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    pids.push(proc.pid as number);
    let out = '';
    let err = '';
    proc.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    proc.stderr?.setEncoding('utf8').on('data', (s: string) => {
      err += s;
    });
    const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    return { proc, pid: proc.pid as number, exit, out: () => out, err: () => err };
  }

  async function serving(): Promise<Serve> {
    const s = await startServe();
    await waitFor(() => s.err().includes('"gatehouse serving"'), {
      timeoutMs: 60_000,
      what: `serve to start (stderr: ${s.err().slice(-2000)})`,
    });
    return s;
  }

  /** Holds the migration lock, so a starting successor (which has its sockets by then) waits in its migrations. */
  async function holdMigrationLock(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: t.postgres.adminUrl('gatehouse') });
    await c.connect();
    lockHolders.push(c);
    await c.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
    return c;
  }

  async function successorWaitingOnLock(lock: pg.Client, parent: number): Promise<number> {
    await waitFor(
      async () =>
        (await lock.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).rowCount ===
        1,
      { timeoutMs: 60_000, what: 'the successor to wait for the migration lock' },
    );
    const [child] = childrenOf(parent);
    expect(child).toBeDefined();
    pids.push(child as number);
    return child as number;
  }

  async function login(): Promise<void> {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'hal', password, database: 'app' });
    await c.connect();
    try {
      await c.query('SELECT 1');
    } finally {
      await c.end();
    }
  }

  it('a successor whose predecessor closes the IPC channel before sending its sockets exits non-zero', async () => {
    const s = await startServe({ GATEHOUSE_HANDOVER: '1' }, true);
    await new Promise<void>((resolve) =>
      s.proc.on('message', (m: HandoverMessage) => {
        if (m.type === 'gatehouse:want-sockets') resolve();
      }),
    );
    s.proc.disconnect(); // the predecessor "dies" before `sockets-sent`
    expect(await s.exit).not.toBe(0);
    expect(s.err()).toMatch(/predecessor process went away .*before it handed over its sockets/);
  });

  it('SIGTERM during a handover cancels it: the successor is killed before it serves and the port closes', async () => {
    const old = await serving();
    await login();
    const lock = await holdMigrationLock();
    process.kill(old.pid, 'SIGUSR2');
    const successor = await successorWaitingOnLock(lock, old.pid);
    expect(isAlive(successor)).toBe(true);

    process.kill(old.pid, 'SIGTERM');
    expect(await old.exit).toBe(0);
    expect(isAlive(successor)).toBe(false); // gone before the old process said Stopped
    await lock.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
    expect(await accepts(port)).toBe(false);
    const stages = old
      .out()
      .split('\n')
      .filter((l) => l !== '');
    expect(stages.slice(0, 3)).toEqual([
      'Rolling restart: starting a successor process',
      'Rolling restart cancelled: stopping the successor process',
      `Successor process ${successor} stopped before it was ready`,
    ]);
    expect(stages).not.toContainEqual(expect.stringMatching(/Successor ready|still serving/));
    expect(stages.at(-1)).toBe('Stopped');
  });

  it('SIGTERM after the handover tells the operator the successor serves now; it drains and the successor serves on', async () => {
    const old = await serving();
    // A session in a transaction keeps the old process draining after the handover.
    const open = new pg.Client({ host: '127.0.0.1', port, user: 'hal', password, database: 'app' });
    open.on('error', () => {});
    await open.connect();
    await open.query('BEGIN');
    process.kill(old.pid, 'SIGUSR2');
    const ready = await waitFor(() => /Successor ready \(pid (\d+)\)/.exec(old.out()), {
      timeoutMs: 60_000,
      what: `the successor to be ready (stdout: ${old.out()}; stderr: ${old.err().slice(-2000)})`,
    });
    const successor = Number(ready[1]);
    pids.push(successor);
    process.kill(old.pid, 'SIGTERM');
    await waitFor(() => old.out().includes(`The successor (pid ${successor}) serves now`), {
      what: 'the notice that the successor serves',
    });
    expect(await old.exit).toBe(0); // drained and stopped, not cut short by the signal
    expect(old.out().trimEnd().endsWith('Stopped')).toBe(true);
    await open.end().catch(() => {});
    expect(isAlive(successor)).toBe(true);
    await login();
    process.kill(successor, 'SIGTERM');
    await waitFor(() => !isAlive(successor), { timeoutMs: 30_000, what: 'the successor to exit' });
  });

  it('a successor whose predecessor was killed before it was ready does not serve', async () => {
    const old = await serving();
    const lock = await holdMigrationLock();
    process.kill(old.pid, 'SIGUSR2');
    const successor = await successorWaitingOnLock(lock, old.pid);
    process.kill(old.pid, 'SIGKILL');
    await old.exit;
    await lock.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
    // The successor inherited the old stdout/stderr pipes: its error lands in old.err().
    await waitFor(() => !isAlive(successor), {
      timeoutMs: 60_000,
      what: `the successor to give up (stderr: ${old.err().slice(-3000)})`,
    });
    expect(old.err()).toMatch(/predecessor process went away before this successor was ready/);
    expect(await accepts(port)).toBe(false);
  }, 120_000);
});
