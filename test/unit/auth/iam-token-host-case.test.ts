// Tokens for a host written with capitals verify however the signer treated the case: @aws-sdk/rds-signer signs
// the host as written, botocore (AWS CLI, boto3) signs it lower-cased but writes it as given. RDS accepts both.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALICE,
  expectRefused,
  HOST,
  harness,
  LONG_TERM,
  PORT,
  presignToken,
  rdsSignerToken,
  refusal,
  signatureOf,
} from './support/iam-token.js';

/**
 * Recorded from `aws rds generate-db-auth-token --hostname DB.Example.INTERNAL --port 5433 --username app_user
 * --region us-east-1` (aws-cli/1.45.11, botocore/1.43.11) with LONG_TERM's key: the host keeps its capitals, the
 * signature is over `db.example.internal:5433`.
 */
const AWS_CLI_TOKEN =
  'DB.Example.INTERNAL:5433/?Action=connect&DBUser=app_user&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261207%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20261207T172408Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=1e50db02cb1c9999e6cecbfd2577808fdad25a7afaff4e45064b7c70a4478661';
const CLI_SIGNED_AT = new Date('2026-12-07T17:24:08Z');

/** What botocore does: sign for the lower-cased host, then write the host as it was given. */
async function botocoreStyle(hostname: string, o: { at?: Date } = {}): Promise<string> {
  const signed = await rdsSignerToken({ hostname: hostname.toLowerCase(), ...o });
  return hostname + signed.slice(hostname.length);
}

describe('a host name with capitals', () => {
  it('the AWS CLI token (signed over the lower-cased host) is accepted', async () => {
    const h = harness({ now: new Date(CLI_SIGNED_AT.getTime() + 2000) });
    const ok = await h.verify(AWS_CLI_TOKEN);
    expect(ok).toMatchObject({
      accessKeyId: LONG_TERM.accessKeyId,
      principalArn: ALICE,
      signedAt: CLI_SIGNED_AT,
    });
  });

  it('the rds-signer token for the same host (signed as written) is accepted too', async () => {
    const token = await rdsSignerToken({ hostname: 'DB.Example.INTERNAL' });
    expect(token.startsWith(`DB.Example.INTERNAL:${PORT}/?`)).toBe(true);
    expect((await harness().verify(token)).principalArn).toBe(ALICE);
    expect(signatureOf(token)).not.toBe(signatureOf(await botocoreStyle('DB.Example.INTERNAL')));
  });

  it('a signature over any other spelling of the host is refused (only as written, or lower-cased)', async () => {
    const h = harness();
    const signedMixed = await presignToken({ hostname: 'Db.Example.Internal' });
    const shownOtherwise = `DB.EXAMPLE.INTERNAL${signedMixed.slice(HOST.length)}`;
    const err = await refusal(h.verify(shownOtherwise));
    expect(err.code).toBe('GH_IAM_TOKEN_SIGNATURE_MISMATCH');
    // And a wrong secret stays wrong under both spellings.
    const wrong = await rdsSignerToken({
      hostname: 'db.example.internal',
      credentials: { ...LONG_TERM, secretAccessKey: 'y'.repeat(40) },
    });
    await expectRefused(
      h.verify(`DB.EXAMPLE.INTERNAL${wrong.slice(HOST.length)}`),
      'GH_IAM_TOKEN_SIGNATURE_MISMATCH',
      'IAM auth token signature does not match: check the access key id and secret access key, region, host and port used to sign, and that the token was not altered',
      { secretAccessKey: 'y'.repeat(40) },
    );
  });

  it('property: botocore-style tokens for any capitalisation of the endpoint verify', async () => {
    const capitalised = fc
      .array(fc.boolean(), { minLength: HOST.length, maxLength: HOST.length })
      .map((upper) => Array.from(HOST, (ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''));
    await fc.assert(
      fc.asyncProperty(capitalised, async (hostname) => {
        const h = harness();
        expect((await h.verify(await botocoreStyle(hostname))).principalArn).toBe(ALICE);
        expect((await h.verify(await rdsSignerToken({ hostname }))).principalArn).toBe(ALICE);
      }),
      { numRuns: 40 },
    );
  });
});
