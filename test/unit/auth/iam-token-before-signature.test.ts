// Nothing a client is told before the token's signature verifies with a real key mentions a time, a key's
// existence or a key's state (docs/decisions.md #36): forged tokens all read the same, whatever else is wrong
// with them, while the operator detail keeps the precise reason and the audit its per-reason code.
import { describe, expect, it, vi } from 'vitest';
import type { GatehouseError } from '../../../src/core/errors.js';
import { sqlstateOf } from '../../../src/engines/postgres/error-wire.js';
import {
  AT,
  expectNoSecrets,
  harness,
  LONG_TERM,
  longTermRecord,
  rdsSignerToken,
  refusal,
  signatureOf,
  TEMPORARY,
  temporaryRecord,
  withParam,
} from './support/iam-token.js';

/** HMAC objects made through node:crypto, counted (vi.mock is hoisted: the verifier imports this one). */
const hmacs = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    createHmac: (...args: Parameters<typeof crypto.createHmac>) => {
      hmacs.count++;
      return crypto.createHmac(...args);
    },
  };
});

const NOT_VERIFIED =
  'IAM auth token signature does not match: check the access key id and secret access key, region, host and port used to sign, and that the token was not altered';
/** Words that would tell a forger about the clock or a key. */
const TELLS =
  /\d{4}-\d\d-\d\dT|\b20\d{6}T|server time|future|expired|inactive|does not know|not exist|session|ASIA|AKIA/i;

const seconds = (n: number) => new Date(AT.getTime() + n * 1000);
const base = await rdsSignerToken();
const session = await rdsSignerToken({ credentials: TEMPORARY });
/** The same token with a signature nobody computed (a forger's). */
const forged = (token: string) => withParam(token, 'X-Amz-Signature', 'f00d'.repeat(16));
const stranger = await rdsSignerToken({
  credentials: { accessKeyId: 'AKIAZZZZZZZZZZZZZZZZ', secretAccessKey: 'x'.repeat(40) },
});

interface Case {
  readonly name: string;
  readonly run: () => Promise<unknown>;
  readonly code: string;
  /** What the operator detail must say. */
  readonly detail: RegExp;
}

const cases: Case[] = [
  {
    name: 'unknown key',
    run: () => harness({ records: [] }).verify(forged(base)),
    code: 'GH_IAM_TOKEN_UNKNOWN_KEY',
    detail: /^no access key or STS session AKIAIOSFODNN7EXAMPLE \(never issued here/,
  },
  {
    name: 'a key this Gatehouse never issued (valid-looking signature of another secret)',
    run: () => harness().verify(stranger),
    code: 'GH_IAM_TOKEN_UNKNOWN_KEY',
    detail: /^no access key or STS session AKIAZZZZZZZZZZZZZZZZ /,
  },
  {
    name: 'inactive key',
    run: () => harness({ records: [longTermRecord({ status: 'Inactive' })] }).verify(forged(base)),
    code: 'GH_IAM_TOKEN_SIGNATURE_MISMATCH',
    detail: /does not verify with the secret of AKIAIOSFODNN7EXAMPLE \(principal .*, key Inactive\)$/,
  },
  {
    name: 'expired temporary credentials',
    run: () =>
      harness({ records: [temporaryRecord({ expiresAt: seconds(1) })], now: seconds(2) }).verify(
        forged(session),
      ),
    code: 'GH_IAM_TOKEN_SIGNATURE_MISMATCH',
    detail: /does not verify with the secret of ASIAQ3EGUAXHZEXAMPLE /,
  },
  {
    name: 'dated an hour in the future',
    run: () => harness({ now: seconds(-3600) }).verify(forged(base)),
    code: 'GH_IAM_TOKEN_SIGNATURE_MISMATCH',
    detail:
      /key Active\); it is also dated 3600 seconds in the future \(signed at 2026-11-28T12:34:56\.000Z, server time 2026-11-28T11:34:56\.000Z\)$/,
  },
  {
    name: 'expired an hour ago',
    run: () => harness({ now: seconds(4500) }).verify(forged(base)),
    code: 'GH_IAM_TOKEN_SIGNATURE_MISMATCH',
    detail:
      /key Active\); it also expired 3600 seconds ago \(signed at 2026-11-28T12:34:56\.000Z, valid for 900 seconds\)$/,
  },
  {
    name: 'unknown key and dated in the future',
    run: () => harness({ records: [], now: seconds(-3600) }).verify(forged(base)),
    code: 'GH_IAM_TOKEN_UNKNOWN_KEY',
    detail:
      /or role\); it is also dated 3600 seconds in the future \(.*server time 2026-11-28T11:34:56\.000Z\)$/,
  },
];

describe('forged tokens (the signature does not verify with a real key)', () => {
  it('unknown key, inactive key, expired credentials, future date, expired date: one and the same client text', async () => {
    const errors: GatehouseError[] = [];
    for (const c of cases) {
      const err = await refusal(c.run());
      expect({ case: c.name, code: err.code }).toEqual({ case: c.name, code: c.code });
      expect(sqlstateOf(err.code)).toBe('28P01');
      expect(err.detail, c.name).toMatch(c.detail);
      expectNoSecrets(err, { signature: signatureOf(base) });
      errors.push(err);
    }
    expect(new Set(errors.map((e) => e.message))).toEqual(new Set([NOT_VERIFIED]));
    for (const e of errors) expect(e.message).not.toMatch(TELLS);
  });

  it('the audit facts keep the key id (and the principal when the key exists), as before', async () => {
    const unknown = await refusal(harness({ records: [] }).verify(forged(base)));
    expect(unknown.audit).toEqual({ accessKeyId: LONG_TERM.accessKeyId, signaturePrefix: 'f00df00d' });
    const inactive = await refusal(
      harness({ records: [longTermRecord({ status: 'Inactive' })] }).verify(forged(base)),
    );
    expect(inactive.audit).toEqual({
      accessKeyId: LONG_TERM.accessKeyId,
      principalArn: 'arn:aws:iam::123456789012:user/alice',
      signaturePrefix: 'f00df00d',
    });
  });
});

describe('the same faults with a signature that verifies: the holder of the secret is told precisely', () => {
  it('dated in the future: GH_IAM_TOKEN_NOT_YET_VALID with the server time', async () => {
    const err = await refusal(harness({ now: seconds(-3600) }).verify(base));
    expect(err.code).toBe('GH_IAM_TOKEN_NOT_YET_VALID');
    expect(err.message).toContain('server time 2026-11-28T11:34:56.000Z');
  });

  it('expired: GH_IAM_TOKEN_EXPIRED; inactive key: GH_IAM_TOKEN_KEY_INACTIVE', async () => {
    expect((await refusal(harness({ now: seconds(4500) }).verify(base))).code).toBe('GH_IAM_TOKEN_EXPIRED');
    const inactive = harness({ records: [longTermRecord({ status: 'Inactive' })] });
    expect((await refusal(inactive.verify(base))).code).toBe('GH_IAM_TOKEN_KEY_INACTIVE');
  });
});

describe('the work done does not depend on whether the key exists', () => {
  it('an unknown key id derives a signing key (from a decoy secret) as a known one does: no early return', async () => {
    hmacs.count = 0;
    await refusal(harness({ records: [] }).verify(forged(base)));
    const unknown = hmacs.count;
    hmacs.count = 0;
    await refusal(harness().verify(forged(base)));
    expect(unknown).toBe(4); // the four HMACs of the SigV4 key derivation
    expect(hmacs.count).toBe(unknown);
  });
});
