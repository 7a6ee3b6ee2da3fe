// Redaction of what a management call's audit event records (pure): secret-named fields hidden at any depth,
// passwords inside URLs and connection strings hidden, strings escaped and cut, the whole bounded.
import { clientText } from '../core/client-text.js';
import { capLogValue } from '../core/log-fields.js';

/** CloudTrail's own placeholder for a redacted parameter or response value. */
export const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/**
 * The redaction rule. A field whose name contains (case-insensitively) one of these words has its whole value
 * replaced by HIDDEN, at any depth, whatever the value (string, number, object or list). This covers Password,
 * MasterUserPassword, NewPassword, OldPassword, SecretAccessKey, SessionToken and Credentials.SessionToken.
 * There are deliberately no exceptions: `TokenCode` (an MFA code, replayable within its 30 s window while the
 * event is already in logs) and pagination tokens (`NextToken`) are hidden too. Hiding a harmless value costs a
 * little audit detail; an allow-list of "safe" secret-looking names would leak the day a new field matches it.
 */
export const SECRET_NAME_WORDS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'privatekey',
];

export function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_NAME_WORDS.some((word) => lower.includes(word));
}

export interface RedactionLimits {
  /** UTF-16 units of one string value (a policy document), the cut marker included. */
  readonly maxString: number;
  /** Units of one field name. */
  readonly maxKey: number;
  /** Nesting depth; deeper structures become a marker. */
  readonly maxDepth: number;
  /** Fields of one object or items of one list. */
  readonly maxEntries: number;
  /** Units of all names and values together: once spent, further fields and items are cut (with a marker). */
  readonly maxTotal: number;
}

export const DEFAULT_REDACTION_LIMITS: RedactionLimits = {
  maxString: 4096,
  maxKey: 128,
  maxDepth: 16,
  maxEntries: 500,
  maxTotal: 64 * 1024,
};

/**
 * For a call whose signature did not verify: anyone can send those, so each may put much less into the trail
 * (the parameters are still worth having: what a forged or stale request tried to do).
 */
export const UNVERIFIED_REDACTION_LIMITS: RedactionLimits = {
  maxString: 512,
  maxKey: 128,
  maxDepth: 8,
  maxEntries: 64,
  maxTotal: 4096,
};

/** The key under which an object notes how many of its fields were cut. */
export const CUT_KEY = '…';
const TOO_DEEP = '[nested too deep]';

const URL_SCHEME = /^\s*[a-z][a-z0-9+.-]*:\/\//i;
const NAME_CHAR = /[\w.-]/;
const SPACE = /\s/;

/** Where a `name=value` value starting at `from` ends: after its closing quote (or the end), else at a space. */
function valueEnd(text: string, from: number): number {
  const quote = text[from];
  if (quote === "'" || quote === '"') {
    for (let i = from + 1; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === quote) return i + 1;
    }
    return text.length;
  }
  let i = from;
  while (i < text.length && !SPACE.test(text[i] as string)) i++;
  return i;
}

/**
 * Every secret-named `name=value` (libpq keyword strings: `host=h password=p`) with its value hidden. A linear
 * scan, not a regex: `[\w.-]*password` over a long run of letters backtracks quadratically.
 */
function hideKeywordSecrets(text: string): string {
  let out = '';
  let copied = 0;
  let eq = text.indexOf('=');
  while (eq !== -1) {
    let end = eq;
    while (end > copied && SPACE.test(text[end - 1] as string)) end--;
    let start = end;
    while (start > copied && NAME_CHAR.test(text[start - 1] as string)) start--;
    if (start < end && isSecretName(text.slice(start, end))) {
      let value = eq + 1;
      while (value < text.length && SPACE.test(text[value] as string)) value++;
      out += text.slice(copied, value) + HIDDEN;
      copied = valueEnd(text, value);
      eq = text.indexOf('=', copied);
    } else {
      eq = text.indexOf('=', eq + 1);
    }
  }
  return out + text.slice(copied);
}

/**
 * Secrets embedded in a string value. A URL (`postgres://admin:pw@host/db?password=…`, a BackendUrl): the
 * password of its userinfo and every secret-named query parameter. The userinfo is taken up to the string's
 * *last* `@`, so a password holding `@` or `/` never survives (an `@` later in the URL over-hides instead).
 * Any other string: every secret-named `name=value` pair (a libpq connection string sent where a URL belongs).
 */
export function hideEmbeddedSecrets(value: string): string {
  const scheme = URL_SCHEME.exec(value);
  if (!scheme) return hideKeywordSecrets(value);
  const start = scheme[0].length;
  let out = value;
  const at = out.lastIndexOf('@');
  const colon = out.indexOf(':', start);
  if (at > start && colon !== -1 && colon < at) out = `${out.slice(0, colon + 1)}${HIDDEN}${out.slice(at)}`;
  const q = out.indexOf('?', start);
  if (q === -1) return out;
  const query = out
    .slice(q + 1)
    .replace(/(^|[&;])([^=&;#]*)=([^&;#]*)/g, (whole, sep: string, name: string) =>
      isSecretName(decodeLeniently(name)) ? `${sep}${name}=${HIDDEN}` : whole,
    );
  return `${out.slice(0, q + 1)}${query}`;
}

function decodeLeniently(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * capLogValue (control characters escaped, cut with `[cut from N chars]`), without escaping all of a long value
 * first: a 1 MiB body costs what its first `max` units cost.
 */
export function capString(value: string, max: number): string {
  if (value.length <= max) return capLogValue(value, max);
  const marker = `[cut from ${value.length} chars]`;
  const head = value.slice(0, max);
  return max - marker.length < 2 ? clientText(head, max) : clientText(head, max - marker.length) + marker;
}

interface Walk {
  readonly limits: RedactionLimits;
  /** Units left of maxTotal. */
  left: number;
}

function walkString(value: string, w: Walk): string {
  const out = capString(hideEmbeddedSecrets(value), w.limits.maxString);
  w.left -= out.length;
  return out;
}

/** `value` as JSON would carry it (undefined: left out), redacted and bounded. */
function walk(value: unknown, depth: number, w: Walk): unknown {
  switch (typeof value) {
    case 'string':
      return walkString(value, w);
    case 'number':
      w.left -= 8;
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      w.left -= 5;
      return value;
    case 'bigint':
      return walkString(value.toString(), w);
    case 'object':
      break;
    default:
      return undefined; // undefined, functions, symbols: JSON leaves them out
  }
  if (value === null) return null;
  if (value instanceof Date) return walkString(Number.isNaN(value.getTime()) ? '' : value.toISOString(), w);
  if (depth >= w.limits.maxDepth) return walkString(TOO_DEEP, w);
  if (Array.isArray(value)) return walkList(value, depth, w);
  return walkObject(value as Record<string, unknown>, depth, w);
}

function walkList(list: readonly unknown[], depth: number, w: Walk): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < list.length; i++) {
    if (w.left <= 0 || i >= w.limits.maxEntries) {
      out.push(walkString(`[${list.length - i} more items cut]`, w));
      break;
    }
    const item = walk(list[i], depth + 1, w);
    out.push(item === undefined ? null : item);
  }
  return out;
}

function walkObject(object: Record<string, unknown>, depth: number, w: Walk): Record<string, unknown> {
  const entries = Object.entries(object);
  const out: [string, unknown][] = [];
  for (let i = 0; i < entries.length; i++) {
    if (w.left <= 0 || i >= w.limits.maxEntries) {
      out.push([CUT_KEY, walkString(`[${entries.length - i} more fields cut]`, w)]);
      break;
    }
    const [name, raw] = entries[i] as [string, unknown];
    const key = capString(name, w.limits.maxKey);
    w.left -= key.length;
    // The rule reads the name as sent: a cut or escaped name must not lose its secret word.
    const value = isSecretName(name) ? walkString(HIDDEN, w) : walk(raw, depth + 1, w);
    if (value !== undefined) out.push([key, value]);
  }
  // fromEntries defines own properties: a field named `__proto__` stays a field, never a prototype.
  return Object.fromEntries(out);
}

/**
 * Request parameters or response elements as the event records them: a JSON object with every secret-named
 * field hidden (isSecretName), passwords inside URLs and connection strings hidden (hideEmbeddedSecrets), strings escaped and cut at maxString and
 * the whole bounded by maxTotal. Anything but an object (nothing, a list, a scalar) gives null, as CloudTrail.
 */
export function redactForAudit(
  value: unknown,
  limits: RedactionLimits = DEFAULT_REDACTION_LIMITS,
): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date)
    return null;
  return walkObject(value as Record<string, unknown>, 0, { limits, left: limits.maxTotal });
}
