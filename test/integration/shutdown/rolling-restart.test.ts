// Rolling restart of `gatehouse serve` (SIGUSR2): the successor takes the listening sockets over before the old
// process drains, so a client logging in over and over is never refused; the old process's open sessions are told
// 57P01 at the end of their drain, and the successor serves on.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasExited } from '../../../src/store/embedded-process.js';
import { waitFor } from '../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { CLI_MAIN, userEnv } from '../../support/up-process.js';
import { writeServeConfig } from './support/serve-config.js';

const DRAIN_SECONDS = 3;

/** Whether `pid` runs (a zombie nobody reaped yet counts as gone). */
const isAlive = (pid: number): boolean => !hasExited(pid);

describe('gatehouse serve: rolling restart on SIGUSR2', () => {
  let t: TestGateway;
  let port: number;
  let apiPort: number;
  let password: string;
  let configFile: string;
  const pids: number[] = [];

  beforeAll(async () => {
    t = await startTestGateway();
    port = await t.createInstance('roll');
    password = await t.createUser('roll', 'rita');
    await t.gateway.close(); // the store keeps the instance and user; `serve` processes take over from here
    ({ configFile, apiPort } = await writeServeConfig(t, DRAIN_SECONDS));
  });
  afterAll(async () => {
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await t?.stop();
  });

  const login = async () => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'rita', password, database: 'app' });
    const errors: Array<Error & { code?: string }> = [];
    client.on('error', (e) => errors.push(e));
    await client.connect();
    return { client, errors };
  };

  it('no login is refused across the handover; old sessions get 57P01 after the drain; the successor serves', async () => {
    const old: ChildProcess = spawn(process.execPath, [CLI_MAIN, 'serve', '--config', configFile], {
      env: userEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pids.push(old.pid as number);
    let out = '';
    let err = '';
    old.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    old.stderr?.setEncoding('utf8').on('data', (s: string) => {
      err += s;
    });
    const oldExit = new Promise<number | null>((resolve) => old.once('exit', (code) => resolve(code)));
    await waitFor(() => err.includes('"listener started"') && err.includes('"gatehouse serving"'), {
      timeoutMs: 60_000,
      what: `serve to start (stderr so far: ${err.slice(-2000)})`,
    });

    // Clients logging in again and again, all through the handover.
    let running = true;
    let logins = 0;
    const failures: string[] = [];
    const loop = async () => {
      while (running) {
        const client = new pg.Client({ host: '127.0.0.1', port, user: 'rita', password, database: 'app' });
        client.on('error', () => {});
        try {
          await client.connect();
          await client.query('SELECT 1');
          logins++;
        } catch (e) {
          failures.push((e as Error).message);
        } finally {
          await client.end().catch(() => {});
        }
      }
    };
    const loops = [loop(), loop()];
    const open = await login();
    await open.client.query('BEGIN'); // kept busy through the drain
    await waitFor(() => logins >= 5, { timeoutMs: 30_000, what: 'logins before the restart' });

    process.kill(old.pid as number, 'SIGUSR2');
    const ready = await waitFor(() => /Successor ready \(pid (\d+)\)/.exec(out), {
      timeoutMs: 60_000,
      what: `the successor to be ready (stdout: ${out}; stderr: ${err.slice(-2000)})`,
    });
    const successor = Number(ready[1]);
    pids.push(successor);
    const handedOver = performance.now();

    // The old process drains: the open transaction goes on until the drain ends, then it is told.
    await waitFor(() => open.errors.length > 0, {
      timeoutMs: (DRAIN_SECONDS + 10) * 1000,
      what: 'the old session to be told',
    });
    expect(performance.now() - handedOver).toBeGreaterThanOrEqual(DRAIN_SECONDS * 1000 - 200);
    expect(open.errors[0]?.code).toBe('57P01');
    expect(await oldExit).toBe(0);
    const afterExit = logins;
    await waitFor(() => logins >= afterExit + 10, {
      timeoutMs: 30_000,
      what: 'logins after the old process left',
    });
    running = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(isAlive(successor)).toBe(true);
    // The management API moved too.
    const apiUp = await new Promise<boolean>((resolve) => {
      const s = connect(apiPort, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    expect(apiUp).toBe(true);
    const stages = out.split('\n').filter((l) => l !== '');
    expect(stages).toEqual([
      'Rolling restart: starting a successor process',
      `Successor ready (pid ${successor}): it accepts connections now`,
      'Stopping: no longer accepting connections',
      // The open transaction, and any login of the loops in flight at the handover.
      expect.stringMatching(/^Draining \d+ sessions? \(up to 3 s\)…$/),
      expect.stringMatching(/^Closed \d+ sessions?$/),
      'Audit trail flushed',
      'Store closed',
      'Stopped',
    ]);
    expect(err).not.toMatch(/"level":(40|50|60)/);
    await open.client.end().catch(() => {});

    // The successor stops as cleanly on SIGTERM.
    process.kill(successor, 'SIGTERM');
    await waitFor(() => !isAlive(successor), { timeoutMs: 30_000, what: 'the successor to exit' });
    expect(out.trimEnd().endsWith('Stopped')).toBe(true);
  });
});
