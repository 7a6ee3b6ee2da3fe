import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { testIo } from './support/cli-io.js';
import { type QueryStub, runAgainstStub, startQueryStub } from './support/iam-query-stub.js';

let stub: QueryStub;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sts-cli-'));
const caFile = join(dir, 'stub-ca.pem');

const cli = (args: string[], env?: NodeJS.ProcessEnv) =>
  runAgainstStub(stub, args, { dataDir: dir, caFile, ...(env ? { env } : {}) });

beforeAll(async () => {
  stub = await startQueryStub();
  writeFileSync(caFile, stub.caPem);
});
afterAll(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => stub.reset());

const ASSUMED = `<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s3cr3t</SecretAccessKey>
<SessionToken>tok</SessionToken><Expiration>2030-01-02T03:04:05Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s1</AssumedRoleId>
<Arn>arn:aws:sts::123456789012:assumed-role/reader/s1</Arn></AssumedRoleUser>`;

describe('gatehouse sts', () => {
  it('get-caller-identity is signed for STS in the configured region and prints the identity', async () => {
    stub.respond('GetCallerIdentity', {
      result:
        '<UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/alice</Arn>',
    });
    const r = await cli(['sts', 'get-caller-identity']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(stub.requests[0]).toMatchObject({
      action: 'GetCallerIdentity',
      version: '2011-06-15',
      service: 'sts',
      region: 'eu-west-1',
      params: {},
    });
    expect(r.stdout).toBe(
      '{\n  "UserId": "AIDAEXAMPLE",\n  "Account": "123456789012",\n  "Arn": "arn:aws:iam::123456789012:user/alice"\n}\n',
    );
  });

  it('assume-role sends the role, session, duration and a file:// session policy; prints AWS CLI timestamps', async () => {
    const policy = join(dir, 'session.json');
    writeFileSync(policy, '{"Version":"2012-10-17","Statement":[]}');
    stub.respond('AssumeRole', { result: ASSUMED });
    const r = await cli([
      'sts',
      'assume-role',
      '--role-arn',
      'arn:aws:iam::123456789012:role/reader',
      '--role-session-name',
      's1',
      '--duration-seconds',
      '900',
      '--policy',
      `file://${policy}`,
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(stub.requests[0]!.params).toEqual({
      RoleArn: 'arn:aws:iam::123456789012:role/reader',
      RoleSessionName: 's1',
      DurationSeconds: '900',
      Policy: '{"Version":"2012-10-17","Statement":[]}',
    });
    expect(JSON.parse(r.stdout)).toEqual({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLE',
        SecretAccessKey: 's3cr3t',
        SessionToken: 'tok',
        Expiration: '2030-01-02T03:04:05+00:00',
      },
      AssumedRoleUser: {
        AssumedRoleId: 'AROAEXAMPLE:s1',
        Arn: 'arn:aws:sts::123456789012:assumed-role/reader/s1',
      },
    });
  });

  it('assume-role --output text prints the credentials line the way shell scripts parse it', async () => {
    stub.respond('AssumeRole', { result: ASSUMED });
    const r = await cli([
      'sts',
      'assume-role',
      '--role-arn',
      'arn:aws:iam::123456789012:role/reader',
      '--role-session-name',
      's1',
      '--output',
      'text',
    ]);
    expect(r.stdout).toBe(
      'ASSUMEDROLEUSER\tarn:aws:sts::123456789012:assumed-role/reader/s1\tAROAEXAMPLE:s1\n' +
        'CREDENTIALS\tASIAEXAMPLE\t2030-01-02T03:04:05+00:00\ts3cr3t\ttok\n',
    );
  });

  it('a non-numeric --duration-seconds is a usage error and nothing is sent', async () => {
    const r = await cli([
      'sts',
      'assume-role',
      '--role-arn',
      'a',
      '--role-session-name',
      's',
      '--duration-seconds',
      '1h',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('expected a whole number');
    expect(stub.requests).toHaveLength(0);
  });
});

describe('credentials and transport of the SDK clients', () => {
  it('IAM is signed for us-east-1 whatever --region says, STS for --region', async () => {
    await cli(['iam', 'get-user']);
    await cli(['sts', 'get-caller-identity']);
    expect(stub.requests.map((q) => [q.service, q.region])).toEqual([
      ['iam', 'us-east-1'],
      ['sts', 'eu-west-1'],
    ]);
  });

  it('GATEHOUSE_SESSION_TOKEN travels as X-Amz-Security-Token; without it no token header is sent', async () => {
    await cli(['iam', 'get-user'], {
      GATEHOUSE_ACCESS_KEY_ID: 'ASIATEMP',
      GATEHOUSE_SECRET_ACCESS_KEY: 'secret',
      GATEHOUSE_SESSION_TOKEN: 'session-token-1',
    });
    await cli(['iam', 'get-user']);
    expect(stub.requests[0]!.headers['x-amz-security-token']).toBe('session-token-1');
    expect(stub.requests[0]!.headers.authorization).toContain('Credential=ASIATEMP/');
    expect(stub.requests[1]!.headers['x-amz-security-token']).toBeUndefined();
  });

  it("the profile's aws_session_token is sent when the key comes from the credentials file", async () => {
    const home = mkdtempSync(join(tmpdir(), 'gatehouse-sts-profile-'));
    writeFileSync(
      join(home, 'credentials'),
      '[temp]\naws_access_key_id = ASIAPROFILE\naws_secret_access_key = secret\naws_session_token = profile-token\n',
    );
    const r = await runAgainstStub(stub, ['--profile', 'temp', 'sts', 'get-caller-identity'], {
      dataDir: home,
      caFile,
      env: {},
    });
    rmSync(home, { recursive: true, force: true });
    expect(r.code).toBe(0);
    expect(stub.requests[0]!.headers['x-amz-security-token']).toBe('profile-token');
    expect(stub.requests[0]!.headers.authorization).toContain('Credential=ASIAPROFILE/');
  });

  it('an endpoint whose certificate is not in the CA bundle is refused with a hint, before any request', async () => {
    const r = await runAgainstStub(stub, ['iam', 'get-user'], { dataDir: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^gatehouse: cannot verify the TLS certificate of https:\/\/127\.0\.0\.1:\d+ \(/,
    );
    expect(r.stderr).toContain('--ca-bundle');
    expect(stub.requests).toHaveLength(0);
  });

  it('ca.pem in the data dir is trusted without --ca-bundle', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gatehouse-sts-ca-'));
    writeFileSync(join(home, 'ca.pem'), stub.caPem);
    const r = await runAgainstStub(stub, ['iam', 'get-user'], { dataDir: home });
    rmSync(home, { recursive: true, force: true });
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });

  it('a gateway that is not running is reported as such', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const t = testIo({ env: { GATEHOUSE_ACCESS_KEY_ID: 'AKIATEST', GATEHOUSE_SECRET_ACCESS_KEY: 'secret' } });
    const args = [
      '--data-dir',
      dir,
      '--endpoint-url',
      `https://127.0.0.1:${port}`,
      'sts',
      'get-caller-identity',
    ];
    expect(await runCli(args, t.io)).toBe(1);
    expect(t.stderr()).toBe(
      `gatehouse: cannot reach the Gatehouse management API at https://127.0.0.1:${port}: is \`gatehouse up\` (or serve) running? [GH_CLI_NOT_RUNNING]\n`,
    );
  });
});

describe('errors answered by the service', () => {
  it('are worded like the AWS CLI, with the Gatehouse code when the API sends one', async () => {
    stub.respond('GetUser', {
      status: 404,
      error: { code: 'NoSuchEntity', message: 'The user with name bob cannot be found.' },
      headers: { 'x-gatehouse-error-code': 'GH_IAM_NO_SUCH_ENTITY' },
    });
    const r = await cli(['iam', 'get-user', '--user-name', 'bob']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'gatehouse: An error occurred (NoSuchEntity) when calling the GetUser operation: The user with name bob cannot be found. [GH_IAM_NO_SUCH_ENTITY]\n',
    });
  });

  it('from another AWS-compatible endpoint keep the AWS CLI wording alone', async () => {
    stub.respond('AssumeRole', { status: 403, error: { code: 'AccessDenied', message: 'not allowed' } });
    const r = await cli(['sts', 'assume-role', '--role-arn', 'arn:x', '--role-session-name', 's']);
    expect(r.stderr).toBe(
      'gatehouse: An error occurred (AccessDenied) when calling the AssumeRole operation: not allowed\n',
    );
  });

  it('without an AWS error document show the HTTP status, as the AWS CLI does', async () => {
    stub.respond('DeleteRole', { status: 403, body: '<html><body>forbidden by proxy</body></html>' });
    const r = await cli(['iam', 'delete-role', '--role-name', 'r']);
    expect(r.stderr).toBe(
      'gatehouse: An error occurred (403) when calling the DeleteRole operation: Forbidden\n',
    );
  });

  it('an answer that is not XML at all points at a wrong --endpoint-url', async () => {
    stub.respond('GetUser', { status: 404, body: '{"message":"Not Found"}' });
    const r = await cli(['iam', 'get-user']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^gatehouse: unexpected answer from https:\/\/127\.0\.0\.1:\d+ to GetUser: HTTP 404 /,
    );
  });
});
