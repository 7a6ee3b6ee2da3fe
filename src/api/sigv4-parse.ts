// Extracts the SigV4 claim (credential scope, signed headers, signature, date) from the Authorization header
// or from the X-Amz-* query parameters of a presigned request. Pure: no key lookup, no crypto.
import { GatehouseError } from '../core/errors.js';
import { SIGV4_ALGORITHM } from './sigv4-canonical.js';

/** A request as the verifier sees it; protocol-agnostic (JSON API, AWS Query protocol, presigned URLs). */
export interface SignedRequest {
  method: string;
  /** Path exactly as sent on the wire (still percent-encoded), without the query string. */
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string | string[]>;
  /** Header names in lower case (as node:http delivers them). */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SigV4Claim {
  form: 'header' | 'query';
  accessKeyId: string;
  /** YYYYMMDD of the credential scope. */
  scopeDate: string;
  region: string;
  service: string;
  terminator: string;
  /** Lower-case header names in the client's order. */
  signedHeaders: string[];
  signature: string;
  /** Signing time in ISO 8601 basic format (YYYYMMDDTHHMMSSZ), as it appears in the string to sign. */
  amzDate: string;
  signedAt: Date;
  /** Query form only: validity in seconds after signedAt. */
  expiresSeconds?: number;
  sessionToken?: string;
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function mismatch(detail: string): GatehouseError {
  return new GatehouseError('GH_API_SIGNATURE_MISMATCH', {}, { detail });
}

export function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function queryValue(query: SignedRequest['query'], name: string): string | undefined {
  const v = query[name];
  if (Array.isArray(v)) throw mismatch(`query parameter ${name} given more than once`);
  return v;
}

function parseAmzDate(text: string): Date {
  const m = AMZ_DATE.exec(text);
  const date = m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : null;
  if (!date || Number.isNaN(date.getTime())) throw mismatch(`malformed signing date "${text}"`);
  return date;
}

/** SigV4 also accepts the HTTP Date header when X-Amz-Date is absent; the string to sign uses basic format. */
function toAmzDate(httpDate: string): string {
  const ms = Date.parse(httpDate);
  if (Number.isNaN(ms)) throw mismatch(`malformed Date header "${httpDate}"`);
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function parseCredential(
  credential: string,
): Pick<SigV4Claim, 'accessKeyId' | 'scopeDate' | 'region' | 'service' | 'terminator'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === ''))
    throw mismatch(`malformed credential "${credential}"`);
  const [accessKeyId, scopeDate, region, service, terminator] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  return { accessKeyId, scopeDate, region, service, terminator };
}

function parseSignedHeaders(list: string): string[] {
  const names = list.split(';');
  if (names.some((n) => n === '' || n !== n.toLowerCase()))
    throw mismatch(`malformed SignedHeaders "${list}"`);
  return names;
}

function parseHeaderForm(req: SignedRequest, authorization: string): SigV4Claim {
  const space = authorization.indexOf(' ');
  const algorithm = space === -1 ? authorization : authorization.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) throw mismatch(`unsupported algorithm "${algorithm}"`);
  const fields = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    throw mismatch('Authorization header lacks Credential, SignedHeaders or Signature');
  }
  const xAmzDate = headerValue(req.headers, 'x-amz-date');
  const httpDate = headerValue(req.headers, 'date');
  if (!xAmzDate && !httpDate) throw mismatch('neither X-Amz-Date nor Date header present');
  const amzDate = xAmzDate ?? toAmzDate(httpDate!);
  const names = parseSignedHeaders(signedHeaders);
  // The date and the session token must be covered by the signature, or they could be swapped.
  if (!names.includes(xAmzDate ? 'x-amz-date' : 'date'))
    throw mismatch('the signing date header is not signed');
  const sessionToken = headerValue(req.headers, 'x-amz-security-token');
  if (sessionToken !== undefined && !names.includes('x-amz-security-token')) {
    throw mismatch('X-Amz-Security-Token is present but not signed');
  }
  return {
    form: 'header',
    ...parseCredential(credential),
    signedHeaders: names,
    signature,
    amzDate,
    signedAt: parseAmzDate(amzDate),
    ...(sessionToken !== undefined ? { sessionToken } : {}),
  };
}

function parseQueryForm(req: SignedRequest): SigV4Claim {
  const get = (name: string): string => {
    const v = queryValue(req.query, name);
    if (v === undefined || v === '') throw mismatch(`presigned request lacks ${name}`);
    return v;
  };
  const algorithm = get('X-Amz-Algorithm');
  if (algorithm !== SIGV4_ALGORITHM) throw mismatch(`unsupported algorithm "${algorithm}"`);
  const expires = get('X-Amz-Expires');
  // SigV4 presigned URLs are valid for at most 7 days.
  if (!/^\d{1,6}$/.test(expires) || Number(expires) < 1 || Number(expires) > 604_800) {
    throw mismatch(`X-Amz-Expires "${expires}" is not 1-604800 seconds`);
  }
  const amzDate = get('X-Amz-Date');
  const sessionToken = queryValue(req.query, 'X-Amz-Security-Token');
  return {
    form: 'query',
    ...parseCredential(get('X-Amz-Credential')),
    signedHeaders: parseSignedHeaders(get('X-Amz-SignedHeaders')),
    signature: get('X-Amz-Signature'),
    amzDate,
    signedAt: parseAmzDate(amzDate),
    expiresSeconds: Number(expires),
    ...(sessionToken !== undefined ? { sessionToken } : {}),
  };
}

/** The claim of a request signed in either form; GH_API_MISSING_AUTH when it is not signed at all. */
export function parseSigV4(req: SignedRequest): SigV4Claim {
  const authorization = headerValue(req.headers, 'authorization')?.trim() || undefined;
  const presigned = req.query['X-Amz-Signature'] !== undefined || req.query['X-Amz-Algorithm'] !== undefined;
  if (authorization !== undefined && presigned) {
    throw mismatch('request carries both an Authorization header and presigned query parameters');
  }
  if (authorization !== undefined) return parseHeaderForm(req, authorization);
  if (presigned) return parseQueryForm(req);
  throw new GatehouseError('GH_API_MISSING_AUTH');
}
