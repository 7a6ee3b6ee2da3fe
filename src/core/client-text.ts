// Makes a value safe to put into a message a client reads (docs/decisions.md #36): control characters escaped,
// length capped. Every `{param}` of an error message passes through here, whatever the engine.

/** The most UTF-16 units one value takes in a client message, escapes and the ellipsis included. */
export const CLIENT_VALUE_MAX = 256;
/** The cap for sentences the server composes (`{reason}`) and ARNs (IAM paths may be 512 characters). */
export const CLIENT_TEXT_MAX = 2048;
/** Appended to a value that was cut. */
export const ELLIPSIS = '…';

const SHORT_ESCAPES: Readonly<Record<number, string>> = { 9: '\\t', 10: '\\n', 13: '\\r' };

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

/**
 * Unicode characters that change how the text around them is shown although they are not C0/C1 controls: line
 * and paragraph separators, and the bidirectional marks and overrides ("Trojan Source", CVE-2021-42574).
 */
function isFormatControl(c: number): boolean {
  return (
    c === 0x061c ||
    c === 0x200e ||
    c === 0x200f ||
    (c >= 0x2028 && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069)
  );
}

/** The escape of one code point, or null when it is shown as itself. */
function escapeOf(c: number): string | null {
  if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return SHORT_ESCAPES[c] ?? `\\x${hex(c, 2)}`;
  // A lone surrogate (a UTF-16 half with no partner) cannot be encoded as UTF-8 on the wire.
  if (isFormatControl(c) || (c >= 0xd800 && c <= 0xdfff)) return `\\u${hex(c, 4)}`;
  return null;
}

/**
 * `value` with every C0 and C1 control character, DEL, line/paragraph separator, bidirectional control and lone
 * surrogate written as an escape (`\n`, `\r`, `\t`, `\x1B`, `\u202E`), and cut to at most `max` UTF-16 units
 * (at a character or escape boundary, ending in "…") when longer. Nothing a client sends can then start a new
 * line, field or terminal sequence in what another program shows, and a 10 KB value costs at most `max`.
 */
export function clientText(value: string, max = CLIENT_VALUE_MAX): string {
  let out = '';
  // Where the output may be cut so that the ellipsis still fits within `max`.
  let fits = 0;
  for (let i = 0; i < value.length; ) {
    const c = value.codePointAt(i) as number;
    const width = c > 0xffff ? 2 : 1;
    const piece = escapeOf(c) ?? value.slice(i, i + width);
    if (out.length + piece.length <= max - ELLIPSIS.length) fits = out.length + piece.length;
    out += piece;
    if (out.length > max) return out.slice(0, fits) + ELLIPSIS;
    i += width;
  }
  return out;
}
