import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { writeCredentials, writeGatewayInfo } from '../../../src/core/data-dir.js';
import { ADMIN_KEY, type ApiFixture, startApiFixture } from '../api/support/api-fixture.js';
import { testIo } from './support/cli-io.js';

let fx: ApiFixture;
let dir: string;
let caFile: string;

const DEMO_ARGS = [
  'rds',
  'create-db-instance',
  '--db-instance-identifier',
  'demo',
  '--engine',
  'postgres',
  '--backend-url',
  'postgres://admin:pw@127.0.0.1:5432/app',
  '--listen',
  '127.0.0.1:5433',
];

/** Run the CLI against the test API with the data dir's credentials. */
async function cli(args: string[], o: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) {
  const t = testIo(o);
  const code = await runCli(
    ['--data-dir', dir, '--endpoint-url', fx.server.url, '--ca-bundle', caFile, ...args],
    t.io,
  );
  return { code, stdout: t.stdout(), stderr: t.stderr() };
}

beforeAll(async () => {
  fx = await startApiFixture();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  caFile = join(dir, 'test-ca.pem');
  writeFileSync(caFile, fx.cert.certPem);
  writeCredentials(dir, 'default', ADMIN_KEY);
});
afterAll(async () => {
  await fx.server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fx.cp.instances.clear();
  fx.cp.users.clear();
});

describe('gatehouse rds', () => {
  it('create-db-instance sends the flags and prints the instance as JSON', async () => {
    const r = await cli([...DEMO_ARGS, '--force-ssl']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({
      DBInstance: {
        DBInstanceIdentifier: 'demo',
        Engine: 'postgres',
        ForceSsl: true,
        BackendUrl: 'postgres://admin@127.0.0.1:5432/app',
      },
    });
    expect(r.stdout).toContain('\n  "DBInstance": {');
  });

  it('modify-db-instance --no-force-ssl turns TLS enforcement off; omitted flags leave settings alone', async () => {
    await cli([...DEMO_ARGS, '--force-ssl']);
    const r = await cli(['rds', 'modify-db-instance', '--db-instance-identifier', 'demo', '--no-force-ssl']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).DBInstance).toMatchObject({ ForceSsl: false, Endpoint: { Port: 5433 } });
  });

  it('the audit flags: statement classes, literals, result digest and fail-open; omitted ones leave settings alone', async () => {
    const created = await cli([
      ...DEMO_ARGS,
      '--audit-statements',
      'read, WRITE',
      '--audit-result-digest',
      '--audit-fail-open',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).DBInstance).toMatchObject({
      AuditStatements: ['read', 'WRITE'],
      AuditStatementLiterals: false,
      AuditResultDigest: true,
      AuditFailOpen: true,
    });
    const modified = await cli([
      'rds',
      'modify-db-instance',
      '--db-instance-identifier',
      'demo',
      '--audit-statements',
      '',
      '--audit-statement-literals',
      '--no-audit-fail-open',
    ]);
    expect(modified.code, modified.stderr).toBe(0);
    expect(JSON.parse(modified.stdout).DBInstance).toMatchObject({
      AuditStatements: [],
      AuditStatementLiterals: true,
      AuditResultDigest: true,
      AuditFailOpen: false,
    });
  });

  it('describe-db-instances honours --output text and table, also after the subcommand', async () => {
    await cli(DEMO_ARGS);
    const text = await cli(['rds', 'describe-db-instances', '--output', 'text']);
    // Fields in key order, as the AWS CLI's text output: AuditFailOpen, AuditResultDigest,
    // AuditStatementLiterals, then BackendUrl, … (lists such as AuditStatements have lines of their own).
    expect(text.stdout.split('\n')[0]).toMatch(
      /^DBINSTANCES\tFalse\tFalse\tFalse\tpostgres:\/\/admin@127\.0\.0\.1:5432\/app\t/,
    );
    expect(text.stdout).toContain('ENDPOINT\t127.0.0.1\t5433');
    const table = await cli(['--output', 'table', 'rds', 'describe-db-instances']);
    expect(table.stdout).toContain('DescribeDBInstances');
    expect(table.stdout).toMatch(/\|\|\s+DBInstances\s+\|\|/);
    expect(table.stdout).toMatch(/\|\|\|\s+Endpoint\s+\|\|\|/);
  });

  it('delete-db-instance of an unknown instance prints the API error with its code and exits 1', async () => {
    const r = await cli(['rds', 'delete-db-instance', '--db-instance-identifier', 'ghost']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^gatehouse: DB instance ghost not found \(request id [0-9a-f]{16}\) \[GH_INSTANCE_NOT_FOUND\]\n$/,
    );
  });

  it('a missing required flag is a commander usage error, exit 1, with no API call', async () => {
    const r = await cli(['rds', 'create-db-instance', '--db-instance-identifier', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("required option '--engine <engine>' not specified");
    expect(fx.cp.instances.size).toBe(0);
  });

  it('an engine outside the supported list is refused by the CLI', async () => {
    const r = await cli(DEMO_ARGS.map((a) => (a === 'postgres' ? 'oracle' : a)));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Allowed choices are postgres');
  });
});

describe('gatehouse db', () => {
  beforeEach(async () => {
    await cli(DEMO_ARGS);
  });

  it('create-user without --password-stdin prints the generated password once', async () => {
    const r = await cli([
      'db',
      'create-user',
      '--db-instance-identifier',
      'demo',
      '--username',
      'app',
      '--auth',
      'password',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      DBUser: { Username: 'app' },
      Password: 'generated-password-0123456789',
    });
  });

  it('create-user --password-stdin sends the piped password (without its newline) and does not print it', async () => {
    const r = await cli(
      [
        'db',
        'create-user',
        '--db-instance-identifier',
        'demo',
        '--username',
        'bob',
        '--auth',
        'password',
        '--password-stdin',
      ],
      { stdin: 's3cret-pass-word\n' },
    );
    expect(r.code).toBe(0);
    expect(fx.cp.users.get('demo/bob')?.password).toBe('s3cret-pass-word');
    expect(r.stdout).not.toContain('s3cret-pass-word');
    expect(JSON.parse(r.stdout)).not.toHaveProperty('Password');
  });

  it('--password-stdin with nothing piped is an error', async () => {
    const r = await cli(
      [
        'db',
        'create-user',
        '--db-instance-identifier',
        'demo',
        '--username',
        'bob',
        '--auth',
        'password',
        '--password-stdin',
      ],
      {
        stdin: '',
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing was read from standard input');
  });

  it('rotate-password --grace 1h passes 3600 seconds; list-users and delete-user round-trip', async () => {
    await cli([
      'db',
      'create-user',
      '--db-instance-identifier',
      'demo',
      '--username',
      'app',
      '--auth',
      'password',
    ]);
    const r = await cli([
      'db',
      'rotate-password',
      '--db-instance-identifier',
      'demo',
      '--username',
      'app',
      '--grace',
      '1h',
    ]);
    expect(r.code).toBe(0);
    expect(fx.cp.lastRotation?.graceSeconds).toBe(3600);
    expect(JSON.parse(r.stdout).Password).toBe('rotated-password-0123456789');
    const listed = await cli(['db', 'list-users', '--db-instance-identifier', 'demo', '--output', 'text']);
    expect(listed.stdout).toMatch(/^DBUSERS\tpassword\t/);
    const deleted = await cli(['db', 'delete-user', '--db-instance-identifier', 'demo', '--username', 'app']);
    expect(deleted.code).toBe(0);
    expect(fx.cp.users.size).toBe(0);
  });

  it('rotate-password without --grace sends 0; a malformed --grace is a usage error', async () => {
    await cli([
      'db',
      'create-user',
      '--db-instance-identifier',
      'demo',
      '--username',
      'app',
      '--auth',
      'password',
    ]);
    await cli(['db', 'rotate-password', '--db-instance-identifier', 'demo', '--username', 'app']);
    expect(fx.cp.lastRotation?.graceSeconds).toBe(0);
    const bad = await cli([
      'db',
      'rotate-password',
      '--db-instance-identifier',
      'demo',
      '--username',
      'app',
      '--grace',
      '1w',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not a duration');
  });
});

describe('CLI endpoint and credential resolution', () => {
  it('finds endpoint, region and CA in gateway.json when no flags are given', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gatehouse-home-'));
    try {
      writeCredentials(home, 'default', ADMIN_KEY);
      writeGatewayInfo(home, { apiUrl: fx.server.url, caFile, pid: process.pid, region: 'us-east-1' });
      const t = testIo({ env: { GATEHOUSE_HOME: home } });
      const code = await runCli(['rds', 'describe-db-instances'], t.io);
      expect(t.stderr()).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(t.stdout())).toEqual({ DBInstances: [] });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('environment keys take precedence over the credentials file', async () => {
    const r = await cli(['rds', 'describe-db-instances'], {
      env: { GATEHOUSE_ACCESS_KEY_ID: 'AKIAENVENVENVENVENV0', GATEHOUSE_SECRET_ACCESS_KEY: 'x' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AKIAENVENVENVENVENV0');
    expect(r.stderr).toContain('[GH_API_INVALID_KEY]');
  });

  it('a profile that does not exist is GH_CLI_NO_CREDENTIALS naming profile and file', async () => {
    const r = await cli(['--profile', 'nobody', 'rds', 'describe-db-instances']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no credentials for profile "nobody" in ${join(dir, 'credentials')}`);
    expect(r.stderr).toContain('[GH_CLI_NO_CREDENTIALS]');
  });

  it("a region other than the gateway's is refused by the API", async () => {
    const r = await cli(['--region', 'eu-west-1', 'rds', 'describe-db-instances']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[GH_API_WRONG_REGION]');
    expect(r.stderr).toContain('--region us-east-1');
  });

  it('a closed port is reported as GH_CLI_NOT_RUNNING', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((r) => probe.close(() => r()));
    const t = testIo();
    const code = await runCli(
      ['--data-dir', dir, '--endpoint-url', `https://127.0.0.1:${port}`, 'rds', 'describe-db-instances'],
      t.io,
    );
    expect(code).toBe(1);
    expect(t.stderr()).toContain(`cannot reach the Gatehouse management API at https://127.0.0.1:${port}`);
    expect(t.stderr()).toContain('[GH_CLI_NOT_RUNNING]');
  });

  it('an untrusted certificate is refused with advice to pass --ca-bundle', async () => {
    const t = testIo();
    const code = await runCli(
      ['--data-dir', dir, '--endpoint-url', fx.server.url, 'rds', 'describe-db-instances'],
      t.io,
    );
    expect(code).toBe(1);
    expect(t.stderr()).toContain('--ca-bundle');
  });

  it('--help and --version exit 0', async () => {
    const help = testIo();
    expect(await runCli(['db', '--help'], help.io)).toBe(0);
    expect(help.stdout()).toContain('rotate-password');
    const version = testIo();
    expect(await runCli(['--version'], version.io)).toBe(0);
    expect(version.stdout()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
