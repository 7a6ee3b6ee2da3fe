// Every value a client can put into a message is escaped and capped in one place (src/core/client-text.ts),
// which every registry message goes through: no control character survives, no value grows past its cap, and
// the result agrees with an obviously-correct reference escaper.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLIENT_TEXT_MAX, CLIENT_VALUE_MAX, clientText, ELLIPSIS } from '../../../src/core/client-text.js';
import { GatehouseError } from '../../../src/core/errors.js';

/** C0, DEL, C1, line/paragraph separators, bidi controls, lone surrogates: what must never reach a client. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|\p{Cs}/u;

/** The reference: one escape per code point, looked up the plainest way, then whole pieces kept while they fit. */
function referenceEscape(value: string, max: number): string {
  const pieces = Array.from(value, (ch) => {
    const c = ch.codePointAt(0) as number;
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
    if (ch.length === 1 && UNSAFE.test(ch)) return `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    return ch;
  });
  const whole = pieces.join('');
  if (whole.length <= max) return whole;
  let kept = '';
  for (const p of pieces) {
    if (kept.length + p.length > max - ELLIPSIS.length) break;
    kept += p;
  }
  return kept + ELLIPSIS;
}

/** Strings rich in what matters: controls, separators, bidi marks, astral characters, lone surrogates. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
      fc.constantFrom(
        '\u007f',
        '\u0085',
        '\u009b',
        '\u2028',
        '\u202e',
        '\u2066',
        '\u061c',
        '\ud800',
        '\udfff',
      ),
      fc.constantFrom('a', 'é', '😀', '\\', '"', '%', '{user}'),
    ),
    maxLength: 600,
  }),
);

describe('clientText', () => {
  it('any string in: no unsafe character out, at most the cap, and the reference escaper agrees', () => {
    fc.assert(
      fc.property(hostile, fc.integer({ min: 1, max: 300 }), (value, max) => {
        const out = clientText(value, max);
        expect(out).not.toMatch(UNSAFE);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).toBe(referenceEscape(value, max));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves ordinary text alone, up to exactly the cap', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: CLIENT_VALUE_MAX }), (value) => {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping the ones clientText escapes
        const printable = value.replace(/[\u0000-\u001f\u007f]/g, '');
        expect(clientText(printable)).toBe(printable);
      }),
    );
    expect(clientText('x'.repeat(CLIENT_VALUE_MAX))).toBe('x'.repeat(CLIENT_VALUE_MAX));
    expect(clientText('x'.repeat(CLIENT_VALUE_MAX + 1))).toBe(`${'x'.repeat(CLIENT_VALUE_MAX - 1)}…`);
  });

  it('writes the escapes as \\n, \\r, \\t, \\xNN and \\uNNNN, and never cuts one in half', () => {
    expect(clientText('a\u0000b\r\nc\td\u001b[31me\u007f\u0085\u2028\u202e\ud800😀')).toBe(
      'a\\x00b\\r\\nc\\td\\x1B[31me\\x7F\\x85\\u2028\\u202E\\uD800😀',
    );
    // 3 characters fit before the ellipsis; the fourth would be a 4-unit escape, which is dropped whole.
    expect(clientText('abc\u0000def', 6)).toBe('abc…');
    expect(clientText('ab😀😀', 4)).toBe('ab…');
  });
});

describe('registry messages', () => {
  it('every {param} is escaped and capped, so no client value can become its own line or field', () => {
    const user = `x\u0000HSPOOFED HINT\u0000Dspoofed detail\r\nFATAL:  fake\u001b]0;title\u0007${'y'.repeat(10_000)}`;
    const e = new GatehouseError('GH_IAM_TOKEN_USER_MISMATCH', { tokenUser: user, user });
    expect(e.message).not.toMatch(UNSAFE);
    expect(e.message).toContain(
      '"x\\x00HSPOOFED HINT\\x00Dspoofed detail\\r\\nFATAL:  fake\\x1B]0;title\\x07yyy',
    );
    const quoted = [...e.message.matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
    expect(quoted.map((q) => q.length)).toEqual([CLIENT_VALUE_MAX, CLIENT_VALUE_MAX]);
    expect(quoted.every((q) => q.endsWith('…'))).toBe(true);
  });

  it('numbers pass unchanged; sentences the server composes ({reason}) and ARNs get the longer cap', () => {
    expect(new GatehouseError('GH_IAM_TOKEN_TOO_LARGE', { size: 9216, limit: 8192 }).message).toBe(
      'IAM auth token is 9216 bytes; the limit is 8192',
    );
    const reason = `problem ${'r'.repeat(5000)}`;
    const long = new GatehouseError('GH_IAM_MALFORMED_POLICY', { reason }).message;
    expect(long.length).toBe(CLIENT_TEXT_MAX);
    const arn = `arn:aws:iam::123456789012:user/${'p/'.repeat(250)}alice`;
    const denied = new GatehouseError('GH_API_ACCESS_DENIED', {
      principal: arn,
      action: 'iam:ListUsers',
      resource: arn,
    }).message;
    expect(denied).toBe(`User: ${arn} is not authorized to perform: iam:ListUsers on resource: ${arn}`);
  });
});
