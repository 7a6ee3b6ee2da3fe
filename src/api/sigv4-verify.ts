// Verifies AWS Signature Version 4 requests (header and presigned-query forms) against Gatehouse access keys.
// Smithy's signer cannot verify, and re-signing with it would not reproduce arbitrary SignedHeaders lists or
// the Date header, so the canonical request is rebuilt here from the spec and compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import type { AccessKeyLookup, AccessKeyRecord } from '../core/types.js';
import {
  canonicalHeaderValue,
  canonicalRequest,
  SIGV4_TERMINATOR,
  sha256Hex,
  signatureHex,
  signingKey,
  stringToSign,
} from './sigv4-canonical.js';
import { headerValue, parseSigV4, type SignedRequest, type SigV4Claim } from './sigv4-parse.js';

export type { SignedRequest } from './sigv4-parse.js';

export interface SigV4VerifyOptions {
  /** Records of temporary (ASIA) keys carry sessionTokenHash and expiresAt (AccessKeyRecord). */
  keys: AccessKeyLookup;
  /** Signing name the credential scope must carry, e.g. "gatehouse" (JSON API) or "iam". */
  service: string;
  /** The gateway's region; a scope naming another region is refused. */
  region: string;
  clock: Clock;
  /** Allowed distance between the signing time and the server clock (AWS: 5 minutes). */
  maxSkewMs?: number;
  /**
   * Several accepted signing names, each with the regions its scope may name (the first is the one an error
   * suggests), e.g. `{ iam: ['us-east-1'], sts: ['eu-west-1', 'us-east-1'] }`. Replaces service/region.
   */
  scopes?: Readonly<Record<string, readonly string[]>>;
}

export interface VerifiedCaller {
  accessKeyId: string;
  principalArn: string;
  signedAt: Date;
  /** X-Amz-Security-Token as sent; already checked against the key record for temporary (STS) keys. */
  sessionToken?: string;
  /** From the key record, when the lookup supplies it (AccessKeyRecord.userId). */
  userId?: string;
  /** Signing name and region of the credential scope. */
  service: string;
  region: string;
}

const FIVE_MINUTES_MS = 5 * 60 * 1000;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

function mismatch(detail: string): GatehouseError {
  return new GatehouseError('GH_API_SIGNATURE_MISMATCH', {}, { detail });
}

/** "iam, sts and rds" */
export function servedList(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * A scope naming a service this endpoint does not serve (ec2, s3, …) is told so, never SignatureDoesNotMatch:
 * the key and the signature are not even looked at, as the signature would be computed for another service.
 */
function unknownService(claim: SigV4Claim, served: readonly string[]): GatehouseError {
  return new GatehouseError(
    'GH_API_UNKNOWN_SERVICE',
    { served: servedList(served), service: claim.service },
    {
      detail:
        served.length === 1
          ? `credential scope names service "${claim.service}"; this endpoint is "${served[0]}"`
          : `credential scope names service "${claim.service}"; this endpoint accepts "${served.join('", "')}"`,
    },
  );
}

function acceptedRegions(claim: SigV4Claim, o: SigV4VerifyOptions): readonly string[] {
  if (o.scopes === undefined) {
    if (claim.service !== o.service) throw unknownService(claim, [o.service]);
    return [o.region];
  }
  const regions = Object.hasOwn(o.scopes, claim.service) ? o.scopes[claim.service] : undefined;
  if (!regions) throw unknownService(claim, Object.keys(o.scopes));
  return regions;
}

function checkScope(claim: SigV4Claim, o: SigV4VerifyOptions): void {
  const regions = acceptedRegions(claim, o);
  if (claim.terminator !== SIGV4_TERMINATOR)
    throw mismatch(`credential scope must end in ${SIGV4_TERMINATOR}`);
  if (!regions.includes(claim.region)) {
    throw new GatehouseError('GH_API_WRONG_REGION', {
      expected: regions[0] ?? o.region,
      actual: claim.region,
    });
  }
  if (claim.scopeDate !== claim.amzDate.slice(0, 8)) {
    throw mismatch(`credential scope date ${claim.scopeDate} differs from the signing date ${claim.amzDate}`);
  }
}

/**
 * The payload hash is always computed from the body received, so a changed body fails; a declared
 * x-amz-content-sha256 must agree with it (UNSIGNED-PAYLOAD is refused: the body would be unprotected).
 */
function payloadHash(req: SignedRequest, claim: SigV4Claim): string {
  const actual = sha256Hex(req.body);
  const fromQuery = claim.form === 'query' ? req.query['X-Amz-Content-Sha256'] : undefined;
  const declared =
    headerValue(req.headers, 'x-amz-content-sha256') ??
    (typeof fromQuery === 'string' ? fromQuery : undefined);
  if (declared === UNSIGNED_PAYLOAD) throw mismatch('UNSIGNED-PAYLOAD is not accepted: sign the body');
  if (declared !== undefined && declared.toLowerCase() !== actual) {
    throw mismatch('x-amz-content-sha256 does not match the body received');
  }
  return actual;
}

function expectedSignature(req: SignedRequest, claim: SigV4Claim, secret: string, region: string): string {
  if (!claim.signedHeaders.includes('host')) throw mismatch('the host header must be signed');
  const signedHeaders = claim.signedHeaders.map((name): [string, string] => {
    const value = req.headers[name];
    if (value === undefined) throw mismatch(`signed header "${name}" is not present`);
    return [name, canonicalHeaderValue(value)];
  });
  const canonical = canonicalRequest({
    method: req.method,
    rawPath: req.path,
    query: req.query,
    signedHeaders,
    payloadHash: payloadHash(req, claim),
  });
  const scope = `${claim.scopeDate}/${region}/${claim.service}/${SIGV4_TERMINATOR}`;
  const key = signingKey(secret, claim.scopeDate, region, claim.service);
  return signatureHex(key, stringToSign(claim.amzDate, scope, canonical));
}

function sameSignature(given: string, expected: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(given, 'utf8'), Buffer.from(expected, 'utf8'));
}

function isExpiredSession(key: AccessKeyRecord, now: Date): boolean {
  return (
    key.sessionTokenHash !== undefined &&
    key.expiresAt !== undefined &&
    now.getTime() >= key.expiresAt.getTime()
  );
}

function tokenHashMatches(token: string, expected: Buffer): boolean {
  const actual = createHash('sha256').update(token, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Temporary keys (ASIA…, or any record with a token hash) are valid only with their session token, and
 * only until they expire (AWS: InvalidClientTokenId / ExpiredToken, both 403). A long-term key with a
 * stray token is left to the caller, as before.
 */
function checkSession(key: AccessKeyRecord, claim: SigV4Claim, now: Date): void {
  const temporary = key.sessionTokenHash !== undefined || key.accessKeyId.startsWith('ASIA');
  if (temporary) {
    const problem =
      claim.sessionToken === undefined
        ? 'no X-Amz-Security-Token was sent with a temporary key'
        : key.sessionTokenHash === undefined
          ? 'the temporary key has no session token on record'
          : tokenHashMatches(claim.sessionToken, key.sessionTokenHash)
            ? undefined
            : 'the session token does not belong to this key';
    if (problem !== undefined) throw new GatehouseError('GH_STS_INVALID_TOKEN', {}, { detail: problem });
  }
  if (key.expiresAt !== undefined && now.getTime() >= key.expiresAt.getTime()) {
    throw new GatehouseError(
      'GH_STS_EXPIRED_TOKEN',
      {},
      { detail: `${key.accessKeyId} expired at ${key.expiresAt.toISOString()}` },
    );
  }
}

/** Time is checked after the signature so only holders of the secret learn the server's clock. */
function checkTime(claim: SigV4Claim, o: SigV4VerifyOptions): void {
  const now = o.clock.now();
  const skew = o.maxSkewMs ?? FIVE_MINUTES_MS;
  const signed = claim.signedAt.getTime();
  const expiresAt = claim.expiresSeconds === undefined ? signed + skew : signed + claim.expiresSeconds * 1000;
  if (signed - now.getTime() > skew || now.getTime() > expiresAt) {
    throw new GatehouseError(
      'GH_API_REQUEST_EXPIRED',
      { signedAt: claim.signedAt.toISOString(), serverTime: now.toISOString() },
      { detail: claim.expiresSeconds === undefined ? undefined : `presigned for ${claim.expiresSeconds}s` },
    );
  }
}

/** Verify a SigV4-signed request; throws a GatehouseError (GH_API_*) when it is not acceptable. */
export async function verifySigV4(req: SignedRequest, o: SigV4VerifyOptions): Promise<VerifiedCaller> {
  const claim = parseSigV4(req);
  checkScope(claim, o);
  const key = await o.keys.findAccessKey(claim.accessKeyId);
  // An expired session may be reported Inactive; it must still be refused as ExpiredToken (checkSession).
  if (key?.status !== 'Active' && !(key && isExpiredSession(key, o.clock.now()))) {
    throw new GatehouseError(
      'GH_API_INVALID_KEY',
      { accessKeyId: claim.accessKeyId },
      { detail: key ? 'the access key is inactive' : 'no such access key' },
    );
  }
  if (!sameSignature(claim.signature, expectedSignature(req, claim, key.secretAccessKey, claim.region))) {
    throw mismatch(`signature does not verify with the secret of ${claim.accessKeyId}`);
  }
  checkSession(key, claim, o.clock.now());
  checkTime(claim, o);
  o.keys.recordUse?.(key.accessKeyId, claim.service, o.clock.now());
  return {
    accessKeyId: key.accessKeyId,
    principalArn: key.principalArn,
    signedAt: claim.signedAt,
    service: claim.service,
    region: claim.region,
    ...(key.userId !== undefined ? { userId: key.userId } : {}),
    ...(claim.sessionToken !== undefined ? { sessionToken: claim.sessionToken } : {}),
  };
}
