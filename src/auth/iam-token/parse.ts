// Parses an RDS IAM auth token (`HOST:PORT/?Action=connect&DBUser=…&X-Amz-…`) strictly: known parameters
// only, each once, in canonical SigV4 encoding, so no two different byte strings parse to the same token.
import { GatehouseError } from '../../core/errors.js';

/**
 * Every parameter an RDS token may carry (rds-signer, AWS CLI, SDKs with temporary credentials), in the order a
 * missing one is reported; the session token, which only temporary credentials carry, is the optional one.
 */
const PARAMETERS = [
  'Action',
  'DBUser',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
];
const REQUIRED = PARAMETERS.filter((n) => n !== 'X-Amz-Security-Token');
/** The same, sorted: byte order of the names is the SigV4 canonical order. */
const KNOWN = [...PARAMETERS].sort();
/** Parameter name -> its slot (its rank in byte order, which is the SigV4 canonical order). */
const SLOT = new Map(KNOWN.map((name, i) => [name, i]));
const slotOf = (name: string): number => SLOT.get(name) as number;
const ACTION = slotOf('Action');
const DB_USER = slotOf('DBUser');
const ALGORITHM = slotOf('X-Amz-Algorithm');
const CREDENTIAL = slotOf('X-Amz-Credential');
const DATE = slotOf('X-Amz-Date');
const EXPIRES = slotOf('X-Amz-Expires');
const SECURITY_TOKEN = slotOf('X-Amz-Security-Token');
const SIGNATURE = slotOf('X-Amz-Signature');
const SIGNED_HEADERS = slotOf('X-Amz-SignedHeaders');
/**
 * The slot of the parameter named by `s[start, end)`, or -1: chosen by the name's length (and one letter where
 * two names share a length), then confirmed in place, so no substring is made or hashed per item.
 */
function slotAt(s: string, start: number, end: number): number {
  let slot: number;
  switch (end - start) {
    case 6:
      slot = s.charCodeAt(start) === 0x41 /* A */ ? ACTION : DB_USER;
      break;
    case 10:
      slot = DATE;
      break;
    case 13:
      slot = EXPIRES;
      break;
    case 15:
      slot = s.charCodeAt(start + 6) === 0x41 /* A */ ? ALGORITHM : SIGNATURE;
      break;
    case 16:
      slot = CREDENTIAL;
      break;
    case 19:
      slot = SIGNED_HEADERS;
      break;
    case 20:
      slot = SECURITY_TOKEN;
      break;
    default:
      return -1;
  }
  return s.startsWith(KNOWN[slot] as string, start) ? slot : -1;
}

/** Where each parameter's raw value starts and ends in the token (-1: absent); parsing is synchronous. */
const VALUE_START = new Int32Array(KNOWN.length);
const VALUE_END = new Int32Array(KNOWN.length);

export interface ParsedToken {
  /** `host:port` exactly as signed (the SigV4 host header). */
  readonly signedHost: string;
  /** Raw (still percent-encoded, canonical) name=value pairs other than X-Amz-Signature, sorted by name. */
  readonly canonicalQuery: string;
  readonly action: string;
  readonly dbUser: string;
  readonly algorithm: string;
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
  /** X-Amz-Date as sent (yyyymmddThhmmssZ) and as a time. */
  readonly amzDate: string;
  readonly signedAt: Date;
  readonly expiresSeconds: number;
  readonly signedHeaders: string;
  readonly signature: string;
  /** Only temporary credentials carry one. */
  readonly securityToken: string | undefined;
}

/** The sub-delims and reserved characters a SigV4 signer percent-encodes (RFC 3986 unreserved stay). */
function canonicalEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function malformed(reason: string): GatehouseError {
  return new GatehouseError('GH_IAM_TOKEN_MALFORMED', { reason });
}

/** Looks like a token at all? (Used to tell "sent a password" from "sent a broken token".) */
export function looksLikeToken(password: string): boolean {
  return /^[^/\s]+:\d+\/\?/.test(password) || password.includes('X-Amz-');
}

// Host names may carry underscores (Docker Compose service names): the signature covers the host anyway.
const HOST_PORT =
  /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?):([1-9][0-9]{0,4})$/;
/** The number written with `n` ASCII digits at `i`, or -1. */
function digitsAt(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const d = s.charCodeAt(k) - 0x30;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function parseAmzDate(value: string): Date {
  const y = digitsAt(value, 0, 4);
  const mo = digitsAt(value, 4, 2);
  const d = digitsAt(value, 6, 2);
  const h = digitsAt(value, 9, 2);
  const mi = digitsAt(value, 11, 2);
  const s = digitsAt(value, 13, 2);
  if (
    value.length !== 16 ||
    value.charCodeAt(8) !== 0x54 || // T
    value.charCodeAt(15) !== 0x5a || // Z
    y < 0 ||
    mo < 0 ||
    d < 0 ||
    h < 0 ||
    mi < 0 ||
    s < 0
  ) {
    throw malformed(`X-Amz-Date "${value}" is not yyyymmddThhmmssZ`);
  }
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = mo === 2 && leap ? 29 : (DAYS_IN_MONTH[mo - 1] ?? 0);
  // Years before 100 are refused too: Date.UTC would read them as 19xx.
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || s > 59) {
    throw malformed(`X-Amz-Date "${value}" is not a valid time`);
  }
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** RFC 3986 unreserved characters: a SigV4 signer leaves exactly these bare. */
function isUnreserved(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === 0x2e || // .
    c === 0x5f || // _
    c === 0x7e // ~
  );
}

/** The value of an upper-case hex digit, or -1 (lower-case hex is not the canonical spelling). */
function upperHex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Whether `s[start, end)` is in the encoding signers produce: unreserved characters bare, other ASCII as %XX in
 * upper-case hex. Such a value is canonical and decodes without decodeURIComponent; anything else (UTF-8
 * escapes, broken or non-canonical spellings) takes the general path, which decodes and re-encodes to compare.
 * The two paths accept exactly the same strings: the unit tests compare them with a reference implementation.
 */
function isPlainCanonical(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (isUnreserved(c)) continue;
    if (c !== 0x25 || i + 2 >= end) return false;
    const hi = upperHex(s.charCodeAt(i + 1));
    const lo = upperHex(s.charCodeAt(i + 2));
    // Only ASCII that must be escaped is canonical as an escape (and bytes above 0x7f need UTF-8 decoding).
    if (hi < 0 || lo < 0 || hi > 7 || isUnreserved(hi * 16 + lo)) return false;
    i += 2;
  }
  return true;
}

/** Decodes `s[start, end)`, known to be plain canonical. */
function decodePlain(s: string, start: number, end: number): string {
  let at = s.indexOf('%', start);
  if (at < 0 || at >= end) return s.slice(start, end);
  let out = '';
  let from = start;
  while (at >= 0 && at < end) {
    out +=
      s.slice(from, at) +
      String.fromCharCode(upperHex(s.charCodeAt(at + 1)) * 16 + upperHex(s.charCodeAt(at + 2)));
    from = at + 3;
    at = s.indexOf('%', from);
  }
  return out + s.slice(from, end);
}

/** Decodes the canonical value `s[start, end)` of parameter `name`, or throws why it is not canonical. */
function decodeStrict(s: string, start: number, end: number, name: string): string {
  return isPlainCanonical(s, start, end)
    ? decodePlain(s, start, end)
    : decodeGeneral(s.slice(start, end), name);
}

/**
 * X-Amz-Credential split at its "/" separators and decoded. When the value is plain canonical (`plain`: the
 * layout check has already shown it) a "/" can only come from a %2F escape, and a "%2F" found there is always an
 * escape, so the parts are found in place; otherwise the whole value is decoded (or refused) first.
 */
function credentialParts(s: string, start: number, end: number, plain: boolean): string[] {
  if (!plain && !isPlainCanonical(s, start, end)) {
    return decodeGeneral(s.slice(start, end), 'X-Amz-Credential').split('/');
  }
  const parts: string[] = [];
  let from = start;
  for (let at = s.indexOf('%2F', from); at >= 0 && at < end; at = s.indexOf('%2F', from)) {
    parts.push(decodePlain(s, from, at));
    from = at + 3;
  }
  parts.push(decodePlain(s, from, end));
  return parts;
}

function decodeGeneral(raw: string, name: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw malformed(`${name} is not valid percent-encoding`);
  }
  // One encoding per value: a signer's canonical form (upper-case hex, unreserved characters bare). A lone
  // surrogate (only possible through the library API: the wire is UTF-8) cannot be encoded at all.
  let canonical: string | undefined;
  try {
    canonical = canonicalEncode(decoded);
  } catch {
    canonical = undefined;
  }
  if (canonical !== raw) throw malformed(`${name} is not in canonical URI encoding`);
  return decoded;
}

function isLowerHex64(s: string, start: number, end: number): boolean {
  if (end - start !== 64) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/**
 * Names a query item without "=" for the error. A cut-off name (a truncated token) is quoted; anything else is
 * most likely the tail of a value split by a stray "&" (a session token or signature), so only its position is.
 */
function quotePair(pair: string, index: number): string {
  return KNOWN.some((name) => name.startsWith(pair)) ? `"${pair}"` : `query item ${index + 1}`;
}

/** RFC 3986 unreserved characters, as a regular-expression class. */
const U = '[A-Za-z0-9._~-]*';
/** Each value's pattern in the plain layout: bare unreserved characters, except where noted. */
const PLAIN_VALUE: Record<string, string> = {
  // The parts of the credential scope, separated by %2F.
  'X-Amz-Credential': `${U}(?:%2F${U})*`,
  // A session token is base64 and comes escaped; it alone is decoded in the usual way.
  'X-Amz-Security-Token': '[^&]*',
  'X-Amz-Signature': '[0-9a-f]{64}',
};

/**
 * The layout signers produce, checked by one sticky regular expression: every item once, in canonical order
 * (the session token optional), and every value but the session token made of unreserved characters (the
 * credential's %2F separators aside), so values are their own decoding and names need no confirming one by one.
 * Anything else (escapes, other orders, errors) goes the general way.
 */
const PLAIN_LAYOUT = {
  pattern: new RegExp(
    `${KNOWN.map((name, i) => {
      const item = `${name}=${PLAIN_VALUE[name] ?? U}`;
      return name === 'X-Amz-Security-Token' ? `(?:&${item})?` : `${i === 0 ? '' : '&'}${item}`;
    }).join('')}$`,
    'y',
  ),
  test(token: string, at: number): boolean {
    this.pattern.lastIndex = at;
    return this.pattern.test(token);
  },
};

/** Notes where each value lies in a token whose query has the plain layout (which is sorted). */
function locatePlain(token: string, q: number): void {
  let start = q;
  for (let slot = 0; slot < KNOWN.length; slot++) {
    const name = KNOWN[slot] as string;
    if (slot === SECURITY_TOKEN && token.charCodeAt(start + 7) !== 0x65 /* the e of X-Amz-Security-Token */) {
      VALUE_START[slot] = -1;
      VALUE_END[slot] = -1;
      continue;
    }
    const eq = start + name.length;
    let end = token.indexOf('&', eq);
    if (end < 0) end = token.length;
    VALUE_START[slot] = eq + 1;
    VALUE_END[slot] = end;
    start = end + 1;
  }
}

/**
 * Notes where each value lies, for any order of the items, refusing unknown, repeated and missing parameters
 * and items that are not NAME=VALUE; returns whether the items came in canonical order.
 */
function locateAny(token: string, q: number): boolean {
  VALUE_START.fill(-1);
  VALUE_END.fill(-1);
  let sorted = true;
  let previous = -1;
  for (let start = q, index = 0; start <= token.length; index++) {
    let end = token.indexOf('&', start);
    if (end < 0) end = token.length;
    const eq = token.indexOf('=', start);
    if (eq <= start || eq > end) {
      throw malformed(`${quotePair(token.slice(start, end), index)} is not NAME=VALUE`);
    }
    const slot = slotAt(token, start, eq);
    if (slot < 0) throw malformed(`unknown parameter "${token.slice(start, Math.min(eq, start + 40))}"`);
    if (VALUE_START[slot] !== -1) throw malformed(`parameter ${KNOWN[slot]} appears twice`);
    VALUE_START[slot] = eq + 1;
    VALUE_END[slot] = end;
    if (slot < previous) sorted = false;
    previous = slot;
    start = end + 1;
  }
  for (const name of REQUIRED) {
    if (VALUE_START[slotOf(name)] === -1) throw malformed(`parameter ${name} is missing`);
  }
  return sorted;
}

/** Parse without judging (beyond shape); `verifyAuthToken` applies the ordered checks. */
export function parseAuthToken(token: string): ParsedToken {
  if (token.length === 0) throw malformed('the password is empty');
  const slash = token.indexOf('/');
  if (slash < 0) throw malformed('expected HOST:PORT/?Action=connect&DBUser=…');
  const signedHost = token.slice(0, slash);
  if (!HOST_PORT.test(signedHost) || Number(signedHost.slice(signedHost.lastIndexOf(':') + 1)) > 65535) {
    // Checked only here: "scheme://…" always has its first "/" right after "scheme:", which is no HOST:PORT.
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(token)) {
      throw malformed('it starts with a URL scheme; a token is HOST:PORT/?Action=connect&… with no scheme');
    }
    throw malformed(`"${signedHost.slice(0, 80)}" is not HOST:PORT`);
  }
  if (token[slash + 1] !== '?') throw malformed('the path must be "/" followed by the query (HOST:PORT/?…)');
  const q = slash + 2;
  const plain = PLAIN_LAYOUT.test(token, q);
  let sorted = true;
  if (plain) locatePlain(token, q);
  else sorted = locateAny(token, q);
  const signatureAt = (VALUE_START[SIGNATURE] as number) - (KNOWN[SIGNATURE] as string).length - 1;
  const value = (slot: number): string => {
    const start = VALUE_START[slot] as number;
    const end = VALUE_END[slot] as number;
    return plain && slot !== SECURITY_TOKEN
      ? token.slice(start, end)
      : decodeStrict(token, start, end, KNOWN[slot] as string);
  };

  const credential = credentialParts(
    token,
    VALUE_START[CREDENTIAL] as number,
    VALUE_END[CREDENTIAL] as number,
    plain,
  );
  if (credential.length !== 5) {
    throw malformed('X-Amz-Credential must be ACCESS_KEY_ID/yyyymmdd/REGION/SERVICE/aws4_request');
  }
  const [accessKeyId, scopeDate, region, service, terminator] = credential as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^[A-Z0-9]{16,128}$/.test(accessKeyId))
    throw malformed('the access key id in X-Amz-Credential is invalid');
  const expires = value(EXPIRES);
  if (!/^(0|[1-9][0-9]{0,9})$/.test(expires))
    throw malformed('X-Amz-Expires must be a whole number of seconds');
  const amzDate = value(DATE);
  const signedAt = parseAmzDate(amzDate);
  const signatureStart = VALUE_START[SIGNATURE] as number;
  const signatureEnd = VALUE_END[SIGNATURE] as number;
  if (!plain && !isLowerHex64(token, signatureStart, signatureEnd)) {
    throw malformed('X-Amz-Signature must be 64 lower-case hex digits');
  }
  const securityToken = VALUE_START[SECURITY_TOKEN] !== -1 ? value(SECURITY_TOKEN) : undefined;
  if (securityToken === '') throw malformed('X-Amz-Security-Token is empty');

  let canonicalQuery = '';
  if (sorted) {
    // Drop "&X-Amz-Signature=…" (or "X-Amz-Signature=…&" when it comes first).
    canonicalQuery =
      signatureAt === q
        ? token.slice(signatureEnd + 1)
        : token.slice(q, signatureAt - 1) + token.slice(signatureEnd);
  } else {
    for (let slot = 0; slot < KNOWN.length; slot++) {
      if (slot === SIGNATURE || VALUE_START[slot] === -1) continue;
      const raw = token.slice(VALUE_START[slot], VALUE_END[slot]);
      canonicalQuery += `${canonicalQuery === '' ? '' : '&'}${KNOWN[slot]}=${raw}`;
    }
  }
  return {
    signedHost,
    canonicalQuery,
    action: value(ACTION),
    dbUser: value(DB_USER),
    algorithm: value(ALGORITHM),
    accessKeyId,
    scopeDate,
    region,
    service,
    terminator,
    amzDate,
    signedAt,
    expiresSeconds: Number(expires),
    signedHeaders: value(SIGNED_HEADERS),
    signature: token.slice(signatureStart, signatureEnd),
    securityToken,
  };
}
