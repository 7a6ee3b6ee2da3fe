// LookupEvents: the durable audit trail (src/store/audit-trail.ts) answered the way CloudTrail answers it, the
// lookup attributes it accepts, and its NextToken (the seq cursor, base64url).
import { entryOf, type StoredEvent } from '../core/audit-chain.js';
import type { AuditEventView, AuditLookupFilter, AuditLookupInput, AuditLookupPage } from '../core/types.js';
import { type LookupRow, lookupEvents as readEvents } from '../store/audit-read.js';
import type { ControlContext } from './context.js';

/**
 * The LookupAttributes keys (CloudTrail's names where CloudTrail has one) and the filter each sets. Unlike
 * CloudTrail, which takes one attribute, several may be given: an event must match all of them (AND).
 */
export const LOOKUP_ATTRIBUTES = {
  EventName: 'eventName',
  Username: 'username',
  /** The IAM principal's ARN (the gateway's own key: CloudTrail has no such attribute). */
  Principal: 'principal',
  AccessKeyId: 'accessKeyId',
  /** The DB instance identifier. */
  ResourceName: 'resource',
  SourceIPAddress: 'sourceIp',
  /** `success`, `failure`, `abandoned` (logins); the disconnect reason; `revoked`; the detector of an alert. */
  Outcome: 'outcome',
  RequestId: 'requestId',
  EventId: 'eventId',
} as const satisfies Record<string, keyof AuditLookupFilter>;

export type LookupAttributeKey = keyof typeof LOOKUP_ATTRIBUTES;
export const LOOKUP_ATTRIBUTE_KEYS = Object.keys(LOOKUP_ATTRIBUTES) as [
  LookupAttributeKey,
  ...LookupAttributeKey[],
];

/** The eventSource of events that are not management calls (those carry their own). */
const EVENT_SOURCES: Record<string, string> = {
  'db.connect': 'gatehouse.db',
  'db.disconnect': 'gatehouse.db',
  'db.statement': 'gatehouse.db',
  'db.session.revoked': 'gatehouse.db',
  alert: 'gatehouse.detectors',
};

/** Request parameters of a management call that name what it acted on, and their CloudTrail resource types. */
const PARAMETER_RESOURCES: ReadonlyArray<readonly [string, string]> = [
  ['DBInstanceIdentifier', 'AWS::RDS::DBInstance'],
  ['UserName', 'AWS::IAM::User'],
  ['RoleName', 'AWS::IAM::Role'],
  ['GroupName', 'AWS::IAM::Group'],
  ['PolicyArn', 'AWS::IAM::Policy'],
];

function resourcesOf(
  event: Record<string, unknown>,
  instance: string | null | undefined,
): AuditEventView['Resources'] {
  const out: AuditEventView['Resources'] = [];
  if (instance) out.push({ ResourceType: 'AWS::RDS::DBInstance', ResourceName: instance });
  const params = event['requestParameters'];
  if (event['type'] === 'api.call' && typeof params === 'object' && params !== null) {
    for (const [name, type] of PARAMETER_RESOURCES) {
      const value = (params as Record<string, unknown>)[name];
      if (typeof value === 'string' && value !== '') out.push({ ResourceType: type, ResourceName: value });
    }
  }
  return out;
}

/** One stored event in CloudTrail's Event shape. */
export function eventView(row: LookupRow): AuditEventView {
  let entry: ReturnType<typeof entryOf> | undefined;
  try {
    entry = entryOf(row.event as unknown as StoredEvent);
  } catch {
    entry = undefined; // an event type this version does not know: shown with what the row itself says
  }
  const type = row.event['type'];
  const source = row.event['eventSource'];
  return {
    EventId: row.eventId,
    EventName: row.eventName,
    EventTime: row.eventTime,
    EventSource:
      type === 'api.call' && typeof source === 'string'
        ? source
        : (EVENT_SOURCES[String(type)] ?? 'gatehouse'),
    ...(entry?.username ? { Username: entry.username } : {}),
    ...(entry?.accessKeyId ? { AccessKeyId: entry.accessKeyId } : {}),
    Resources: resourcesOf(row.event, entry?.resource),
    CloudTrailEvent: JSON.stringify(row.event),
    Seq: row.seq,
  };
}

export async function lookupEvents(ctx: ControlContext, input: AuditLookupInput): Promise<AuditLookupPage> {
  const { rows, next } = await readEvents(ctx.store.pool, input.filter, {
    direction: input.direction,
    limit: input.limit,
    ...(input.after !== undefined ? { after: input.after } : {}),
  });
  return { events: rows.map(eventView), next };
}

const MAX_SEQ = 2n ** 63n - 1n;

/** The NextToken of a page that continues after `seq`: base64url of its decimal digits. */
export function encodeLookupToken(seq: bigint): string {
  return Buffer.from(seq.toString(), 'utf8').toString('base64url');
}

/** The seq a NextToken continues after, or null when it is not one encodeLookupToken made. */
export function decodeLookupToken(token: string): bigint | null {
  if (!/^[A-Za-z0-9_-]{1,28}$/.test(token)) return null;
  const text = Buffer.from(token, 'base64url').toString('latin1');
  if (!/^(0|[1-9][0-9]{0,18})$/.test(text) || encodeLookupToken(BigInt(text)) !== token) return null;
  const seq = BigInt(text);
  return seq <= MAX_SEQ ? seq : null;
}

/** An event time as LookupEvents takes it: ISO 8601 text, or epoch seconds (a number or digits). */
export function parseLookupTime(value: string | number): Date | null {
  let ms: number;
  if (typeof value === 'number') ms = value * 1000;
  else if (/^\d+(\.\d+)?$/.test(value.trim())) ms = Number(value.trim()) * 1000;
  else if (/^\d{4}-\d{2}-\d{2}/.test(value.trim())) ms = Date.parse(value.trim());
  else return null;
  if (!Number.isFinite(ms)) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d;
}
