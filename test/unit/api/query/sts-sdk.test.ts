// STS through @aws-sdk/client-sts: AssumeRole's temporary credentials work only with their session token
// and only until they expire; GetCallerIdentity names users and role sessions and is never denied.
import { CreateRoleCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_ARN,
  type Credentials,
  type QueryFixture,
  rejection,
  startQueryFixture,
} from './support/query-fixture.js';

let fx: QueryFixture;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/app/reader';

async function assume(session = 'build-42'): Promise<Credentials & { expiration: Date }> {
  const out = await fx
    .stsClient()
    .send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: session }));
  const c = out.Credentials!;
  return {
    accessKeyId: c.AccessKeyId!,
    secretAccessKey: c.SecretAccessKey!,
    sessionToken: c.SessionToken!,
    expiration: c.Expiration!,
  };
}

beforeAll(async () => {
  fx = await startQueryFixture();
  const trust = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: ADMIN_ARN } }] });
  await fx
    .iamClient()
    .send(new CreateRoleCommand({ RoleName: 'reader', Path: '/app/', AssumeRolePolicyDocument: trust }));
});
afterAll(async () => {
  await fx.close();
});
beforeEach(() => {
  fx.authz.deny.clear();
});

describe('sts:GetCallerIdentity', () => {
  it('names the calling user, its AIDA id and the account', async () => {
    const out = await fx.stsClient().send(new GetCallerIdentityCommand({}));
    expect(out).toMatchObject({ Arn: ADMIN_ARN, Account: '123456789012' });
    expect(out.UserId).toMatch(/^AIDA/);
  });

  it('is answered even when the policy seam denies everything (AWS never denies it)', async () => {
    fx.authz.deny.add('*');
    const before = fx.authz.calls.length;
    const out = await fx.stsClient().send(new GetCallerIdentityCommand({}));
    expect(out.Arn).toBe(ADMIN_ARN);
    expect(fx.authz.calls.length).toBe(before);
  });
});

describe('sts:AssumeRole', () => {
  it('returns credentials, the assumed-role user and a parsed Expiration, passing every parameter', async () => {
    const out = await fx.stsClient().send(
      new AssumeRoleCommand({
        RoleArn: ROLE_ARN,
        RoleSessionName: 'ci',
        DurationSeconds: 900,
        Policy: '{"Statement":[]}',
        PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
        Tags: [{ Key: 'project', Value: 'x' }],
        TransitiveTagKeys: ['project'],
        ExternalId: 'ext-1',
        SourceIdentity: 'alice',
      }),
    );
    expect(fx.sts.assumed.at(-1)).toEqual({
      RoleArn: ROLE_ARN,
      RoleSessionName: 'ci',
      DurationSeconds: 900,
      Policy: '{"Statement":[]}',
      PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
      Tags: [{ Key: 'project', Value: 'x' }],
      TransitiveTagKeys: ['project'],
      ExternalId: 'ext-1',
      SourceIdentity: 'alice',
    });
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(out.Credentials?.Expiration).toBeInstanceOf(Date);
    expect(out.Credentials!.Expiration!.getTime() - Date.now()).toBeGreaterThan(800_000);
    expect(out.AssumedRoleUser).toMatchObject({ Arn: 'arn:aws:sts::123456789012:assumed-role/reader/ci' });
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA\w+:ci$/);
    expect(out).toMatchObject({ PackedPolicySize: 6, SourceIdentity: 'alice' });
    expect(fx.authz.last()).toMatchObject({ action: 'sts:AssumeRole', resource: ROLE_ARN });
    expect(fx.authz.last()?.context).toMatchObject({
      'sts:RoleSessionName': 'ci',
      'sts:ExternalId': 'ext-1',
    });
  });

  it('the temporary credentials sign IAM and STS calls as the role session', async () => {
    const creds = await assume('session-a');
    const who = await fx.stsClient(creds).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe('arn:aws:sts::123456789012:assumed-role/reader/session-a');
    expect(who.UserId).toMatch(/^AROA\w+:session-a$/);
    await fx.iamClient(creds).send(new ListUsersCommand({}));
    expect(fx.authz.last()?.caller.arn).toBe(who.Arn);
    expect(fx.authz.last()?.context['aws:PrincipalType']).toBe('AssumedRole');
  });

  it('a temporary key without its session token is InvalidClientTokenId', async () => {
    const { sessionToken: _dropped, ...bare } = await assume();
    const e = await rejection(fx.stsClient(bare).send(new GetCallerIdentityCommand({})));
    expect(e.name).toBe('InvalidClientTokenId');
    expect(e.$metadata?.httpStatusCode).toBe(403);
  });

  it("a temporary key with another session's token is InvalidClientTokenId", async () => {
    const one = await assume('one');
    const two = await assume('two');
    const e = await rejection(
      fx.stsClient({ ...one, sessionToken: two.sessionToken }).send(new GetCallerIdentityCommand({})),
    );
    expect(e.name).toBe('InvalidClientTokenId');
    expect(e.message).toBe('The security token included in the request is invalid.');
  });

  it('an expired session is ExpiredToken, 403, even when the lookup reports it Inactive', async () => {
    const creds = await assume();
    fx.keys.update(creds.accessKeyId, { expiresAt: new Date(Date.now() - 1000) });
    const e = await rejection(fx.iamClient(creds).send(new ListUsersCommand({})));
    expect(e.name).toBe('ExpiredToken');
    expect(e.$metadata?.httpStatusCode).toBe(403);
    fx.keys.update(creds.accessKeyId, { status: 'Inactive' });
    expect((await rejection(fx.stsClient(creds).send(new GetCallerIdentityCommand({})))).name).toBe(
      'ExpiredToken',
    );
  });

  it('an AssumeRole the policy seam refuses is AccessDenied naming the role', async () => {
    fx.authz.deny.add('sts:AssumeRole');
    const e = await rejection(assume());
    expect(e.name).toBe('AccessDenied');
    expect(e.message).toBe(
      `User: ${ADMIN_ARN} is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`,
    );
  });
});

describe('STS signing regions', () => {
  it('STS takes the gateway region or us-east-1; IAM takes us-east-1 or the gateway region; not others', async () => {
    const eu = await startQueryFixture({ region: 'eu-west-1' });
    try {
      expect((await eu.stsClient(undefined, 'eu-west-1').send(new GetCallerIdentityCommand({}))).Arn).toBe(
        ADMIN_ARN,
      );
      expect((await eu.stsClient(undefined, 'us-east-1').send(new GetCallerIdentityCommand({}))).Arn).toBe(
        ADMIN_ARN,
      );
      await eu.iamClient(undefined, 'us-east-1').send(new ListUsersCommand({}));
      await eu.iamClient(undefined, 'eu-west-1').send(new ListUsersCommand({}));
      const e = await rejection(eu.stsClient(undefined, 'ap-south-1').send(new GetCallerIdentityCommand({})));
      expect(e.name).toBe('SignatureDoesNotMatch');
      expect(e.message).toContain('"eu-west-1"');
    } finally {
      await eu.close();
    }
  });
});
