// The unmodified AWS CLI against the Query API (`aws iam … --endpoint-url … --ca-bundle …`); skipped with a
// printed reason when `aws` is absent, and failing instead under CI=true.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../../support/require-binary.js';
import {
  ADMIN,
  ADMIN_ARN,
  type Credentials,
  type QueryFixture,
  startQueryFixture,
} from './support/query-fixture.js';

const aws = requireBinary('aws');
const run = promisify(execFile);
let fx: QueryFixture;
let dir: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `aws ARGS` with only the given credentials: no profile, config file or instance metadata. */
async function cli(args: string[], creds: Credentials = ADMIN): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  });
  const common = [
    '--endpoint-url',
    fx.server.url,
    '--ca-bundle',
    join(dir, 'ca.pem'),
    '--region',
    'us-east-1',
  ];
  try {
    const { stdout, stderr } = await run(aws!, [...args, ...common, '--output', 'json'], { env });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

function json(r: CliResult): Record<string, unknown> {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

// Each `aws` run starts a Python interpreter (1-3 s, more on a loaded machine).
describe.skipIf(aws === null)('AWS CLI against the Query API', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    fx = await startQueryFixture();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-awscli-'));
    writeFileSync(join(dir, 'ca.pem'), fx.cert.certPem);
  });
  afterAll(async () => {
    await fx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates and lists users (aws iam create-user / list-users)', async () => {
    const created = json(
      await cli(['iam', 'create-user', '--user-name', 'cli-user', '--tags', 'Key=team,Value=db']),
    );
    expect(created['User']).toMatchObject({ UserName: 'cli-user', Tags: [{ Key: 'team', Value: 'db' }] });
    const listed = json(await cli(['iam', 'list-users']));
    expect((listed['Users'] as Array<{ UserName: string }>).map((u) => u.UserName)).toContain('cli-user');
  });

  it('reports an AWS error code and message as for AWS itself (exit 254 in CLI v2, 255 in v1)', async () => {
    const r = await cli(['iam', 'get-user', '--user-name', 'ghost']);
    expect([254, 255]).toContain(r.code);
    expect(r.stderr).toContain(
      'An error occurred (NoSuchEntity) when calling the GetUser operation: The user with name ghost cannot be found.',
    );
  });

  it('puts an inline policy from file:// and reads it back decoded (get-user-policy)', async () => {
    const doc = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: '*' }],
    };
    writeFileSync(join(dir, 'p.json'), JSON.stringify(doc));
    const put = await cli([
      'iam',
      'put-user-policy',
      '--user-name',
      'cli-user',
      '--policy-name',
      'connect',
      '--policy-document',
      `file://${join(dir, 'p.json')}`,
    ]);
    expect(put.code, put.stderr).toBe(0);
    const got = json(
      await cli(['iam', 'get-user-policy', '--user-name', 'cli-user', '--policy-name', 'connect']),
    );
    expect(got['PolicyDocument']).toEqual(doc);
  });

  it('simulates a custom policy with context entries (simulate-custom-policy)', async () => {
    fx.simulator.allow = new Set(['rds-db:connect']);
    const out = json(
      await cli([
        'iam',
        'simulate-custom-policy',
        '--policy-input-list',
        `file://${join(dir, 'p.json')}`,
        '--action-names',
        'rds-db:connect',
        '--context-entries',
        'ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=ip',
      ]),
    );
    expect(out['EvaluationResults']).toMatchObject([
      { EvalActionName: 'rds-db:connect', EvalDecision: 'allowed' },
    ]);
    expect(fx.simulator.inputs.at(-1)?.contextEntries).toEqual([
      { ContextKeyName: 'aws:SourceIp', ContextKeyValues: ['10.0.0.1'], ContextKeyType: 'ip' },
    ]);
  });

  it('assumes a role and calls as the session with the temporary credentials (sts assume-role)', async () => {
    const trust = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: ADMIN_ARN } }] });
    const role = await cli([
      'iam',
      'create-role',
      '--role-name',
      'cli-role',
      '--assume-role-policy-document',
      trust,
    ]);
    expect(role.code, role.stderr).toBe(0);
    const assumed = json(
      await cli([
        'sts',
        'assume-role',
        '--role-arn',
        'arn:aws:iam::123456789012:role/cli-role',
        '--role-session-name',
        'cli',
      ]),
    );
    const c = assumed['Credentials'] as {
      AccessKeyId: string;
      SecretAccessKey: string;
      SessionToken: string;
    };
    const creds = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
    };
    const who = json(await cli(['sts', 'get-caller-identity'], creds));
    expect(who['Arn']).toBe('arn:aws:sts::123456789012:assumed-role/cli-role/cli');
    const noToken = await cli(['sts', 'get-caller-identity'], { ...creds, sessionToken: '' });
    expect(noToken.stderr).toContain('(InvalidClientTokenId)');
  });
});
