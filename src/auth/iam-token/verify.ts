// Verifies an RDS IAM auth token on connect: the ordered checks of docs/iam-database-auth.md, each failure
// its own GH_IAM_* code, ending with the rds-db:connect policy decision on the db-user ARN. Nothing about keys
// or the clock is told before the signature verifies with a real key (docs/decisions.md #36).
import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { GatehouseError } from '../../core/errors.js';
import { awsSourceIp, isoSeconds } from '../../core/request-facts.js';
import { SIGV4_TERMINATOR, sigv4SigningKey } from '../../core/sigv4-key.js';
import type { AccessKeyLookup, AccessKeyRecord } from '../../core/types.js';
import { AUTH_TOKEN_LIFETIME_SECONDS } from './generate.js';
import { type ParsedToken, parseAuthToken } from './parse.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'rds-db';
const TERMINATOR = SIGV4_TERMINATOR;
const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
/** SHA-256 of the empty body: tokens are presigned GETs, so this is the payload hash (not UNSIGNED-PAYLOAD). */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The policy question asked last: may this principal rds-db:connect to this db-user ARN in this context? */
export interface ConnectAuthzRequest {
  readonly accessKeyId: string;
  readonly principalArn: string;
  readonly resource: string;
  /**
   * Request facts (aws:SourceIp, aws:SecureTransport, aws:CurrentTime, aws:EpochTime; aws:TokenIssueTime for
   * temporary credentials only).
   */
  readonly facts: Readonly<Record<string, string>>;
}

export interface ConnectDecision {
  readonly decision: 'allowed' | 'explicitDeny' | 'implicitDeny' | 'noPrincipal';
  /** Operator-facing explanation (matched statements); never sent to the client. */
  readonly reason: string;
}

export interface TokenVerifierDeps {
  readonly keys: AccessKeyLookup;
  authorizeConnect(request: ConnectAuthzRequest): Promise<ConnectDecision>;
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
}

export interface TokenCheck {
  /** The password message's string: the token. */
  readonly token: string;
  /** User from the start-up message. */
  readonly user: string;
  /** Accepted signed hosts, `host:port`; the first is the instance endpoint named in errors. */
  readonly endpoints: readonly string[];
  readonly dbiResourceId: string;
  readonly sourceIp: string;
  readonly secureTransport: boolean;
}

export interface VerifiedToken {
  readonly accessKeyId: string;
  readonly principalArn: string;
  readonly userId?: string;
  /** First 8 hex digits of the signature: enough to find a token in logs, useless to replay it. */
  readonly signaturePrefix: string;
  readonly resource: string;
  readonly signedAt: Date;
  readonly expiresAt: Date;
}

/** Facts known so far about a refused token, for the audit event (never the token itself). */
export interface TokenAuditFacts {
  accessKeyId?: string;
  principalArn?: string;
  signaturePrefix?: string;
}

/** `arn:aws:rds-db:REGION:ACCOUNT:dbuser:DBI-RESOURCE-ID/DBUSER`, as RDS policies name database users. */
export function dbUserArn(region: string, accountId: string, dbiResourceId: string, user: string): string {
  return `arn:aws:rds-db:${region}:${accountId}:dbuser:${dbiResourceId}/${user}`;
}

/**
 * A signing key prepared for HMAC-SHA256 (RFC 2104): the key (32 bytes, under the 64-byte block) XORed with
 * ipad and opad once, so each signature is two one-shot SHA-256 calls instead of a new Hmac object — the
 * construction object alone cost as much as the hashing.
 */
interface PreparedKey {
  readonly inner: Buffer;
  readonly outer: Buffer;
}

/** The SigV4 signing key of a secret for a day and region, prepared. */
function deriveSigningKey(secret: string, date: string, region: string): PreparedKey {
  return prepareKey(sigv4SigningKey(secret, date, region, SERVICE));
}

function prepareKey(key: Buffer): PreparedKey {
  const inner = Buffer.alloc(64, 0x36);
  const outer = Buffer.alloc(64, 0x5c);
  for (let i = 0; i < key.length; i++) {
    inner[i] = (inner[i] as number) ^ (key[i] as number);
    outer[i] = (outer[i] as number) ^ (key[i] as number);
  }
  return { inner, outer };
}

/**
 * Scratch space for hashing without allocating: the pad block followed by the message. Safe to share because
 * the hashing is synchronous (nothing else runs between filling a buffer and hashing it). Hex output is used
 * throughout: Node's one-shot hash returns a hex string markedly faster than a new Buffer.
 */
const INNER = Buffer.alloc(64 + 1024);
const OUTER = Buffer.alloc(64 + 32);

/** HMAC-SHA256(key, message) as lower-case hex, from a prepared key. */
function hmacHex(key: PreparedKey, message: string): string {
  let inner: string;
  // At most three UTF-8 bytes per UTF-16 unit, so a message this short always fits.
  if (message.length * 3 <= INNER.length - 64) {
    INNER.set(key.inner, 0);
    const n = INNER.write(message, 64, 'utf8');
    inner = hash('sha256', INNER.subarray(0, 64 + n), 'hex');
  } else {
    inner = hash('sha256', Buffer.concat([key.inner, Buffer.from(message, 'utf8')]), 'hex');
  }
  OUTER.set(key.outer, 0);
  OUTER.write(inner, 64, 'hex');
  return hash('sha256', OUTER, 'hex');
}

/**
 * The derived signing key of each access key for the day and region it last signed with: keys change daily,
 * so one entry per key skips four of the five HMACs on every connection after the first. The secret is part of
 * the match, so a changed secret misses. (Around midnight UTC, tokens of both days may alternate for up to
 * 15 minutes; each switch re-derives, which costs what a first connection does.)
 */
class SigningKeyCache {
  private readonly entries = new Map<
    string,
    { readonly secret: string; readonly date: string; readonly region: string; readonly key: PreparedKey }
  >();
  constructor(private readonly max = 4096) {}
  get(accessKeyId: string, secret: string, date: string, region: string): PreparedKey {
    const hit = this.entries.get(accessKeyId);
    if (hit && hit.secret === secret && hit.date === date && hit.region === region) return hit.key;
    const key = deriveSigningKey(secret, date, region);
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(accessKeyId, { secret, date, region, key });
    return key;
  }
}

/**
 * The db-user ARNs this verifier has built, per DBI resource id and user: the same string object each time, so
 * the policy evaluator's per-request memo finds it by its cached hash instead of hashing a new string.
 */
class ResourceArns {
  private readonly byInstance = new Map<string, Map<string, string>>();
  private size = 0;
  constructor(
    private readonly region: string,
    private readonly accountId: string,
    private readonly max = 16384,
  ) {}
  arn(dbiResourceId: string, user: string): string {
    let users = this.byInstance.get(dbiResourceId);
    const hit = users?.get(user);
    if (hit !== undefined) return hit;
    if (this.size >= this.max) {
      this.byInstance.clear();
      this.size = 0;
      users = undefined;
    }
    if (users === undefined) {
      users = new Map();
      this.byInstance.set(dbiResourceId, users);
    }
    const arn = dbUserArn(this.region, this.accountId, dbiResourceId, user);
    users.set(user, arn);
    this.size++;
    return arn;
  }
}

function expectedSignature(t: ParsedToken, signingKey: PreparedKey, host: string): string {
  const canonical = `GET\n/\n${t.canonicalQuery}\nhost:${host}\n\nhost\n${EMPTY_SHA256}`;
  const scope = `${t.scopeDate}/${t.region}/${SERVICE}/${TERMINATOR}`;
  return hmacHex(signingKey, `${ALGORITHM}\n${t.amzDate}\n${scope}\n${hash('sha256', canonical, 'hex')}`);
}

/** Two 64-digit hex strings side by side, compared by timingSafeEqual through fixed views (no allocation). */
const COMPARE = Buffer.alloc(128);
const GIVEN = COMPARE.subarray(0, 64);
const EXPECTED = COMPARE.subarray(64, 128);

function sameHex(given: string, expected: string): boolean {
  // Both are 64 lower-case hex digits here (the parser insists, and SHA-256 hex is 64), so each fills its view.
  if (given.length !== 64 || expected.length !== 64) return false;
  GIVEN.write(given, 0, 'latin1');
  EXPECTED.write(expected, 0, 'latin1');
  return timingSafeEqual(GIVEN, EXPECTED);
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Whether the token's signature verifies with this key: over the host as written in the token, or else over
 * the host lower-cased, which is what botocore (the AWS CLI, boto3) signs while it writes the host as given.
 * RDS accepts both.
 */
function signatureVerifies(t: ParsedToken, signingKey: PreparedKey): boolean {
  if (sameHex(t.signature, expectedSignature(t, signingKey, t.signedHost))) return true;
  const lower = t.signedHost.toLowerCase();
  return lower !== t.signedHost && sameHex(t.signature, expectedSignature(t, signingKey, lower));
}

/** How the token's dates stand against the clock: dated too far ahead, or past its lifetime (by so many ms). */
type Validity = { readonly early: number } | { readonly expired: number } | null;

function validity(t: ParsedToken, now: Date): Validity {
  const ahead = t.signedAt.getTime() - now.getTime();
  if (ahead > MAX_FUTURE_SKEW_MS) return { early: ahead };
  const past = now.getTime() - (t.signedAt.getTime() + t.expiresSeconds * 1000);
  return past >= 0 ? { expired: past } : null;
}

/**
 * For the operator only: what the clock would have said of a token whose signature did not verify (a client
 * learns the server's time only by signing with a real key).
 */
function timeNote(t: ParsedToken, now: Date): string {
  const v = validity(t, now);
  if (v === null) return '';
  if ('early' in v) {
    return `; it is also dated ${seconds(v.early)} seconds in the future (signed at ${t.signedAt.toISOString()}, server time ${now.toISOString()})`;
  }
  return `; it also expired ${Math.floor(v.expired / 1000)} seconds ago (signed at ${t.signedAt.toISOString()}, valid for ${t.expiresSeconds} seconds)`;
}

/** Host names compare case-insensitively (DNS); the usual exact spelling is tried before lower-casing. */
function signedForEndpoint(signedHost: string, endpoints: readonly string[]): boolean {
  for (const e of endpoints) if (e === signedHost) return true;
  const lower = signedHost.toLowerCase();
  for (const e of endpoints) if (e.toLowerCase() === lower) return true;
  return false;
}

/**
 * The request context of an rds-db:connect decision, on connect and when open sessions are re-checked: the
 * client's address and transport, the time, and aws:TokenIssueTime for temporary credentials only, as in AWS
 * (`"Null": {"aws:TokenIssueTime": "true"}` is how a policy tells long-term keys apart, so a long-term key must
 * not get one, not even the signing time).
 */
export function connectFacts(o: {
  readonly sourceIp: string;
  readonly secureTransport: boolean;
  readonly now: Date;
  readonly tokenIssuedAt: Date | undefined;
}): Record<string, string> {
  const facts: Record<string, string> = {
    'aws:SourceIp': awsSourceIp(o.sourceIp),
    'aws:SecureTransport': o.secureTransport ? 'true' : 'false',
    'aws:CurrentTime': isoSeconds(o.now),
    'aws:EpochTime': String(Math.floor(o.now.getTime() / 1000)),
  };
  if (o.tokenIssuedAt !== undefined) facts['aws:TokenIssueTime'] = isoSeconds(o.tokenIssuedAt);
  return facts;
}

export interface TokenVerifier {
  /** Throws a GatehouseError (GH_IAM_TOKEN_*, GH_IAM_CONNECT_*) carrying audit facts, or returns who signed. */
  verify(check: TokenCheck): Promise<VerifiedToken>;
}

interface VerifierCaches {
  readonly signingKeys: SigningKeyCache;
  readonly resources: ResourceArns;
  /** A secret no key has: an unknown key id costs the same HMACs as a known one with a wrong signature. */
  readonly decoySecret: string;
}

export function createTokenVerifier(deps: TokenVerifierDeps): TokenVerifier {
  const caches: VerifierCaches = {
    signingKeys: new SigningKeyCache(),
    resources: new ResourceArns(deps.region, deps.accountId),
    decoySecret: randomBytes(30).toString('base64'),
  };
  return {
    verify: (check) => verifyOrdered(check, deps, caches),
  };
}

async function verifyOrdered(
  check: TokenCheck,
  deps: TokenVerifierDeps,
  { signingKeys, resources, decoySecret }: VerifierCaches,
): Promise<VerifiedToken> {
  // What is known so far, for the audit event of a refusal (one async function: no wrapper promise per call).
  const facts: TokenAuditFacts = {};
  try {
    // 1. Syntax (the engine has already applied the size cap).
    const t = parseAuthToken(check.token);
    facts.accessKeyId = t.accessKeyId;
    facts.signaturePrefix = t.signature.slice(0, 8);
    // 2. Action.
    if (t.action !== 'connect') {
      throw new GatehouseError('GH_IAM_TOKEN_WRONG_ACTION', { action: t.action.slice(0, 40) });
    }
    // 3. DBUser, exactly (PostgreSQL role names are case-sensitive once quoted, and RDS compares exactly).
    if (t.dbUser !== check.user) {
      throw new GatehouseError('GH_IAM_TOKEN_USER_MISMATCH', {
        tokenUser: t.dbUser.slice(0, 63),
        user: check.user,
      });
    }
    // 4. Algorithm and credential scope.
    if (t.algorithm !== ALGORITHM) {
      throw new GatehouseError('GH_IAM_TOKEN_BAD_SCOPE', {
        reason: `X-Amz-Algorithm is "${t.algorithm.slice(0, 40)}", expected ${ALGORITHM}`,
      });
    }
    if (t.service !== SERVICE) {
      throw new GatehouseError('GH_IAM_TOKEN_BAD_SCOPE', {
        reason: `the credential scope names service "${t.service.slice(0, 40)}", expected ${SERVICE}`,
      });
    }
    if (t.terminator !== TERMINATOR) {
      throw new GatehouseError('GH_IAM_TOKEN_BAD_SCOPE', {
        reason: `the credential scope must end in ${TERMINATOR}`,
      });
    }
    if (t.scopeDate !== t.amzDate.slice(0, 8)) {
      throw new GatehouseError('GH_IAM_TOKEN_BAD_SCOPE', {
        reason: `the credential scope date ${t.scopeDate.slice(0, 16)} differs from X-Amz-Date ${t.amzDate}`,
      });
    }
    if (t.signedHeaders !== 'host') {
      throw new GatehouseError('GH_IAM_TOKEN_BAD_SCOPE', {
        reason: `X-Amz-SignedHeaders is "${t.signedHeaders.slice(0, 60)}"; auth tokens sign exactly "host"`,
      });
    }
    if (t.region !== deps.region) {
      throw new GatehouseError('GH_IAM_TOKEN_WRONG_REGION', {
        actual: t.region.slice(0, 40),
        expected: deps.region,
      });
    }
    // 5. A lifetime of at most 900 s: a property of the token alone, so it may be told before the signature.
    if (t.expiresSeconds > AUTH_TOKEN_LIFETIME_SECONDS) {
      throw new GatehouseError('GH_IAM_TOKEN_EXPIRY_TOO_LONG', { expires: t.expiresSeconds });
    }
    // 6. The signed host is this endpoint (or an alias): a token minted for another database is no good here.
    if (!signedForEndpoint(t.signedHost, check.endpoints)) {
      throw new GatehouseError('GH_IAM_TOKEN_WRONG_HOST', {
        signedHost: t.signedHost,
        endpoint: check.endpoints[0] ?? '(none)',
      });
    }
    // 7. The signature, recomputed with the key's secret and compared in constant time. An unknown key and a
    // wrong signature read the same to the client, and neither says anything of the clock: only the operator
    // detail tells them apart (and what the clock would have said).
    const now = deps.clock.now();
    const key = await deps.keys.findAccessKey(t.accessKeyId);
    if (!key) {
      signatureVerifies(t, deriveSigningKey(decoySecret, t.scopeDate, t.region));
      throw new GatehouseError(
        'GH_IAM_TOKEN_UNKNOWN_KEY',
        {},
        {
          detail: `no access key or STS session ${t.accessKeyId} (never issued here, or deleted with its user or role)${timeNote(t, now)}`,
        },
      );
    }
    facts.principalArn = key.principalArn;
    const signingKey = signingKeys.get(key.accessKeyId, key.secretAccessKey, t.scopeDate, t.region);
    if (!signatureVerifies(t, signingKey)) {
      throw new GatehouseError(
        'GH_IAM_TOKEN_SIGNATURE_MISMATCH',
        {},
        {
          detail: `signature ${facts.signaturePrefix}… does not verify with the secret of ${key.accessKeyId} (principal ${key.principalArn}, key ${key.status})${timeNote(t, now)}`,
        },
      );
    }
    // 8. Time, now that the client has shown it holds the secret: not dated more than 5 minutes in the future,
    // and not past its lifetime.
    const dates = validity(t, now);
    if (dates !== null && 'early' in dates) {
      throw new GatehouseError('GH_IAM_TOKEN_NOT_YET_VALID', {
        seconds: seconds(dates.early),
        signedAt: t.signedAt.toISOString(),
        serverTime: now.toISOString(),
      });
    }
    if (dates !== null) {
      throw new GatehouseError('GH_IAM_TOKEN_EXPIRED', {
        seconds: Math.floor(dates.expired / 1000),
        signedAt: t.signedAt.toISOString(),
        expires: t.expiresSeconds,
      });
    }
    // 9. The key is usable: active (long-term), or a live session whose token came with it (temporary).
    checkKey(key, t, now);
    // 10. The policy decision.
    const resource = resources.arn(check.dbiResourceId, check.user);
    const decision = await deps.authorizeConnect({
      accessKeyId: key.accessKeyId,
      principalArn: key.principalArn,
      resource,
      facts: connectFacts({
        sourceIp: check.sourceIp,
        secureTransport: check.secureTransport,
        now,
        tokenIssuedAt: key.issuedAt,
      }),
    });
    if (decision.decision === 'noPrincipal') {
      throw new GatehouseError('GH_IAM_TOKEN_PRINCIPAL_GONE', { accessKeyId: key.accessKeyId });
    }
    if (decision.decision === 'explicitDeny') {
      throw new GatehouseError(
        'GH_IAM_CONNECT_EXPLICIT_DENY',
        { principal: key.principalArn, resource, policyType: 'an identity-based policy' },
        { detail: decision.reason },
      );
    }
    if (decision.decision !== 'allowed') {
      throw new GatehouseError(
        'GH_IAM_CONNECT_DENIED',
        { principal: key.principalArn, resource },
        { detail: decision.reason },
      );
    }
    deps.keys.recordUse?.(key.accessKeyId, SERVICE, now);
    const verified: { -readonly [K in keyof VerifiedToken]: VerifiedToken[K] } = {
      accessKeyId: key.accessKeyId,
      principalArn: key.principalArn,
      signaturePrefix: t.signature.slice(0, 8),
      resource,
      signedAt: t.signedAt,
      expiresAt: new Date(t.signedAt.getTime() + t.expiresSeconds * 1000),
    };
    if (key.userId !== undefined) verified.userId = key.userId;
    return verified;
  } catch (e) {
    throw e instanceof GatehouseError ? e.withAudit({ ...facts }) : e;
  }
}

function checkKey(key: AccessKeyRecord, t: ParsedToken, now: Date): void {
  const temporary = key.sessionTokenHash !== undefined;
  if (!temporary) {
    if (key.status !== 'Active') {
      throw new GatehouseError('GH_IAM_TOKEN_KEY_INACTIVE', { accessKeyId: key.accessKeyId });
    }
    if (t.securityToken !== undefined) {
      throw new GatehouseError('GH_IAM_TOKEN_SESSION_INVALID', {
        accessKeyId: key.accessKeyId,
        reason: 'it is a long-term key, which takes no X-Amz-Security-Token',
      });
    }
    return;
  }
  if (t.securityToken === undefined) {
    throw new GatehouseError('GH_IAM_TOKEN_SESSION_INVALID', {
      accessKeyId: key.accessKeyId,
      reason:
        'those are temporary credentials and the token carries no X-Amz-Security-Token (mint it with their session token)',
    });
  }
  const offered = createHash('sha256').update(t.securityToken, 'utf8').digest();
  const expected = key.sessionTokenHash as Buffer;
  if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
    throw new GatehouseError('GH_IAM_TOKEN_SESSION_INVALID', {
      accessKeyId: key.accessKeyId,
      reason: 'its X-Amz-Security-Token is not the session token issued with those temporary credentials',
    });
  }
  if (key.expiresAt !== undefined && now.getTime() >= key.expiresAt.getTime()) {
    throw new GatehouseError('GH_IAM_TOKEN_SESSION_EXPIRED', {
      accessKeyId: key.accessKeyId,
      seconds: Math.floor((now.getTime() - key.expiresAt.getTime()) / 1000),
      expiredAt: key.expiresAt.toISOString(),
    });
  }
}
