// Reading the audit trail: lookups (CloudTrail's LookupEvents filters, keyset paging), the rows and digests
// verification walks, the digests themselves (written under the chain's head lock) and retention.
// Sequence numbers are selected as text (`seq::text AS seq`), so every ORDER BY names the column with its table:
// a bare `seq` there would sort the text alias (1, 10, 11, 2, ...).
import type { KeyObject } from 'node:crypto';
import type pg from 'pg';
import {
  canonicalJson,
  type DigestBody,
  GENESIS_HASH,
  keyIdOf,
  type PartitionStart,
  partitionTable,
  periodEnd,
  signDigest,
} from '../core/audit-chain.js';
import type { StoredDigest, TrailRow } from '../core/audit-verify.js';
import type { AuditLookupFilter } from '../core/types.js';
import { lockHead } from './audit-trail.js';
import type { Store } from './pool.js';

/** A pool, or one client (verify inside a transaction, e.g. a test that tampers and rolls back). */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** CloudTrail's LookupAttributes, and the gateway's own (source address, outcome, request id). */
export type LookupFilter = AuditLookupFilter;

export interface LookupPage {
  /** Newest first (`backward`, LookupEvents) or oldest first (`forward`, tail and export). */
  readonly direction: 'backward' | 'forward';
  /** Continue after this seq (exclusive); the NextToken of the previous page. */
  readonly after?: bigint;
  readonly limit: number;
}

export interface LookupRow {
  readonly seq: string;
  readonly eventId: string;
  readonly eventTime: string;
  readonly eventName: string;
  /** The event as recorded (parsed body). */
  readonly event: Record<string, unknown>;
}

const FILTER_COLUMNS = {
  eventName: 'event_name',
  username: 'username',
  principal: 'principal',
  accessKeyId: 'access_key_id',
  resource: 'resource',
  sourceIp: 'source_ip',
  outcome: 'outcome',
  requestId: 'request_id',
} as const satisfies Partial<Record<keyof LookupFilter, string>>;

/** One page of events matching every given filter, and the cursor of the next page (null: no more). */
export async function lookupEvents(
  pool: Queryable,
  filter: LookupFilter,
  page: LookupPage,
): Promise<{ rows: LookupRow[]; next: bigint | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  for (const [key, column] of Object.entries(FILTER_COLUMNS)) {
    const v = filter[key as keyof typeof FILTER_COLUMNS];
    if (v !== undefined) where.push(`${column} = ${param(v)}`);
  }
  if (filter.eventId !== undefined) where.push(`event_id = ${param(filter.eventId)}::uuid`);
  if (filter.startTime) where.push(`event_time >= ${param(filter.startTime)}`);
  if (filter.endTime) where.push(`event_time <= ${param(filter.endTime)}`);
  const backward = page.direction === 'backward';
  if (page.after !== undefined) where.push(`seq ${backward ? '<' : '>'} ${param(page.after.toString())}`);
  const limit = param(page.limit + 1);
  const r = await pool.query<{
    seq: string;
    event_id: string;
    event_time: Date;
    event_name: string;
    body: string;
  }>(
    `SELECT seq::text AS seq, event_id::text AS event_id, event_time, event_name, body FROM gh_audit_events
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY gh_audit_events.seq ${backward ? 'DESC' : 'ASC'} LIMIT ${limit}`,
    params,
  );
  const more = r.rows.length > page.limit;
  const rows = r.rows.slice(0, page.limit).map((x) => ({
    seq: x.seq,
    eventId: x.event_id,
    eventTime: x.event_time.toISOString(),
    eventName: x.event_name,
    event: JSON.parse(x.body) as Record<string, unknown>,
  }));
  const last = rows[rows.length - 1];
  return { rows, next: more && last ? BigInt(last.seq) : null };
}

/** Every event from `fromSeq` on, in seq order (duplicates included, for verify), read in batches. */
export async function* trailRows(pool: Queryable, fromSeq = 0n, batch = 5000): AsyncGenerator<TrailRow> {
  let after = fromSeq - 1n;
  let afterPeriod = '';
  for (;;) {
    const r = await pool.query<{
      period: string;
      seq: string;
      event_id: string;
      event_time: Date;
      event_name: string;
      request_id: string | null;
      principal: string | null;
      username: string | null;
      access_key_id: string | null;
      source_ip: string | null;
      resource: string | null;
      outcome: string | null;
      error_code: string | null;
      body: string;
      prev_hash: Buffer;
      hash: Buffer;
    }>(
      `SELECT period, seq::text AS seq, event_id::text AS event_id, event_time, event_name, request_id, principal,
              username, access_key_id, source_ip, resource, outcome, error_code, body, prev_hash, hash
         FROM gh_audit_events WHERE (seq, period) > ($1::bigint, $2::text) ORDER BY gh_audit_events.seq, period LIMIT $3`,
      [after.toString(), afterPeriod, batch],
    );
    for (const x of r.rows) {
      yield {
        period: x.period,
        seq: BigInt(x.seq),
        body: x.body,
        prevHash: x.prev_hash,
        hash: x.hash,
        columns: {
          eventId: x.event_id,
          // As the writer stored it: the event's own `at` text, which timestamptz normalises to the same instant.
          eventTime: isoOf(x.body, x.event_time),
          eventName: x.event_name,
          requestId: x.request_id,
          principal: x.principal,
          username: x.username,
          accessKeyId: x.access_key_id,
          sourceIp: x.source_ip,
          resource: x.resource,
          outcome: x.outcome,
          errorCode: x.error_code,
        },
      };
    }
    const last = r.rows[r.rows.length - 1];
    if (!last || r.rows.length < batch) return;
    after = BigInt(last.seq);
    afterPeriod = last.period;
  }
}

/** The body's `at` when it is the stored instant (so an edited event_time column shows as a mismatch). */
function isoOf(body: string, stored: Date): string {
  try {
    const at = (JSON.parse(body) as { at?: unknown }).at;
    if (typeof at === 'string' && new Date(at).getTime() === stored.getTime()) return at;
  } catch {
    // unreadable body: verify reports it
  }
  return stored.toISOString();
}

export async function readHead(pool: Queryable): Promise<{ seq: bigint; hash: Buffer }> {
  const r = await pool.query<{ seq: string; hash: Buffer }>(
    'SELECT seq::text AS seq, hash FROM gh_audit_head',
  );
  const row = r.rows[0];
  return row ? { seq: BigInt(row.seq), hash: row.hash } : { seq: 0n, hash: GENESIS_HASH };
}

export async function readDigests(pool: Queryable): Promise<StoredDigest[]> {
  const r = await pool.query<{ digest_seq: string; body: string; signature: Buffer }>(
    'SELECT digest_seq::text AS digest_seq, body, signature FROM gh_audit_digests ORDER BY gh_audit_digests.digest_seq',
  );
  return r.rows.map((x) => ({ digestSeq: BigInt(x.digest_seq), body: x.body, signature: x.signature }));
}

export async function readDropped(
  pool: Queryable,
): Promise<{ period: string; firstSeq: bigint; lastSeq: bigint }[]> {
  const r = await pool.query<{ period: string; first_seq: string; last_seq: string }>(
    'SELECT period, first_seq::text AS first_seq, last_seq::text AS last_seq FROM gh_audit_dropped ORDER BY gh_audit_dropped.first_seq',
  );
  return r.rows.map((x) => ({
    period: x.period,
    firstSeq: BigInt(x.first_seq),
    lastSeq: BigInt(x.last_seq),
  }));
}

/** The seq range of the events verify should cover for a time range (null: no event in it). */
export async function seqRangeForTimes(
  pool: Queryable,
  from: Date | undefined,
  to: Date | undefined,
): Promise<{ fromSeq?: bigint; toSeq?: bigint }> {
  const out: { fromSeq?: bigint; toSeq?: bigint } = {};
  if (from) {
    const r = await pool.query<{ seq: string | null }>(
      'SELECT min(seq)::text AS seq FROM gh_audit_events WHERE event_time >= $1',
      [from],
    );
    out.fromSeq = BigInt(r.rows[0]?.seq ?? '9223372036854775807');
  }
  if (to) {
    const r = await pool.query<{ seq: string | null }>(
      'SELECT max(seq)::text AS seq FROM gh_audit_events WHERE event_time <= $1',
      [to],
    );
    out.toSeq = BigInt(r.rows[0]?.seq ?? '0');
  }
  return out;
}

/**
 * Sign a digest of everything written since the previous one (under the head lock, so no event slips between
 * its range and the next one's, and two nodes cannot both write digest n). Returns the digest as stored.
 */
export async function writeDigest(
  store: Store,
  signer: { privateKey: KeyObject; publicKey: KeyObject },
  now: Date,
  /** Write nothing (null) when the newest digest is this recent: another node has just written it. */
  unlessSince?: Date,
): Promise<StoredDigest | null> {
  return store.withTransaction(async (c) => {
    const head = await lockHead(c);
    const prev = await c.query<{
      digest_seq: string;
      to_seq: string;
      body: string;
      signature: Buffer;
      created_at: Date;
    }>(
      `SELECT digest_seq::text AS digest_seq, to_seq::text AS to_seq, body, signature, created_at
         FROM gh_audit_digests ORDER BY gh_audit_digests.digest_seq DESC LIMIT 1`,
    );
    const last = prev.rows[0];
    if (last && unlessSince && last.created_at > unlessSince) return null;
    if (last) {
      // Never sign over a trail that went backwards: the head behind the last signed event, or that event no
      // longer the one signed, means the newest events were deleted or rewritten. Refuse (the caller alerts);
      // signing now would make the deletion look like a quiet hour.
      const lastBody = JSON.parse(last.body) as DigestBody;
      const signedTo = BigInt(lastBody.toSeq);
      if (head.seq < signedTo) {
        throw new AuditTamperedError(
          `the chain head is at ${head.seq}, behind event ${signedTo} that digest ${last.digest_seq} signed`,
        );
      }
      if (signedTo > 0n) {
        const at = await c.query<{ hash: Buffer }>(
          'SELECT hash FROM gh_audit_events WHERE seq = $1 LIMIT 1',
          [signedTo.toString()],
        );
        const hash = at.rows[0]?.hash;
        if (hash && hash.toString('hex') !== lastBody.lastHash) {
          throw new AuditTamperedError(`event ${signedTo} is not the one digest ${last.digest_seq} signed`);
        }
      }
    }
    const fromSeq = last ? BigInt(last.to_seq) + 1n : 1n;
    // Partitions that began in this range (recorded by the writer that opened each period).
    const starts = await c.query<{ period: string; first_seq: string; prev_hash: Buffer }>(
      `SELECT period, first_seq::text AS first_seq, prev_hash FROM gh_audit_partitions
        WHERE first_seq BETWEEN $1 AND $2 ORDER BY gh_audit_partitions.first_seq`,
      [fromSeq.toString(), head.seq.toString()],
    );
    const partitions: PartitionStart[] = starts.rows.map((r) => ({
      period: r.period,
      firstSeq: r.first_seq,
      prevHash: r.prev_hash.toString('hex'),
    }));
    // Retention drops not yet signed: signing them is what lets verification accept the missing beginning.
    const drops = await c.query<{ period: string; first_seq: string; last_seq: string }>(
      `SELECT period, first_seq::text AS first_seq, last_seq::text AS last_seq FROM gh_audit_dropped
        WHERE digest_seq IS NULL ORDER BY gh_audit_dropped.first_seq`,
    );
    const digestSeq = last ? BigInt(last.digest_seq) + 1n : 1n;
    const body: DigestBody = {
      version: 1,
      digestSeq: digestSeq.toString(),
      createdAt: now.toISOString(),
      fromSeq: fromSeq.toString(),
      toSeq: head.seq.toString(),
      lastHash: head.hash.toString('hex'),
      partitions,
      dropped: drops.rows.map((r) => ({ period: r.period, firstSeq: r.first_seq, lastSeq: r.last_seq })),
      previousSignature: last ? last.signature.toString('base64') : null,
      keyId: keyIdOf(signer.publicKey),
    };
    const text = canonicalJson(body);
    const signature = signDigest(body, signer.privateKey);
    await c.query(
      `INSERT INTO gh_audit_digests (digest_seq, created_at, from_seq, to_seq, key_id, body, signature)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [digestSeq.toString(), now, fromSeq.toString(), head.seq.toString(), body.keyId, text, signature],
    );
    if (drops.rows.length > 0) {
      await c.query('UPDATE gh_audit_dropped SET digest_seq = $1 WHERE digest_seq IS NULL', [
        digestSeq.toString(),
      ]);
    }
    return { digestSeq, body: text, signature };
  });
}

/** The trail in the store went backwards since the last digest: not signed, raised as an alert by the caller. */
export class AuditTamperedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditTamperedError';
  }
}

/** When the newest digest was written (null: never), to decide whether this node should write the next. */
export async function lastDigestTime(pool: Queryable): Promise<Date | null> {
  const r = await pool.query<{ created_at: Date }>(
    'SELECT created_at FROM gh_audit_digests ORDER BY digest_seq DESC LIMIT 1',
  );
  return r.rows[0]?.created_at ?? null;
}

/**
 * Drop the partitions whose whole period ended before `cutoff`, oldest first, never the one being written,
 * and only once a signed digest covers the event after them (that digest names where the next partition
 * starts, so verification can begin there). Each one's seq range is recorded in gh_audit_dropped. Returns the
 * periods dropped.
 */
export async function dropExpiredPartitions(store: Store, cutoff: Date): Promise<string[]> {
  return store.withTransaction(async (c) => {
    // The parent's lock first, with a short wait (a long verify or export holds a share lock): writers queue on
    // the head row only for the moment the drop itself takes, never behind a lock wait.
    await c.query("SET LOCAL lock_timeout = '2s'");
    await c.query('LOCK TABLE gh_audit_events IN ACCESS EXCLUSIVE MODE');
    const head = await lockHead(c);
    const parts = await c.query<{ period: string }>(
      `SELECT substring(c.relname from 'gh_audit_events_(.*)') AS period FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'gh_audit_events' ORDER BY 1`,
    );
    const signed = await c.query<{ to_seq: string | null }>(
      'SELECT max(to_seq)::text AS to_seq FROM gh_audit_digests',
    );
    const signedUpTo = BigInt(signed.rows[0]?.to_seq ?? '0');
    const dropped: string[] = [];
    for (const { period: raw } of parts.rows) {
      const period = raw.replaceAll('_', '-');
      if (period === head.period || periodEnd(period) > cutoff) continue;
      const range = await c.query<{ first: string | null; last: string | null }>(
        `SELECT min(seq)::text AS first, max(seq)::text AS last FROM ${partitionTable(period)}`,
      );
      const first = range.rows[0]?.first;
      const last = range.rows[0]?.last;
      if (last != null && BigInt(last) >= signedUpTo) break; // not yet covered by a digest: keep it (and newer)
      if (first != null && last != null) {
        await c.query(
          `INSERT INTO gh_audit_dropped (period, first_seq, last_seq, dropped_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (period) DO NOTHING`,
          [period, first, last],
        );
      }
      await c.query(`DROP TABLE ${partitionTable(period)}`);
      dropped.push(period);
    }
    return dropped;
  });
}

/**
 * Source addresses of a subject's admitted logins in the last `days` days, from the trail (the new-network
 * detector's history): by principal ARN when there is one, else by database user on that instance.
 */
export async function knownLoginSources(
  db: Queryable,
  subject: { principalArn?: string; instance: string; dbUser: string },
  excludeRequestId: string,
  days = 90,
): Promise<string[]> {
  const since = `now() - make_interval(days => ${Math.floor(days)})`;
  const r =
    subject.principalArn !== undefined
      ? await db.query<{ source_ip: string }>(
          `SELECT DISTINCT source_ip FROM gh_audit_events
            WHERE principal = $1 AND event_name = 'db.connect' AND outcome = 'success'
              AND request_id <> $2 AND event_time > ${since} AND source_ip IS NOT NULL LIMIT 10000`,
          [subject.principalArn, excludeRequestId],
        )
      : await db.query<{ source_ip: string }>(
          `SELECT DISTINCT source_ip FROM gh_audit_events
            WHERE username = $1 AND resource = $2 AND principal IS NULL AND event_name = 'db.connect'
              AND outcome = 'success' AND request_id <> $3 AND event_time > ${since} AND source_ip IS NOT NULL
            LIMIT 10000`,
          [subject.dbUser, subject.instance, excludeRequestId],
        );
  return r.rows.map((x) => x.source_ip);
}
