// `gatehouse up` after `kill -9`: the orphaned embedded PostgreSQL is stopped and the state reused; a data dir
// held by a live Gatehouse is refused first (before any port), naming its pid. Waits for facts, never sleeps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterDir,
  demoClientConfig,
  freeUpPorts,
  makeDataDir,
  removeDataDir,
  runCli,
  runUpToExit,
  startUp,
  type UpPorts,
  type UpProcess,
} from '../../support/up-process.js';

function postmasterPid(cluster: string): number | null {
  try {
    const pid = Number.parseInt(
      readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '',
      10,
    );
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

describe('gatehouse up after a crash', () => {
  let dataDir: string;
  let ports: UpPorts;
  let up: UpProcess | undefined;

  /** 'ok' when the demo user logs in over verified TLS and reads the demo table, else the SQLSTATE. */
  async function demoLogin(): Promise<string> {
    const client = new pg.Client(demoClientConfig(dataDir, ports.pg));
    try {
      await client.connect();
      const { rows } = await client.query<{ n: number }>('select count(*)::int as n from items');
      return rows[0]?.n === 3 ? 'ok' : `unexpected ${JSON.stringify(rows)}`;
    } catch (e) {
      return (e as { code?: string }).code ?? (e as Error).message;
    } finally {
      await client.end().catch(() => {});
    }
  }

  beforeAll(async () => {
    dataDir = await makeDataDir();
    ports = await freeUpPorts();
    up = await startUp(dataDir, ports);
  });

  afterAll(async () => {
    await up?.stop('SIGTERM', 10_000).catch(() => {});
    if (dataDir) await removeDataDir(dataDir);
  });

  it('up prints progress lines while the store starts (first run: initialising)', () => {
    const out = (up as UpProcess).output().stdout;
    const first = out.indexOf('Initialising the embedded PostgreSQL');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(out.indexOf('Applying migrations')).toBeGreaterThan(first);
    expect(out.indexOf('Gatehouse is up.')).toBeGreaterThan(out.indexOf('Applying migrations'));
  });

  it('a second up on the live data dir, same ports, exits non-zero naming the data dir and the pid, not a port', async () => {
    const second = await runUpToExit(dataDir, ports, 60_000);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain('[GH_DATA_DIR_IN_USE]');
    expect(second.stderr).toContain(`data directory ${dataDir} is in use by a running Gatehouse`);
    expect(second.stderr).toContain(`pid ${(up as UpProcess).pid}`);
    expect(second.stderr).toContain(`PostgreSQL listener 127.0.0.1:${ports.pg}`);
    expect(second.stderr).toContain(`kill ${(up as UpProcess).pid}`);
    expect(second.stderr).not.toContain('GH_PORT_IN_USE');
    // The live one is untouched.
    expect(await demoLogin()).toBe('ok');
  });

  it('after SIGKILL, up on the same data dir and ports stops the orphaned PostgreSQL and keeps the state', async () => {
    const created = await runCli(dataDir, ['iam', 'create-user', '--user-name', 'before-the-crash']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const cluster = await clusterDir(dataDir);
    const orphan = postmasterPid(cluster);
    expect(orphan).not.toBeNull();

    const killed = await (up as UpProcess).stop('SIGKILL');
    up = undefined;
    expect(killed.signal).toBe('SIGKILL');
    // The crash this is about: postgres outlives its parent.
    expect(postmasterPid(cluster)).toBe(orphan);

    up = await startUp(dataDir, ports);
    const out = up.output().stdout;
    expect(out).toContain(
      `Stopping the embedded PostgreSQL left running by a Gatehouse that is gone (postgres pid ${orphan}`,
    );
    expect(out).toMatch(/stopped \((fast|immediate) shutdown\) after [\d.]+ s; its data is reused/);
    expect(out).toContain('Starting the embedded PostgreSQL on 127.0.0.1:');
    expect(postmasterPid(cluster)).not.toBe(orphan);

    const user = await runCli(dataDir, ['iam', 'get-user', '--user-name', 'before-the-crash']);
    expect(user.stderr).toBe('');
    expect(user.code).toBe(0);
    expect(JSON.parse(user.stdout).User.UserName).toBe('before-the-crash');
    expect(await demoLogin()).toBe('ok');
  });

  it('started through GATEHOUSE_HOME, the printed commands name the data dir (they must work in a fresh shell)', async () => {
    const stopped = await (up as UpProcess).stop('SIGTERM');
    up = undefined;
    expect(stopped.code).toBe(0);
    up = await startUp(dataDir, ports, [], { dataDirFromEnv: true });
    const out = up.output().stdout;
    expect(out).toContain(`npx gatehouse --data-dir ${dataDir} db create-user`);
    expect(out).toContain(`export AWS_CONFIG_FILE=${join(dataDir, 'config')}\n`);
    expect(out).toContain(`export AWS_SHARED_CREDENTIALS_FILE=${join(dataDir, 'credentials')}\n`);
    expect(out).toContain(`running \`npx gatehouse --data-dir ${dataDir} up\` again`);
  });
});
