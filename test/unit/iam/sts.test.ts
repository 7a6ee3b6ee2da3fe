import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSessionToken, hashSessionToken } from '../../../src/iam/credential-lookup.js';
import { authorizePrincipal, compilePrincipal } from '../../../src/iam/principal-authorize.js';
import { loadPrincipal } from '../../../src/iam/principal-policies.js';
import { createCredentialLookup, createStsService, type StsService } from '../../../src/iam/sts.js';
import type { Caller } from '../../../src/iam/types.js';
import { evaluate } from '../../../src/policy/index.js';
import { ACCOUNT, allow, awsError, type Cluster, type Harness, refusal, startCluster } from './harness.js';

let cluster: Cluster;
let h: Harness;
let sts: StsService;
const ROLE = (name: string) => `arn:aws:iam::123456789012:role/${name}`;

function trust(principal: unknown): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }],
  });
}

async function callerFor(name: string): Promise<Caller> {
  const { User } = await h.iam.getUser({ UserName: name }, {} as Caller);
  return {
    arn: User.Arn,
    accountId: ACCOUNT.accountId,
    userId: User.UserId,
    accessKeyId: 'AKIAAAAAAAAAAAAAAAAA',
    userName: name,
  };
}

beforeAll(async () => {
  cluster = await startCluster('iam-sts');
  h = await cluster.harness();
  sts = createStsService({ store: h.store, box: h.box, clock: h.clock, account: ACCOUNT });
  await h.iam.createUser({ UserName: 'uma' }); // may assume any role
  await h.iam.putPrincipalPolicy('User', 'uma', {
    PolicyName: 'assume',
    PolicyDocument: allow('sts:AssumeRole', ROLE('*')),
  });
  await h.iam.createUser({ UserName: 'vic' }); // has no identity policy
  await h.iam.createRole({
    RoleName: 'direct',
    AssumeRolePolicyDocument: trust({ AWS: 'arn:aws:iam::123456789012:user/uma' }),
  });
  await h.iam.createRole({
    RoleName: 'account',
    AssumeRolePolicyDocument: trust({ AWS: 'arn:aws:iam::123456789012:root' }),
  });
  await h.iam.createRole({
    RoleName: 'for-vic',
    AssumeRolePolicyDocument: trust({ AWS: 'arn:aws:iam::123456789012:user/vic' }),
  });
  await h.iam.createRole({
    RoleName: 'long',
    AssumeRolePolicyDocument: trust('*'),
    MaxSessionDuration: 7200,
  });
  await h.iam.putPrincipalPolicy('Role', 'account', { PolicyName: 's3', PolicyDocument: allow('s3:*') });
});
afterAll(async () => cluster?.stop());

describe('sts:AssumeRole', () => {
  it('issues ASIA credentials and the assumed-role identity when the trust policy names the caller and its policies allow', async () => {
    const r = await sts.assumeRole(
      { RoleArn: ROLE('direct'), RoleSessionName: 'job-1' },
      await callerFor('uma'),
      evaluate,
    );
    expect(r.Credentials.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(r.Credentials.SecretAccessKey).toHaveLength(40);
    expect(r.Credentials.SessionToken.length).toBeGreaterThanOrEqual(100);
    expect(r.Credentials.Expiration).toBe('2025-01-01T01:00:00.000Z');
    const role = (await h.iam.getRole({ RoleName: 'direct' })).Role;
    expect(r.AssumedRoleUser).toEqual({
      AssumedRoleId: `${role.RoleId}:job-1`,
      Arn: 'arn:aws:sts::123456789012:assumed-role/direct/job-1',
    });
  });

  it('an account principal in the trust policy admits a user of the account whose own policies allow', async () => {
    await sts.assumeRole(
      { RoleArn: ROLE('account'), RoleSessionName: 'ss' },
      await callerFor('uma'),
      evaluate,
    );
  });

  it('refuses with AccessDenied (403) naming the failed check in the operator detail only', async () => {
    const vic = await callerFor('vic');
    // Trust names vic, but vic's identity policies allow nothing.
    const identity = await awsError(
      sts.assumeRole({ RoleArn: ROLE('for-vic'), RoleSessionName: 'ss' }, vic, evaluate),
      'AccessDenied',
    );
    expect(identity.spec.http).toBe(403);
    expect(identity.message).toBe(
      `User: ${vic.arn} is not authorized to perform: sts:AssumeRole on resource: ${ROLE('for-vic')}`,
    );
    expect(identity.detail).toMatch(/identity policies/);
    // uma's policies allow, but the trust policy names only vic.
    const trusted = await awsError(
      sts.assumeRole({ RoleArn: ROLE('for-vic'), RoleSessionName: 'ss' }, await callerFor('uma'), evaluate),
      'AccessDenied',
    );
    expect(trusted.detail).toMatch(/trust policy does not allow/);
    expect(trusted.message).not.toMatch(/trust/);
    // An account principal delegates to identity policies: vic has none.
    expect(
      (
        await awsError(
          sts.assumeRole({ RoleArn: ROLE('account'), RoleSessionName: 'ss' }, vic, evaluate),
          'AccessDenied',
        )
      ).detail,
    ).toMatch(/identity policies/);
  });

  it('an explicit Deny in the trust policy wins and is named', async () => {
    const doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' },
        {
          Effect: 'Deny',
          Principal: { AWS: 'arn:aws:iam::123456789012:user/uma' },
          Action: 'sts:AssumeRole',
        },
      ],
    });
    await h.iam.createRole({ RoleName: 'no-uma', AssumeRolePolicyDocument: doc });
    const e = await awsError(
      sts.assumeRole({ RoleArn: ROLE('no-uma'), RoleSessionName: 'ss' }, await callerFor('uma'), evaluate),
      'AccessDenied',
    );
    expect(e.detail).toMatch(/trust policy.*explicitly deny/);
  });

  it('an unknown role is AccessDenied (not NoSuchEntity); malformed parameters are ValidationError', async () => {
    const uma = await callerFor('uma');
    expect(
      (
        await awsError(
          sts.assumeRole({ RoleArn: ROLE('ghost'), RoleSessionName: 's1' }, uma, evaluate),
          'AccessDenied',
        )
      ).detail,
    ).toMatch(/no role/);
    await awsError(
      sts.assumeRole({ RoleArn: 'arn:aws:iam::123456789012:user/uma', RoleSessionName: 's1' }, uma, evaluate),
      'ValidationError',
    );
    await awsError(
      sts.assumeRole({ RoleArn: ROLE('direct'), RoleSessionName: 'x' }, uma, evaluate),
      'ValidationError',
    );
    await awsError(
      sts.assumeRole({ RoleArn: ROLE('direct'), RoleSessionName: 'has space' }, uma, evaluate),
      'ValidationError',
    );
  });

  it('DurationSeconds must be 900..MaxSessionDuration of the role', async () => {
    const uma = await callerFor('uma');
    await awsError(
      sts.assumeRole({ RoleArn: ROLE('direct'), RoleSessionName: 'ss', DurationSeconds: 899 }, uma, evaluate),
      'ValidationError',
    );
    const e = await awsError(
      sts.assumeRole(
        { RoleArn: ROLE('direct'), RoleSessionName: 'ss', DurationSeconds: 3601 },
        uma,
        evaluate,
      ),
      'ValidationError',
    );
    expect(e.message).toContain('MaxSessionDuration');
    const r = await sts.assumeRole(
      { RoleArn: ROLE('long'), RoleSessionName: 'ss', DurationSeconds: 7200 },
      uma,
      evaluate,
    );
    expect(r.Credentials.Expiration).toBe(new Date(h.clock.now().getTime() + 7200_000).toISOString());
    const short = await sts.assumeRole(
      { RoleArn: ROLE('direct'), RoleSessionName: 'ss', DurationSeconds: 900 },
      uma,
      evaluate,
    );
    expect(short.Credentials.Expiration).toBe(new Date(h.clock.now().getTime() + 900_000).toISOString());
  });

  it('getCallerIdentity echoes the caller', async () => {
    const uma = await callerFor('uma');
    expect(sts.getCallerIdentity(uma)).toEqual({ UserId: uma.userId, Account: '123456789012', Arn: uma.arn });
  });
});

describe('STS session credentials', () => {
  it('the lookup finds the session key, demands its token, and refuses it once expired (ManualClock)', async () => {
    const r = await sts.assumeRole(
      { RoleArn: ROLE('direct'), RoleSessionName: 'exp', DurationSeconds: 900 },
      await callerFor('uma'),
      evaluate,
    );
    const lookup = createCredentialLookup(h.store, h.box, h.clock);
    const rec = await lookup.findAccessKey(r.Credentials.AccessKeyId);
    expect(rec).toMatchObject({
      accessKeyId: r.Credentials.AccessKeyId,
      secretAccessKey: r.Credentials.SecretAccessKey,
      status: 'Active',
      principalArn: 'arn:aws:sts::123456789012:assumed-role/direct/exp',
      userId: r.AssumedRoleUser.AssumedRoleId,
      expiresAt: new Date(r.Credentials.Expiration),
    });
    expect(rec!.sessionTokenHash).toEqual(hashSessionToken(r.Credentials.SessionToken));

    expect(() => checkSessionToken(rec!, r.Credentials.SessionToken, h.clock)).not.toThrow();
    const missing = await refusal(Promise.resolve().then(() => checkSessionToken(rec!, undefined, h.clock)));
    expect(missing.spec).toMatchObject({ awsCode: 'InvalidClientTokenId', http: 403 });
    const wrong = await refusal(
      Promise.resolve().then(() => checkSessionToken(rec!, `${r.Credentials.SessionToken}x`, h.clock)),
    );
    expect(wrong.spec.awsCode).toBe('InvalidClientTokenId');

    h.clock.advance(899_000);
    expect(() => checkSessionToken(rec!, r.Credentials.SessionToken, h.clock)).not.toThrow();
    h.clock.advance(1_000);
    const expired = await refusal(
      Promise.resolve().then(() => checkSessionToken(rec!, r.Credentials.SessionToken, h.clock)),
    );
    expect(expired.spec).toMatchObject({ awsCode: 'ExpiredToken', http: 403 });
    expect((await lookup.findAccessKey(r.Credentials.AccessKeyId))?.status).toBe('Inactive');
    h.clock.set(new Date('2025-01-01T00:00:00Z'));
  });

  it('the session row holds neither the secret nor the session token', async () => {
    const r = await sts.assumeRole(
      { RoleArn: ROLE('direct'), RoleSessionName: 'raw' },
      await callerFor('uma'),
      evaluate,
    );
    const res = await h.store.pool.query('SELECT * FROM gh_sts_sessions WHERE access_key_id = $1', [
      r.Credentials.AccessKeyId,
    ]);
    const row = res.rows[0] as Record<string, unknown>;
    const dump =
      JSON.stringify(row) +
      (row['secret'] as Buffer).toString('latin1') +
      (row['token_hash'] as Buffer).toString('latin1');
    expect(dump).not.toContain(r.Credentials.SecretAccessKey);
    expect(dump).not.toContain(r.Credentials.SessionToken.slice(0, 20));
    expect(row['source_arn']).toBe('arn:aws:iam::123456789012:user/uma');
  });

  it("a session has the role's policies, narrowed by the session Policy", async () => {
    const r = await sts.assumeRole(
      { RoleArn: ROLE('account'), RoleSessionName: 'narrow', Policy: allow('s3:GetObject') },
      await callerFor('uma'),
      evaluate,
    );
    expect(r.PackedPolicySize).toBeGreaterThan(0);
    const p = await loadPrincipal(h.store, r.Credentials.AccessKeyId);
    expect(p?.principal).toMatchObject({
      arn: 'arn:aws:sts::123456789012:assumed-role/account/narrow',
      userid: r.AssumedRoleUser.AssumedRoleId,
    });
    expect(p?.session).toMatchObject({ roleArn: ROLE('account'), sessionName: 'narrow' });
    const compiled = compilePrincipal(p!);
    const decide = (action: string) =>
      authorizePrincipal(compiled, { action, resource: '*', context: {} }, evaluate).decision;
    expect(decide('s3:GetObject')).toBe('allowed');
    expect(decide('s3:PutObject')).toBe('implicitDeny'); // the role allows it, the session policy does not
    await awsError(
      sts.assumeRole(
        { RoleArn: ROLE('account'), RoleSessionName: 'bad', Policy: '{"Statement": 1}' },
        await callerFor('uma'),
        evaluate,
      ),
      'MalformedPolicyDocument',
    );
  });

  it('role chaining is limited to one hour', async () => {
    const first = await sts.assumeRole(
      { RoleArn: ROLE('long'), RoleSessionName: 'hop1' },
      await callerFor('uma'),
      evaluate,
    );
    await h.iam.putPrincipalPolicy('Role', 'long', {
      PolicyName: 'assume',
      PolicyDocument: allow('sts:AssumeRole', ROLE('*')),
    });
    const session: Caller = {
      arn: first.AssumedRoleUser.Arn,
      accountId: ACCOUNT.accountId,
      userId: first.AssumedRoleUser.AssumedRoleId,
      accessKeyId: first.Credentials.AccessKeyId,
    };
    await awsError(
      sts.assumeRole(
        { RoleArn: ROLE('long'), RoleSessionName: 'hop2', DurationSeconds: 7200 },
        session,
        evaluate,
      ),
      'ValidationError',
    );
    const hop = await sts.assumeRole({ RoleArn: ROLE('long'), RoleSessionName: 'hop2' }, session, evaluate);
    expect(hop.AssumedRoleUser.Arn).toBe('arn:aws:sts::123456789012:assumed-role/long/hop2');
    await h.iam.deletePrincipalPolicy('Role', 'long', { PolicyName: 'assume' });
  });

  it('deleting the role ends its sessions; a re-created role of the same name does not revive them', async () => {
    await h.iam.createRole({ RoleName: 'temp', AssumeRolePolicyDocument: trust('*') });
    const r = await sts.assumeRole(
      { RoleArn: ROLE('temp'), RoleSessionName: 'ss' },
      await callerFor('uma'),
      evaluate,
    );
    const lookup = createCredentialLookup(h.store, h.box, h.clock);
    expect(await lookup.findAccessKey(r.Credentials.AccessKeyId)).not.toBeNull();
    await h.iam.deleteRole({ RoleName: 'temp' });
    await h.iam.createRole({ RoleName: 'temp', AssumeRolePolicyDocument: trust('*') });
    expect(await lookup.findAccessKey(r.Credentials.AccessKeyId)).toBeNull();
    expect(await loadPrincipal(h.store, r.Credentials.AccessKeyId)).toBeNull();
  });
});
