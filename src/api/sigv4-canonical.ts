// AWS Signature Version 4 building blocks: canonical request, string to sign, signing key (AWS SigV4 spec,
// "Create a canonical request" / "Create a string to sign" / "Calculate the signature").
import { createHash, createHmac } from 'node:crypto';

export { SIGV4_TERMINATOR, sigv4SigningKey as signingKey } from '../core/sigv4-key.js';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 3986 unreserved characters stay; everything else is %XX with upper-case hex, as SigV4 requires. */
export function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Canonical URI for every service but S3: remove empty, "." and ".." segments, then URI-encode the
 * (already percent-encoded) path once more, keeping the slashes. `rawPath` is the path as sent on the wire.
 */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return uriEscape(`/${segments.join('/')}${trailing}`).replace(/%2F/g, '/');
}

/** Parameters sorted by encoded name then value, each name and value URI-encoded; X-Amz-Signature left out. */
export function canonicalQuery(query: Record<string, string | string[]>): string {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(query)) {
    if (name.toLowerCase() === 'x-amz-signature') continue;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([uriEscape(name), uriEscape(v)]);
  }
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Header value as signed: repeated headers joined by ",", line breaks and runs of blanks folded to one space. */
export function canonicalHeaderValue(value: string | string[]): string {
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

export interface CanonicalRequestParts {
  method: string;
  rawPath: string;
  query: Record<string, string | string[]>;
  /** Lower-case names in the order the client listed them in SignedHeaders, with their canonical values. */
  signedHeaders: Array<[string, string]>;
  payloadHash: string;
}

export function canonicalRequest(p: CanonicalRequestParts): string {
  return [
    p.method.toUpperCase(),
    canonicalUri(p.rawPath),
    canonicalQuery(p.query),
    ...p.signedHeaders.map(([name, value]) => `${name}:${value}`),
    '',
    p.signedHeaders.map(([name]) => name).join(';'),
    p.payloadHash,
  ].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

export function signatureHex(key: Buffer, toSign: string): string {
  return createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
}
