// `gatehouse iam …` / `gatehouse sts …` (AWS CLI flags) against a real gateway: the whole user-to-session path.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { testIo } from '../../unit/cli/support/cli-io.js';

describe('gatehouse iam and sts against a running gateway', () => {
  let t: TestGateway;
  let env: NodeJS.ProcessEnv;

  async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const io = testIo({ env: { ...env, ...extraEnv } });
    const code = await runCli(['--data-dir', t.dataDir, ...args], io.io);
    return { code, stdout: io.stdout(), stderr: io.stderr(), json: () => JSON.parse(io.stdout()) };
  }

  beforeAll(async () => {
    t = await startTestGateway();
    const admin = t.gateway.bootstrapKey as { accessKeyId: string; secretAccessKey: string };
    env = {
      GATEHOUSE_ACCESS_KEY_ID: admin.accessKeyId,
      GATEHOUSE_SECRET_ACCESS_KEY: admin.secretAccessKey,
      GATEHOUSE_ENDPOINT_URL: t.gateway.apiUrl,
    };
  });
  afterAll(async () => t?.stop());

  it('creates a user with a key and a file:// policy, simulates it, and the user assumes a role with it', async () => {
    const account = t.gateway.account.accountId;
    expect(
      (await cli(['iam', 'create-user', '--user-name', 'carol', '--tags', 'Key=team,Value=data'])).code,
    ).toBe(0);
    const key = (await cli(['iam', 'create-access-key', '--user-name', 'carol'])).json().AccessKey;
    expect(key.AccessKeyId).toMatch(/^AKIA/);
    const policyFile = join(t.dataDir, 'carol.json');
    await writeFile(
      policyFile,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'rds-db:connect',
            Resource: `arn:aws:rds-db:us-east-1:${account}:dbuser:*/carol`,
            Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
          },
          { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${account}:role/app` },
        ],
      }),
    );
    const put = await cli([
      'iam',
      'put-user-policy',
      '--user-name',
      'carol',
      '--policy-name',
      'db',
      '--policy-document',
      `file://${policyFile}`,
    ]);
    expect(put.code, put.stderr).toBe(0);
    const sim = await cli([
      'iam',
      'simulate-principal-policy',
      '--policy-source-arn',
      `arn:aws:iam::${account}:user/carol`,
      '--action-names',
      'rds-db:connect',
      '--resource-arns',
      `arn:aws:rds-db:us-east-1:${account}:dbuser:db-ABC/carol`,
      '--context-entries',
      'ContextKeyName=aws:SourceIp,ContextKeyValues=10.1.2.3,ContextKeyType=ip',
    ]);
    expect(sim.code, sim.stderr).toBe(0);
    expect(sim.json().EvaluationResults[0].EvalDecision).toBe('allowed');
    const outside = await cli([
      'iam',
      'simulate-principal-policy',
      '--policy-source-arn',
      `arn:aws:iam::${account}:user/carol`,
      '--action-names',
      'rds-db:connect',
      '--resource-arns',
      `arn:aws:rds-db:us-east-1:${account}:dbuser:db-ABC/carol`,
      '--context-entries',
      'ContextKeyName=aws:SourceIp,ContextKeyValues=192.168.1.1,ContextKeyType=ip',
    ]);
    expect(outside.json().EvaluationResults[0].EvalDecision).toBe('implicitDeny');

    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:user/carol` },
          Action: 'sts:AssumeRole',
        },
      ],
    });
    expect(
      (await cli(['iam', 'create-role', '--role-name', 'app', '--assume-role-policy-document', trust])).code,
    ).toBe(0);
    const asCarol = {
      GATEHOUSE_ACCESS_KEY_ID: key.AccessKeyId,
      GATEHOUSE_SECRET_ACCESS_KEY: key.SecretAccessKey,
    };
    const assumed = await cli(
      [
        'sts',
        'assume-role',
        '--role-arn',
        `arn:aws:iam::${account}:role/app`,
        '--role-session-name',
        'deploy',
      ],
      asCarol,
    );
    expect(assumed.code, assumed.stderr).toBe(0);
    const creds = assumed.json().Credentials;
    const who = await cli(['sts', 'get-caller-identity'], {
      GATEHOUSE_ACCESS_KEY_ID: creds.AccessKeyId,
      GATEHOUSE_SECRET_ACCESS_KEY: creds.SecretAccessKey,
      GATEHOUSE_SESSION_TOKEN: creds.SessionToken,
    });
    expect(who.json().Arn).toBe(`arn:aws:sts::${account}:assumed-role/app/deploy`);
    const lastUsed = await cli(['iam', 'get-access-key-last-used', '--access-key-id', key.AccessKeyId]);
    expect(lastUsed.code, lastUsed.stderr).toBe(0);
    expect(lastUsed.json()).toMatchObject({ UserName: 'carol', AccessKeyLastUsed: { ServiceName: 'sts' } });
  });

  it('errors print the AWS error name and the Gatehouse code, exit 1', async () => {
    const r = await cli(['iam', 'get-user', '--user-name', 'nobody-here']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(NoSuchEntity)');
    expect(r.stderr).toContain('[GH_IAM_NO_SUCH_ENTITY]');
  });
});
