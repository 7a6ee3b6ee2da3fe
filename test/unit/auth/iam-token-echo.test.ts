// Token values a verifier refusal quotes (DBUser, Action, region, service, X-Amz-Date, the host) come back
// escaped and capped: a NUL or line break in them can never start another field or line of the client's error.
import { describe, expect, it } from 'vitest';
import { CLIENT_VALUE_MAX } from '../../../src/core/client-text.js';
import { harness, rdsSignerToken, refusal, withParam } from './support/iam-token.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f]/;
const base = await rdsSignerToken();

describe('client values quoted in token refusals', () => {
  it('the DBUser of the issue (x%00HSPOOFED%20HINT%00Dspoofed%20detail) is quoted with its NULs escaped', async () => {
    const token = withParam(base, 'DBUser', 'x%00HSPOOFED%20HINT%00Dspoofed%20detail');
    const err = await refusal(harness().verify(token));
    expect(err.code).toBe('GH_IAM_TOKEN_USER_MISMATCH');
    expect(err.message).toBe(
      'IAM auth token was minted for DB user "x\\x00HSPOOFED HINT\\x00Dspoofed detail" but you connected as "app_user" (user names are case-sensitive)',
    );
  });

  it('Action, region, service and X-Amz-Date carrying NUL, CR/LF and ESC are escaped', async () => {
    const nasty = '%00HSPOOFED%0D%0AFATAL%3A%20x%1B%5B2J';
    const credential = (region: string, service: string) =>
      withParam(
        base,
        'X-Amz-Credential',
        `AKIAIOSFODNN7EXAMPLE%2F20261128%2F${region}%2F${service}%2Faws4_request`,
      );
    const tokens = [
      withParam(base, 'Action', `c${nasty}`),
      credential(`us${nasty}`, 'rds-db'),
      credential('us-east-1', `rds${nasty}`),
      withParam(base, 'X-Amz-Date', `2026${nasty}`),
    ];
    const codes: string[] = [];
    for (const token of tokens) {
      const err = await refusal(harness().verify(token));
      codes.push(err.code);
      expect(err.message, err.code).not.toMatch(UNSAFE);
      expect(err.message, err.code).toContain('\\x00HSPOOFED\\r\\nFATAL: x\\x1B[2J');
    }
    expect(codes).toEqual([
      'GH_IAM_TOKEN_WRONG_ACTION',
      'GH_IAM_TOKEN_WRONG_REGION',
      'GH_IAM_TOKEN_BAD_SCOPE',
      'GH_IAM_TOKEN_MALFORMED',
    ]);
  });

  it('a 7 KB DBUser and a 9 KB start-up user are quoted within their caps', async () => {
    const long = `z%0A${'q'.repeat(7000)}`;
    const err = await refusal(
      harness().verify(withParam(base, 'DBUser', long), { user: `u\n${'w'.repeat(9000)}` }),
    );
    expect(err.code).toBe('GH_IAM_TOKEN_USER_MISMATCH');
    expect(err.message).not.toMatch(UNSAFE);
    const [tokenUser, user] = [...err.message.matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
    expect(tokenUser?.startsWith('z\\nqqq')).toBe(true);
    expect(tokenUser?.length).toBeLessThanOrEqual(CLIENT_VALUE_MAX);
    expect(user).toBe(`u\\n${'w'.repeat(CLIENT_VALUE_MAX - 4)}…`);
    expect(err.message.length).toBeLessThan(700);
  });
});
