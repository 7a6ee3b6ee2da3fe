// The first, straightforward token parser (regexes, a Map, decode-and-re-encode for every value), kept as the
// oracle the fast parser in src/auth/iam-token/parse.ts is compared with on mutated tokens. Not used by src/.
import { GatehouseError } from '../../../../src/core/errors.js';

/** Every parameter an RDS token may carry (rds-signer, AWS CLI, SDKs with temporary credentials). */
const KNOWN = new Set([
  'Action',
  'DBUser',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
]);
/** The signed parameters in SigV4 canonical order (byte order of the names; X-Amz-Signature is not signed). */
const SIGNED_ORDER = [...KNOWN].filter((n) => n !== 'X-Amz-Signature').sort();
/** Every parameter but the session token, which only temporary credentials carry. */
const REQUIRED = [...KNOWN].filter((n) => n !== 'X-Amz-Security-Token');

interface ParsedToken {
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
  readonly securityToken?: string;
}

/** The sub-delims and reserved characters a SigV4 signer percent-encodes (RFC 3986 unreserved stay). */
function canonicalEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function malformed(reason: string): GatehouseError {
  return new GatehouseError('GH_IAM_TOKEN_MALFORMED', { reason });
}

// Host names may carry underscores (Docker Compose service names): the signature covers the host anyway.
const HOST_PORT =
  /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?):([1-9][0-9]{0,4})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseAmzDate(value: string): Date {
  const m = AMZ_DATE.exec(value);
  if (!m) throw malformed(`X-Amz-Date "${value}" is not yyyymmddThhmmssZ`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (
    date.getUTCFullYear() !== y ||
    date.getUTCMonth() !== mo - 1 ||
    date.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    throw malformed(`X-Amz-Date "${value}" is not a valid time`);
  }
  return date;
}

/** Unreserved characters only: already canonical, nothing to decode (the common case, kept fast). */
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

function decodeStrict(raw: string, name: string): string {
  if (UNRESERVED.test(raw)) return raw;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw malformed(`${name} is not valid percent-encoding`);
  }
  // One encoding per value: a signer's canonical form (upper-case hex, unreserved characters bare).
  // (The one change since it was the parser: a lone surrogate is refused as not canonical, not a URIError.)
  let canonical: string | undefined;
  try {
    canonical = canonicalEncode(decoded);
  } catch {
    canonical = undefined;
  }
  if (canonical !== raw) throw malformed(`${name} is not in canonical URI encoding`);
  return decoded;
}

/**
 * Names a query item without "=" for the error. A cut-off name (a truncated token) is quoted; anything else is
 * most likely the tail of a value split by a stray "&" (a session token or signature), so only its position is.
 */
function quotePair(pair: string, index: number): string {
  return [...KNOWN].some((name) => name.startsWith(pair)) ? `"${pair}"` : `query item ${index + 1}`;
}

/** Parse without judging (beyond shape); `verifyAuthToken` applies the ordered checks. */
export function referenceParseAuthToken(token: string): ParsedToken {
  if (token.length === 0) throw malformed('the password is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(token)) {
    throw malformed('it starts with a URL scheme; a token is HOST:PORT/?Action=connect&… with no scheme');
  }
  const slash = token.indexOf('/');
  if (slash < 0) throw malformed('expected HOST:PORT/?Action=connect&DBUser=…');
  const signedHost = token.slice(0, slash);
  if (!HOST_PORT.test(signedHost) || Number(signedHost.slice(signedHost.lastIndexOf(':') + 1)) > 65535) {
    throw malformed(`"${signedHost.slice(0, 80)}" is not HOST:PORT`);
  }
  if (token[slash + 1] !== '?') throw malformed('the path must be "/" followed by the query (HOST:PORT/?…)');
  const query = token.slice(slash + 2);
  const raw = new Map<string, string>();
  for (const [i, pair] of query.split('&').entries()) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw malformed(`${quotePair(pair, i)} is not NAME=VALUE`);
    const name = pair.slice(0, eq);
    if (!KNOWN.has(name)) throw malformed(`unknown parameter "${name.slice(0, 40)}"`);
    if (raw.has(name)) throw malformed(`parameter ${name} appears twice`);
    raw.set(name, pair.slice(eq + 1));
  }
  for (const name of REQUIRED) if (!raw.has(name)) throw malformed(`parameter ${name} is missing`);
  const value = (name: string): string => decodeStrict(raw.get(name) ?? '', name);

  const credential = value('X-Amz-Credential').split('/');
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
  const expires = value('X-Amz-Expires');
  if (!/^(0|[1-9][0-9]{0,9})$/.test(expires))
    throw malformed('X-Amz-Expires must be a whole number of seconds');
  const amzDate = value('X-Amz-Date');
  const signedAt = parseAmzDate(amzDate);
  const signature = raw.get('X-Amz-Signature') ?? '';
  if (!/^[0-9a-f]{64}$/.test(signature)) throw malformed('X-Amz-Signature must be 64 lower-case hex digits');
  const securityToken = raw.has('X-Amz-Security-Token') ? value('X-Amz-Security-Token') : undefined;
  if (securityToken === '') throw malformed('X-Amz-Security-Token is empty');

  let canonicalQuery = '';
  for (const name of SIGNED_ORDER) {
    const v = raw.get(name);
    if (v !== undefined) canonicalQuery += `${canonicalQuery === '' ? '' : '&'}${name}=${v}`;
  }
  return {
    signedHost,
    canonicalQuery,
    action: value('Action'),
    dbUser: value('DBUser'),
    algorithm: value('X-Amz-Algorithm'),
    accessKeyId,
    scopeDate,
    region,
    service,
    terminator,
    amzDate,
    signedAt,
    expiresSeconds: Number(expires),
    signedHeaders: value('X-Amz-SignedHeaders'),
    signature,
    ...(securityToken !== undefined ? { securityToken } : {}),
  };
}
