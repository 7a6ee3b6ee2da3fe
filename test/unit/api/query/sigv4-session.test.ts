// SigV4 verifier additions for the Query API: temporary (ASIA) keys need their session token and expire;
// several signing names, each with its own regions, can be accepted at one endpoint.
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { type SigV4VerifyOptions, verifySigV4 } from '../../../../src/api/sigv4-verify.js';
import { ManualClock } from '../../../../src/core/clock.js';
import { GatehouseError } from '../../../../src/core/errors.js';
import { presign, type SignWith, signHeaders } from '../support/sign.js';
import { SessionKeys } from './support/session-keys.js';

const NOW = new Date('2025-03-01T12:00:00Z');
const SESSION = {
  accessKeyId: 'ASIAGATEHOUSESESSION',
  secretAccessKey: 'sessionSecretsessionSecretsessionSecret0',
};
const TOKEN = 'FwoGZXIvYXdzEJr//////////token+/=';
const ROLE_SESSION_ARN = 'arn:aws:sts::123456789012:assumed-role/reader/ci';
const LONG_TERM = {
  accessKeyId: 'AKIAGATEHOUSELONG001',
  secretAccessKey: 'longTermSecretlongTermSecretlongTermSecr',
};

let keys: SessionKeys;
let clock: ManualClock;
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const signWith = (over: Partial<SignWith> = {}): SignWith => ({
  ...SESSION,
  sessionToken: TOKEN,
  signingDate: NOW,
  service: 'sts',
  ...over,
});
const queryBody = 'Action=GetCallerIdentity&Version=2011-06-15';
const request = (over: Partial<SignWith> = {}) =>
  signHeaders(
    { path: '/', body: queryBody, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    signWith(over),
  );
const options = (over: Partial<SigV4VerifyOptions> = {}): SigV4VerifyOptions => ({
  keys,
  clock,
  service: 'iam',
  region: 'us-east-1',
  scopes: { iam: ['us-east-1', 'eu-west-1'], sts: ['eu-west-1', 'us-east-1'] },
  ...over,
});

async function refusal(p: Promise<unknown>): Promise<GatehouseError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GatehouseError);
  return e as GatehouseError;
}

beforeEach(() => {
  clock = new ManualClock(NOW);
  keys = new SessionKeys();
  keys.add({
    ...SESSION,
    principalArn: ROLE_SESSION_ARN,
    userId: 'AROA0000000000000001:ci',
    sessionTokenHash: sha256(TOKEN),
    expiresAt: new Date(NOW.getTime() + 3600_000),
  });
  keys.add({ ...LONG_TERM, principalArn: 'arn:aws:iam::123456789012:user/admin' });
});

describe('temporary (STS) keys', () => {
  it('are accepted with their session token, and the caller names service, region and unique id', async () => {
    await expect(verifySigV4(await request(), options())).resolves.toEqual({
      accessKeyId: SESSION.accessKeyId,
      principalArn: ROLE_SESSION_ARN,
      signedAt: NOW,
      sessionToken: TOKEN,
      service: 'sts',
      region: 'us-east-1',
      userId: 'AROA0000000000000001:ci',
    });
  });

  it('are accepted presigned (query form) with the token in X-Amz-Security-Token', async () => {
    const req = await presign(
      { path: '/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } },
      signWith(),
    );
    expect(req.query['X-Amz-Security-Token']).toBe(TOKEN);
    await expect(verifySigV4(req, options())).resolves.toMatchObject({ service: 'sts' });
  });

  it('are refused without a token as InvalidClientTokenId, even with a valid signature', async () => {
    const e = await refusal(verifySigV4(await request({ sessionToken: undefined }), options()));
    expect(e.code).toBe('GH_STS_INVALID_TOKEN');
    expect(e.spec).toMatchObject({ http: 403, awsCode: 'InvalidClientTokenId' });
  });

  it("are refused with another session's token", async () => {
    const e = await refusal(verifySigV4(await request({ sessionToken: `${TOKEN}x` }), options()));
    expect(e.code).toBe('GH_STS_INVALID_TOKEN');
  });

  it('an ASIA key with no token hash on record is refused whatever token comes', async () => {
    keys.update(SESSION.accessKeyId, { sessionTokenHash: undefined });
    expect((await refusal(verifySigV4(await request(), options()))).code).toBe('GH_STS_INVALID_TOKEN');
  });

  it('are refused once expired as ExpiredToken 403, whether the lookup says Active or Inactive', async () => {
    clock.set(new Date(NOW.getTime() + 3600_000));
    const req = await request({ signingDate: clock.now() });
    const e = await refusal(verifySigV4(req, options()));
    expect(e.code).toBe('GH_STS_EXPIRED_TOKEN');
    expect(e.spec).toMatchObject({ http: 403, awsCode: 'ExpiredToken' });
    keys.update(SESSION.accessKeyId, { status: 'Inactive' });
    expect((await refusal(verifySigV4(req, options()))).code).toBe('GH_STS_EXPIRED_TOKEN');
  });

  it('an Inactive session that has not expired is an invalid key', async () => {
    keys.update(SESSION.accessKeyId, { status: 'Inactive' });
    expect((await refusal(verifySigV4(await request(), options()))).code).toBe('GH_API_INVALID_KEY');
  });

  it('without the secret nobody learns whether a session expired: a bad signature is reported first', async () => {
    clock.set(new Date(NOW.getTime() + 7200_000));
    const req = await request({ signingDate: clock.now(), secretAccessKey: 'x'.repeat(40) });
    expect((await refusal(verifySigV4(req, options()))).code).toBe('GH_API_SIGNATURE_MISMATCH');
  });

  it('a long-term key with a stray session token is still accepted (the token is reported)', async () => {
    const req = await request({ ...LONG_TERM, sessionToken: 'stray' });
    await expect(verifySigV4(req, options())).resolves.toMatchObject({
      accessKeyId: LONG_TERM.accessKeyId,
      sessionToken: 'stray',
    });
  });
});

describe('several signing names at one endpoint (scopes)', () => {
  it('accepts each listed service in each of its regions', async () => {
    for (const [service, region] of [
      ['iam', 'us-east-1'],
      ['iam', 'eu-west-1'],
      ['sts', 'eu-west-1'],
      ['sts', 'us-east-1'],
    ] as const) {
      const caller = await verifySigV4(await request({ service, region }), options());
      expect(caller).toMatchObject({ service, region });
    }
  });

  it('refuses a service that is not listed, naming the accepted ones in the operator detail', async () => {
    const e = await refusal(verifySigV4(await request({ service: 'gatehouse' }), options()));
    expect(e.code).toBe('GH_API_UNKNOWN_SERVICE');
    expect(e.message).toContain(
      "the iam and sts APIs here; this request was signed for the service 'gatehouse'",
    );
    expect(e.detail).toContain('"iam", "sts"');
    const proto = await refusal(verifySigV4(await request({ service: '__proto__' }), options()));
    expect(proto.code).toBe('GH_API_UNKNOWN_SERVICE');
  });

  it("refuses a region not listed for that service, suggesting the service's first region", async () => {
    const e = await refusal(verifySigV4(await request({ service: 'sts', region: 'ap-south-1' }), options()));
    expect(e.code).toBe('GH_API_WRONG_REGION');
    expect(e.message).toContain('"eu-west-1", not "ap-south-1"');
  });

  it('without scopes the single service and region still apply', async () => {
    const e = await refusal(verifySigV4(await request(), options({ scopes: undefined })));
    expect(e.detail).toContain('this endpoint is "iam"');
  });
});
