// Tokens minted by the real AWS CLI (`aws rds generate-db-auth-token`, local signing) with Gatehouse keys log in through the gateway.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAuthToken } from '../../../src/auth/iam-token/generate.js';
import { CONNECT_ANYWHERE, type TestGateway } from '../../support/gateway.js';
import { requireBinary } from '../../support/require-binary.js';
import {
  expectNoTokenLogged,
  type IamDbGateway,
  pgLogin,
  psqlWithToken,
  refusalOf,
  type SdkKeys,
  startIamDbGateway,
} from './support/iam-db-harness.js';

const aws = requireBinary('aws');
const psql = requireBinary('psql');
const run = promisify(execFile);

describe.skipIf(aws === null)('aws rds generate-db-auth-token against the gateway', () => {
  const tokens: string[] = [];
  let h: IamDbGateway;
  let t: TestGateway;
  let port: number;
  let dir: string;
  let key: SdkKeys;
  /** Minted once up front (the CLI takes seconds to start): a token, one for another region, one for LOCALHOST. */
  let cliTokenMain: string;
  let cliTokenOtherRegion: string;
  let cliTokenUpperHost: string;
  let otherRegion: string;

  beforeAll(async () => {
    h = await startIamDbGateway();
    t = h.t;
    port = await t.createInstance('clidb', { iam: true });
    await t.createIamDbUser('clidb', 'app_iam');
    key = await t.createIamPrincipal('cli-user', CONNECT_ANYWHERE);
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-aws-cli-'));
    await writeFile(join(dir, 'config'), '');
    await writeFile(
      join(dir, 'credentials'),
      `[default]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`,
      { mode: 0o600 },
    );
    otherRegion = h.region === 'eu-west-1' ? 'us-east-1' : 'eu-west-1';
    [cliTokenMain, cliTokenOtherRegion, cliTokenUpperHost] = await Promise.all([
      cliToken(),
      cliToken({ region: otherRegion }),
      cliToken({ hostname: 'LOCALHOST' }),
    ]);
  });
  afterAll(async () => {
    await t?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Only the temp credentials file counts: the caller's AWS_* settings and ~/.aws are kept out. */
  function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
    return {
      ...env,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_EC2_METADATA_DISABLED: 'true',
      ...extra,
    };
  }

  async function cliToken(o: { region?: string; profile?: string; hostname?: string } = {}): Promise<string> {
    const host = o.hostname ?? 'localhost';
    const args = ['rds', 'generate-db-auth-token', '--hostname', host, '--port', String(port)];
    args.push('--username', 'app_iam', '--region', o.region ?? h.region);
    if (o.profile) args.push('--profile', o.profile);
    const { stdout } = await run(aws as string, args, { env: cliEnv(), timeout: 30_000 });
    const token = stdout.trim();
    tokens.push(token);
    return token;
  }

  const login = (password: string) => pgLogin({ port, user: 'app_iam', password, ca: h.ca });

  it('the CLI token carries the signature generateAuthToken (and so rds-signer) computes for the same second', async () => {
    const token = cliTokenMain;
    expect(token.startsWith(`localhost:${port}/?Action=connect&DBUser=app_iam&`)).toBe(true);
    const amzDate = /X-Amz-Date=(\d{8}T\d{6}Z)/.exec(token)?.[1] as string;
    const signingDate = new Date(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    const ours = await generateAuthToken({
      hostname: 'localhost',
      port,
      username: 'app_iam',
      region: h.region,
      credentials: key,
      signingDate,
    });
    // The CLI sorts the query (X-Amz-SignedHeaders before X-Amz-Signature), the JS signers do not: the same
    // parameters and signature in another order.
    const params = (tok: string) =>
      tok
        .slice(tok.indexOf('?') + 1)
        .split('&')
        .sort();
    expect(params(token)).toEqual(params(ours));
    expect(token.slice(0, token.indexOf('?'))).toBe(ours.slice(0, ours.indexOf('?')));
  });

  it.skipIf(psql === null)(
    'psql logs in with the CLI token as PGPASSWORD (sslmode=verify-full)',
    async () => {
      const token = cliTokenMain;
      const r = await psqlWithToken({
        bin: psql as string,
        port,
        user: 'app_iam',
        caFile: t.caFile,
        token,
        sql: 'select current_user, count(*) from items',
      });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('app_iam|1');
      expect(h.events).toContainEqual(
        expect.objectContaining({
          type: 'db.connect',
          outcome: 'success',
          method: 'iam',
          accessKeyId: key.accessKeyId,
          principalArn: `arn:aws:iam::${h.accountId}:user/cli-user`,
        }),
      );
    },
  );

  it('node-postgres logs in with the CLI token', async () => {
    expect(await login(cliTokenMain)).toEqual({ ok: true, user: 'app_iam' });
  });

  it('a profile holding AssumeRole credentials (aws_session_token) mints a token that logs in', async () => {
    const iam = h.iam();
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'cli-db',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${h.accountId}:user/cli-user` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'cli-db',
        PolicyName: 'connect',
        PolicyDocument: JSON.stringify(CONNECT_ANYWHERE),
      }),
    );
    const roleArn = `arn:aws:iam::${h.accountId}:role/cli-db`;
    // cli-user's CONNECT_ANYWHERE does not allow sts:AssumeRole; the trust policy alone is not enough.
    await t.gateway.iam.iam.putPrincipalPolicy('User', 'cli-user', {
      PolicyName: 'assume',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn }],
      }),
    });
    const out = await h.sts(key).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'cli' }));
    const c = out.Credentials;
    await writeFile(
      join(dir, 'credentials'),
      `[default]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n` +
        `[session]\naws_access_key_id = ${c?.AccessKeyId}\naws_secret_access_key = ${c?.SecretAccessKey}\n` +
        `aws_session_token = ${c?.SessionToken}\n`,
      { mode: 0o600 },
    );
    const token = await cliToken({ profile: 'session' });
    expect(token).toContain('X-Amz-Security-Token=');
    const before = h.events.length;
    expect(await login(token)).toEqual({ ok: true, user: 'app_iam' });
    expect(h.events.slice(before)).toContainEqual(
      expect.objectContaining({
        outcome: 'success',
        accessKeyId: c?.AccessKeyId,
        principalArn: `arn:aws:sts::${h.accountId}:assumed-role/cli-db/cli`,
      }),
    );
    for (const line of h.logLines) expect(line.includes(c?.SessionToken as string)).toBe(false);
  });

  it('a CLI token for --hostname LOCALHOST (botocore signs the host lower-cased, writes it as given) logs in', async () => {
    expect(cliTokenUpperHost.startsWith(`LOCALHOST:${port}/?Action=connect&DBUser=app_iam&`)).toBe(true);
    const before = h.events.length;
    expect(await login(cliTokenUpperHost)).toEqual({ ok: true, user: 'app_iam' });
    expect(h.events.slice(before)).toContainEqual(
      expect.objectContaining({ outcome: 'success', method: 'iam', accessKeyId: key.accessKeyId }),
    );
    // What botocore signed: the lower-cased host (so verifying the host as written alone would refuse it).
    const signature = /X-Amz-Signature=([0-9a-f]{64})/.exec(cliTokenUpperHost)?.[1];
    const amzDate = /X-Amz-Date=(\d{8}T\d{6}Z)/.exec(cliTokenUpperHost)?.[1] as string;
    const signingDate = new Date(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    const common = { port, username: 'app_iam', region: h.region, credentials: key, signingDate };
    const lower = await generateAuthToken({ ...common, hostname: 'localhost' });
    const asWritten = await generateAuthToken({ ...common, hostname: 'LOCALHOST' });
    expect(signature).toBe(/X-Amz-Signature=([0-9a-f]{64})/.exec(lower)?.[1]);
    expect(signature).not.toBe(/X-Amz-Signature=([0-9a-f]{64})/.exec(asWritten)?.[1]);
  });

  it('a CLI token for another --region is refused with the region to use (GH_IAM_TOKEN_WRONG_REGION)', async () => {
    const other = otherRegion;
    const r = await refusalOf(await login(cliTokenOtherRegion), h);
    expect(r.event.code).toBe('GH_IAM_TOKEN_WRONG_REGION');
    expect(r.sqlstate).toBe('28P01');
    expect(r.message).toBe(
      `IAM auth token was signed for region ${other}, but this Gatehouse is in region ${h.region}: mint it with --region ${h.region}`,
    );
    expect(r.event.accessKeyId).toBe(key.accessKeyId);
  });

  it('no log line holds a CLI token or its full signature', () => {
    expect(tokens.length).toBe(4);
    expectNoTokenLogged(h.logLines, tokens);
  });
});
