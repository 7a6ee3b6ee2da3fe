// The fast token parser agrees with the first, straightforward one (test/unit/auth/support/reference-parse.ts)
// on valid tokens in every parameter order and on tens of thousands of mutants: same fields, or the same error.
import { describe, expect, it } from 'vitest';
import { parseAuthToken } from '../../../src/auth/iam-token/parse.js';
import { isGatehouseError } from '../../../src/core/errors.js';
import { rdsSignerToken, reorder, seeded, shuffled, TEMPORARY, withParam } from './support/iam-token.js';
import { referenceParseAuthToken } from './support/reference-parse.js';

type Outcome = { parsed: unknown } | { code: string; message: string };

function outcome(parse: (token: string) => unknown, token: string): Outcome {
  try {
    return { parsed: parse(token) };
  } catch (e) {
    if (!isGatehouseError(e)) throw new Error(`threw a non-GatehouseError on ${JSON.stringify(token)}: ${e}`);
    return { code: e.code, message: e.message };
  }
}

/** Both parsers on one token; returns whether it parsed, so callers can check mutants do reach both paths. */
function agree(token: string): boolean {
  const fast = outcome(parseAuthToken, token);
  const reference = outcome(referenceParseAuthToken, token);
  if (JSON.stringify(fast) !== JSON.stringify(reference)) {
    // toEqual gives the readable diff; the token names the case.
    expect({ token, outcome: fast }).toEqual({ token, outcome: reference });
  }
  return 'parsed' in fast;
}

/** Characters that matter to the grammar (separators, escapes, hex case, non-ASCII) and plain ones. */
const ALPHABET = [
  '\uD800',
  '%',
  '&',
  '=',
  '/',
  '?',
  ':',
  '+',
  ' ',
  'A',
  'a',
  'F',
  'f',
  'Z',
  '0',
  '9',
  '~',
  '_',
  '-',
  '.',
  '*',
  "'",
  'é',
  '\u0000',
];
/** Escapes in every class: canonical, lower-case hex, of an unreserved character, UTF-8, broken, truncated. */
const ESCAPES = [
  '%2F',
  '%2f',
  '%41',
  '%5F',
  '%7E',
  '%C3%A9',
  '%E9',
  '%zz',
  '%2',
  '%',
  '%20',
  '%2B',
  '%3D',
  '%26',
  '%00',
  '%7F',
  '%80',
];

const base = await rdsSignerToken();
const session = await rdsSignerToken({ credentials: TEMPORARY });
const reversed = reorder(session, (p) => [...p].reverse());
const TOKENS = [base, session, reversed];

describe('parseAuthToken agrees with the reference parser', () => {
  it('on valid tokens in 200 parameter orders', () => {
    const random = seeded(7);
    for (let i = 0; i < 200; i++) {
      const token = reorder(i % 2 === 0 ? base : session, (p) => shuffled(p, random));
      expect(agree(token)).toBe(true);
    }
  });

  it('on every single-character replacement, deletion and insertion of three tokens', () => {
    let parsed = 0;
    let total = 0;
    for (const token of TOKENS) {
      for (let i = 0; i < token.length; i++) {
        const before = token.slice(0, i);
        for (const ch of ALPHABET) {
          parsed += Number(agree(before + ch + token.slice(i + 1)));
          parsed += Number(agree(before + ch + token.slice(i)));
          total += 2;
        }
        parsed += Number(agree(before + token.slice(i + 1)));
        total += 1;
      }
    }
    // Both outcomes are exercised: many mutants still parse (say, a changed letter of the user), most do not.
    expect(parsed).toBeGreaterThan(1000);
    expect(total - parsed).toBeGreaterThan(10_000);
  });

  it('on every escape class in every value', () => {
    let parsed = 0;
    for (const token of [base, session]) {
      const names = token
        .slice(token.indexOf('/?') + 2)
        .split('&')
        .map((p) => p.slice(0, p.indexOf('=')));
      for (const name of names) {
        const raw = new URLSearchParams(token.slice(token.indexOf('?'))).get(name) ?? '';
        const encoded = token
          .slice(token.indexOf('?') + 1)
          .split('&')
          .find((p) => p.startsWith(`${name}=`))
          ?.slice(name.length + 1) as string;
        for (const piece of ESCAPES) {
          for (const at of [0, Math.floor(encoded.length / 2), encoded.length]) {
            parsed += Number(agree(withParam(token, name, encoded.slice(0, at) + piece + encoded.slice(at))));
          }
          parsed += Number(agree(withParam(token, name, piece)));
        }
        // The decoded value re-encoded with lower-case hex: same bytes, not the canonical spelling.
        agree(
          withParam(
            token,
            name,
            encodeURIComponent(raw).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
          ),
        );
      }
    }
    expect(parsed).toBeGreaterThan(50);
  });

  it('on hand-made shapes: schemes, bad hosts and ports, empty and cut-off queries', () => {
    const query = base.slice(base.indexOf('/?'));
    const shapes = [
      `https://${base}`,
      `HTTPS://${base}`,
      `postgres+ssl://${base}`,
      `h://x${query}`,
      `1https://${base}`,
      'https:/',
      `localhost${query}`,
      `localhost:0${query}`,
      `localhost:65536${query}`,
      `[::1]:5432${query}`,
      `_svc_:5432${query}`,
      `-bad:5432${query}`,
      'localhost:5432/',
      'localhost:5432/?',
      'localhost:5432/?&',
      'localhost:5432/?=',
      `${base}&`,
      `${base}&&`,
      base.slice(0, base.indexOf('X-Amz-Signature=') + 20),
    ];
    for (const token of shapes) agree(token);
  });

  it('with any set of parameters left out, in signer order and reversed', () => {
    const { length } = session.slice(session.indexOf('/?') + 2).split('&');
    for (const token of [session, reversed]) {
      const head = token.slice(0, token.indexOf('/?') + 2);
      const items = token.slice(head.length).split('&');
      expect(items).toHaveLength(length);
      for (let mask = 0; mask < 1 << length; mask++) {
        agree(head + items.filter((_, i) => (mask & (1 << i)) === 0).join('&'));
      }
    }
  });

  it('on random multi-character mutations', () => {
    const random = seeded(2026);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    for (let n = 0; n < 5000; n++) {
      let token = pick(TOKENS);
      for (let k = 1 + Math.floor(random() * 4); k > 0; k--) {
        const i = Math.floor(random() * (token.length + 1));
        const piece = random() < 0.5 ? pick(ALPHABET) : pick(ESCAPES);
        const cut = Math.floor(random() * 3);
        token = token.slice(0, i) + piece + token.slice(Math.min(token.length, i + cut));
      }
      agree(token);
    }
  });
});
