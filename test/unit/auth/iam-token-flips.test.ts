// No altered byte, truncation or extension of a valid IAM auth token is ever accepted: every mutant is refused
// with a GH_IAM_* code and no secret in the error, even when the start-up user and endpoint match the mutant.
// The one exception is no alteration: a host letter upper-cased is how botocore writes the host it signed
// lower-cased, the same token to RDS and to Gatehouse (docs/decisions.md #36); those must be accepted.
import { describe, expect, it } from 'vitest';
import { parseAuthToken } from '../../../src/auth/iam-token/parse.js';
import { type GatehouseError, isGatehouseError } from '../../../src/core/errors.js';
import { AT, expectNoSecrets, harness, rdsSignerToken, signatureOf, TEMPORARY } from './support/iam-token.js';

const XORS = [0x01, 0x20, 0x80];
const REPLACEMENTS = ['%', '&', '=', '/', 'A'];

interface Mutant {
  readonly how: string;
  readonly token: string;
}

function* flips(token: string): Generator<Mutant> {
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    const variants = [
      ...XORS.map((x) => [`xor 0x${x.toString(16)}`, String.fromCharCode(code ^ x)] as const),
      ...REPLACEMENTS.map((r) => [`'${r}'`, r] as const),
    ];
    for (const [how, ch] of variants) {
      if (ch === token[i]) continue;
      yield { how: `${how} at ${i}`, token: token.slice(0, i) + ch + token.slice(i + 1) };
    }
  }
}

/** The start-up user and endpoint the mutant itself claims, when it parses: only the signature can stop it. */
function claimed(token: string): { user: string; endpoints: string[] } | null {
  try {
    const t = parseAuthToken(token);
    return { user: t.dbUser, endpoints: [t.signedHost] };
  } catch {
    return null;
  }
}

/** The mutant differs from the original only by capitals in its (lower-case) host. */
function hostRespelled(original: string, mutant: string): boolean {
  const cut = original.indexOf('/');
  return (
    mutant.length === original.length &&
    mutant.slice(cut) === original.slice(cut) &&
    mutant.slice(0, cut) !== original.slice(0, cut) &&
    mutant.slice(0, cut).toLowerCase() === original.slice(0, cut)
  );
}

/** Every run of `n` characters of a secret: none may appear in a client message (8 signature digits may). */
function windows(secret: string, n = 12): string[] {
  return Array.from({ length: Math.max(0, secret.length - n + 1) }, (_, i) => secret.slice(i, i + n));
}

/**
 * Verifies each mutant twice (fixture context, then the mutant's own claims); returns the codes seen, and under
 * "respelled" how many host respellings were (rightly) accepted.
 */
async function expectAllRefused(original: string, mutants: Iterable<Mutant>): Promise<Map<string, number>> {
  const h = harness({ now: new Date(AT.getTime() + 1000) });
  const fragments = [
    signatureOf(original),
    TEMPORARY.sessionToken,
    encodeURIComponent(TEMPORARY.sessionToken),
  ].flatMap((x) => windows(x));
  const leaks: string[] = [];
  expect((await h.verify(original)).accessKeyId).toMatch(/^A[KS]IA/); // the original is good
  const accepted: string[] = [];
  const odd: string[] = [];
  const codes = new Map<string, number>();
  let count = 0;
  for (const m of mutants) {
    if (m.token === original) continue;
    const contexts = [{}, claimed(m.token)].filter((c) => c !== null);
    for (const over of contexts) {
      count++;
      let err: GatehouseError | undefined;
      const respelled = hostRespelled(original, m.token);
      try {
        await h.verify(m.token, over);
        if (respelled) codes.set('respelled', (codes.get('respelled') ?? 0) + 1);
        else accepted.push(m.how);
        continue;
      } catch (e) {
        if (respelled) odd.push(`${m.how}: a host respelling was refused: ${String(e)}`);
        if (!isGatehouseError(e) || !e.code.startsWith('GH_IAM_')) {
          odd.push(`${m.how}: ${String(e)}`);
          continue;
        }
        err = e;
      }
      expectNoSecrets(err, { signature: signatureOf(original), sessionToken: TEMPORARY.sessionToken });
      const leak = fragments.find((f) => err.message.includes(f));
      if (leak !== undefined) leaks.push(`${m.how}: ${err.message}`);
      codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
    }
  }
  expect(accepted).toEqual([]);
  expect(odd).toEqual([]);
  expect(leaks).toEqual([]);
  expect(count).toBeGreaterThan(0);
  expect(h.uses).toHaveLength(1 + (codes.get('respelled') ?? 0)); // only the original and its respellings
  return codes;
}

const longTerm = await rdsSignerToken();
const session = await rdsSignerToken({ credentials: TEMPORARY });

describe('byte flips', () => {
  it('refuses every single-character mutation of a long-term-key token (xor 0x01/0x20/0x80, % & = / A)', async () => {
    const codes = await expectAllRefused(longTerm, flips(longTerm));
    // The mutants reach every layer, not just the parser: the signature check catches what parses.
    for (const code of [
      'GH_IAM_TOKEN_MALFORMED',
      'GH_IAM_TOKEN_USER_MISMATCH',
      'GH_IAM_TOKEN_BAD_SCOPE',
      'GH_IAM_TOKEN_WRONG_REGION',
      'GH_IAM_TOKEN_WRONG_HOST',
      'GH_IAM_TOKEN_UNKNOWN_KEY',
      'GH_IAM_TOKEN_SIGNATURE_MISMATCH',
    ]) {
      expect(codes.get(code), code).toBeGreaterThan(0);
    }
    // Each lower-case letter of "db.example.internal" upper-cased (xor 0x20; 'A' for an "a"), in both contexts.
    expect(codes.get('respelled')).toBe(2 * (17 + 2));
  });

  it('refuses every single-character mutation of a token carrying a session token', async () => {
    const codes = await expectAllRefused(session, flips(session));
    expect(codes.get('GH_IAM_TOKEN_SIGNATURE_MISMATCH')).toBeGreaterThan(0);
  });
});

describe('truncation and extension', () => {
  for (const [name, token] of [
    ['long-term', longTerm],
    ['session', session],
  ] as const) {
    it(`refuses the ${name} token cut at every length`, async () => {
      const cuts = Array.from({ length: token.length }, (_, n) => ({
        how: `first ${n}`,
        token: token.slice(0, n),
      }));
      const codes = await expectAllRefused(token, cuts);
      expect(codes.get('GH_IAM_TOKEN_MALFORMED')).toBeGreaterThan(0);
    });

    it(`refuses the ${name} token with '&' or '&Foo=1' appended`, async () => {
      const codes = await expectAllRefused(token, [
        { how: "'&'", token: `${token}&` },
        { how: "'&Foo=1'", token: `${token}&Foo=1` },
        { how: "'&X-Amz-Expires=1'", token: `${token}&X-Amz-Expires=1` },
      ]);
      expect([...codes.keys()]).toEqual(['GH_IAM_TOKEN_MALFORMED']);
    });
  }
});
