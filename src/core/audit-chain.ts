// The audit trail's hash chain, in pure functions: the canonical form of an event, the chain hash, the columns
// copied out of an event for lookups, the partition period, and the signed digest's body. The writer
// (src/store/audit-trail.ts) and the verifier (src/core/audit-verify.ts) both use these, so they cannot disagree.
import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import type { AuditEvent } from './audit.js';

/** The hash before the first event: 32 zero bytes. */
export const GENESIS_HASH = Buffer.alloc(32);

/**
 * JSON with object keys sorted (UTF-16 order) at every depth and no insignificant space; `undefined` members
 * dropped as JSON.stringify does. The same value always gives the same text.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * hash(n) = SHA-256(hash(n-1) || n as 8 bytes big-endian || period as UTF-8 || 0x00 || body as UTF-8). The period
 * (the partition) is covered so that moving an event to another partition is seen too.
 */
export function chainHash(prevHash: Buffer, seq: bigint, period: string, body: string): Buffer {
  const n = Buffer.alloc(8);
  n.writeBigUInt64BE(seq);
  return createHash('sha256')
    .update(prevHash)
    .update(n)
    .update(period, 'utf8')
    .update(Buffer.of(0))
    .update(body, 'utf8')
    .digest();
}

/** What the trail stores of one event: its id and body, and the copies of its fields the lookups filter on. */
export interface TrailEntry {
  readonly eventId: string;
  readonly eventTime: string;
  readonly eventName: string;
  readonly requestId: string | null;
  /** The IAM principal's ARN, when there is one. */
  readonly principal: string | null;
  /** The database user (connection events), or the IAM user or role session name (management calls). */
  readonly username: string | null;
  readonly accessKeyId: string | null;
  readonly sourceIp: string | null;
  readonly resource: string | null;
  readonly outcome: string | null;
  readonly errorCode: string | null;
  readonly body: string;
}

/** The stored record of an event: the event itself plus the id the trail gave it. */
export type StoredEvent = AuditEvent & { readonly eventId: string };

/** `1.2.3.4:5` -> `1.2.3.4`, `[::1]:5` or `::1:5`-style -> `::1`; no port -> as is. */
export function ipOf(source: string): string {
  if (source.startsWith('[')) return source.slice(1, source.indexOf(']'));
  const colon = source.lastIndexOf(':');
  if (colon === -1) return source;
  // IPv4 `a.b.c.d:port`, or an IPv6 address followed by `:port` (remoteAddress + ':' + port).
  return source.slice(0, colon);
}

/** The event's name as lookups know it: the management call's CloudTrail eventName, else the event type. */
export function eventNameOf(event: AuditEvent): string {
  return event.type === 'api.call' ? event.eventName : event.type;
}

/** The columns of an event about one database session: who, from where, on which instance. */
function sessionColumns(
  event: { requestId: string; principalArn?: string; dbUser: string; source: string; instance: string },
  outcome: string,
  errorCode: string | null,
  accessKeyId: string | null,
): Omit<TrailEntry, 'eventId' | 'eventTime' | 'eventName' | 'body'> {
  return {
    requestId: event.requestId,
    principal: event.principalArn ?? null,
    username: event.dbUser,
    accessKeyId,
    sourceIp: ipOf(event.source),
    resource: event.instance,
    outcome,
    errorCode,
  };
}

/** The columns copied out of the event (verify recomputes them from the body and compares). */
export function entryOf(event: StoredEvent): TrailEntry {
  const body = canonicalJson(event);
  const common = { eventId: event.eventId, eventTime: event.at, eventName: eventNameOf(event), body };
  switch (event.type) {
    case 'db.connect':
      return {
        ...common,
        ...sessionColumns(event, event.outcome, event.code ?? null, event.accessKeyId ?? null),
      };
    case 'db.disconnect':
      return { ...common, ...sessionColumns(event, event.reason, null, null) };
    case 'db.statement':
      return { ...common, ...sessionColumns(event, event.outcome, event.sqlstate ?? null, null) };
    case 'db.session.revoked':
      return { ...common, ...sessionColumns(event, 'revoked', event.code, event.accessKeyId) };
    case 'alert':
      return {
        ...common,
        requestId: event.requestId,
        principal: null,
        username: null,
        accessKeyId: null,
        sourceIp: null,
        resource: event.instance ?? null,
        outcome: event.detector,
        errorCode: null,
      };
    case 'api.call':
      return {
        ...common,
        requestId: event.requestId,
        principal: event.userIdentity.arn ?? null,
        username: nameInArn(event.userIdentity.arn),
        accessKeyId: event.userIdentity.accessKeyId ?? null,
        sourceIp: event.sourceIPAddress,
        resource: null,
        outcome: event.errorCode === undefined ? 'success' : 'failure',
        errorCode: event.errorCode ?? null,
      };
  }
}

/** `arn:aws:iam::1:user/path/alice` -> `alice`; `arn:aws:sts::1:assumed-role/r/session` -> `session`. */
function nameInArn(arn: string | undefined): string | null {
  if (arn === undefined) return null;
  const resource = arn.split(':').slice(5).join(':');
  if (resource === 'root') return 'root';
  const slash = resource.lastIndexOf('/');
  return slash === -1 ? null : resource.slice(slash + 1);
}

export type PartitionGranularity = 'month' | 'day';

/** The partition an event written at `now` goes to: `YYYY-MM` or `YYYY-MM-DD` (UTC). */
export function periodOf(now: Date, granularity: PartitionGranularity): string {
  const iso = now.toISOString();
  return granularity === 'month' ? iso.slice(0, 7) : iso.slice(0, 10);
}

/** When a period ends (UTC): the first instant of the next month or day. */
export function periodEnd(period: string): Date {
  const [y = 0, m = 1, d] = period.split('-').map(Number);
  return d === undefined ? new Date(Date.UTC(y, m, 1)) : new Date(Date.UTC(y, m - 1, d + 1));
}

/** A partition's table name: `gh_audit_events_2026_12`. Periods are generated, never user input; checked anyway. */
export function partitionTable(period: string): string {
  if (!/^\d{4}-\d{2}(-\d{2})?$/.test(period)) throw new Error(`not an audit period: ${period}`);
  return `gh_audit_events_${period.replaceAll('-', '_')}`;
}

/** Where a partition begins: what verification needs to start there once older partitions are dropped. */
export interface PartitionStart {
  readonly period: string;
  readonly firstSeq: string;
  /** Hex of the prev_hash of the partition's first event. */
  readonly prevHash: string;
}

/** What a digest signs (its canonical JSON is the signed message). Sequence numbers are decimal strings. */
export interface DigestBody {
  readonly version: 1;
  readonly digestSeq: string;
  readonly createdAt: string;
  /** Events covered: fromSeq..toSeq; toSeq = fromSeq - 1 when none were written since the previous digest. */
  readonly fromSeq: string;
  readonly toSeq: string;
  /** Hex hash of event toSeq (of the previous digest's last event, or the genesis hash, when none). */
  readonly lastHash: string;
  readonly partitions: readonly PartitionStart[];
  /** Partitions retention dropped since the previous digest (their seq ranges), signed here. */
  readonly dropped?: readonly {
    readonly period: string;
    readonly firstSeq: string;
    readonly lastSeq: string;
  }[];
  /** Base64 signature of the previous digest; null for the first. */
  readonly previousSignature: string | null;
  readonly keyId: string;
}

/** First 16 hex digits of SHA-256 over the public key's SPKI DER. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

export function signDigest(body: DigestBody, privateKey: KeyObject): Buffer {
  return sign(null, Buffer.from(canonicalJson(body), 'utf8'), privateKey);
}

export function verifyDigestSignature(body: string, signature: Buffer, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(body, 'utf8'), publicKey, signature);
  } catch {
    return false;
  }
}

/** A public key from PEM text (SPKI), or from a private key's PEM (its public half). */
export function publicKeyFromPem(pem: string): KeyObject {
  return createPublicKey(pem);
}
