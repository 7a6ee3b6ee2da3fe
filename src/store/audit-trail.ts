// The durable audit trail: events from every node appended to one hash chain in the store, by group commit.
// A writer locks the chain's head row, so the sequence is one total order across nodes; each batch is one
// transaction (the events and the new head together, or nothing). `commit()` resolves once its event is in a
// committed batch: a fail-closed login waits for that; `emit()` queues and retries while the store is away.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AuditEvent, AuditSink } from '../core/audit.js';
import {
  chainHash,
  entryOf,
  type PartitionGranularity,
  partitionTable,
  periodOf,
  type TrailEntry,
} from '../core/audit-chain.js';
import type { Clock } from '../core/clock.js';
import { isGatehouseError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Store } from './pool.js';

export interface AuditTrailOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Partition by UTC month (default) or day. */
  readonly granularity?: PartitionGranularity;
  /** Most events in one transaction. */
  readonly maxBatch?: number;
  /** Queued events kept while the store is unreachable; beyond it the oldest are dropped (and counted). */
  readonly maxBacklog?: number;
  /** Wait before retrying a failed write. */
  readonly retryMs?: number;
  /** Told after each committed batch (audit write latency and batch size, for the metrics). */
  readonly onBatch?: (events: number, ms: number) => void;
}

export interface AuditTrail extends AuditSink {
  commit(event: AuditEvent): Promise<void>;
  /** Events queued and not yet committed. */
  backlog(): number;
  /** Events dropped because the backlog was full while the store was away. */
  dropped(): number;
  /** Resolves when everything queued so far is committed (or its write failed). */
  flush(): Promise<void>;
  /** Flush, then stop; further events are refused. */
  close(): Promise<void>;
}

interface Pending {
  readonly event: AuditEvent;
  /** A commit() caller waiting: rejected (not retried) when the write fails. */
  readonly waiter: { resolve(): void; reject(e: unknown): void } | null;
}

/** The head of the chain: the last event's sequence number and hash, the partition written last. */
interface Head {
  seq: bigint;
  hash: Buffer;
  period: string;
}

export function createAuditTrail(o: AuditTrailOptions): AuditTrail {
  const granularity = o.granularity ?? 'month';
  const maxBatch = o.maxBatch ?? 1000;
  const maxBacklog = o.maxBacklog ?? 100_000;
  const retryMs = o.retryMs ?? 1000;
  let queue: Pending[] = [];
  let running: Promise<void> | null = null;
  let retry: NodeJS.Timeout | undefined;
  let droppedCount = 0;
  let closed = false;
  const idle: (() => void)[] = [];

  const kick = () => {
    if (running || retry || queue.length === 0) {
      if (!running && !retry) for (const f of idle.splice(0)) f();
      return;
    }
    running = drain().finally(() => {
      running = null;
      kick();
    });
  };

  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      const started = performance.now();
      try {
        await writeBatch(o.store, batch, o.clock.now(), granularity);
      } catch (error) {
        // Waiting logins are refused now (fail closed); the rest go back to the front, in order, for a retry.
        const retained = batch.filter((p) => p.waiter === null);
        for (const p of batch) p.waiter?.reject(error);
        queue = [...retained, ...queue];
        if (queue.length > maxBacklog) {
          const excess = queue.length - maxBacklog;
          queue = queue.slice(excess);
          droppedCount += excess;
          o.logger.error(
            { dropped: excess, total: droppedCount },
            'audit backlog full: oldest events dropped',
          );
        }
        // A store outage is logged once by the store itself; anything else is worth a line each time.
        if (isGatehouseError(error) && error.code === 'GH_STORE_UNAVAILABLE') {
          o.logger.debug(
            { detail: error.detail, backlog: queue.length },
            'audit trail write failed; retrying',
          );
        } else {
          o.logger.warn({ err: error, backlog: queue.length }, 'audit trail write failed; retrying');
        }
        if (closed) {
          for (const f of idle.splice(0)) f();
          return;
        }
        retry = setTimeout(() => {
          retry = undefined;
          kick();
        }, retryMs);
        retry.unref();
        return;
      }
      o.onBatch?.(batch.length, performance.now() - started);
      for (const p of batch) p.waiter?.resolve();
    }
  };

  const enqueue = (p: Pending) => {
    queue.push(p);
    // Same-tick events share a transaction: the drain starts on the next turn of the event loop.
    if (!running && !retry) setImmediate(kick);
  };

  return {
    emit(event) {
      if (closed) {
        o.logger.error({ type: event.type }, 'audit event after the trail closed: not written');
        return;
      }
      enqueue({ event, waiter: null });
    },
    commit(event) {
      if (closed) return Promise.reject(new Error('the audit trail is closed'));
      return new Promise<void>((resolve, reject) => enqueue({ event, waiter: { resolve, reject } }));
    },
    backlog: () => queue.length,
    dropped: () => droppedCount,
    flush() {
      if (!running && !retry && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        if (!running && !retry) kick();
      });
    },
    async close() {
      closed = true;
      if (retry) {
        // One last attempt for what is queued; what still fails is logged as lost.
        clearTimeout(retry);
        retry = undefined;
      }
      await new Promise<void>((resolve) => {
        idle.push(resolve);
        kick();
      });
      if (queue.length > 0) {
        o.logger.error({ lost: queue.length }, 'audit events not written at shutdown (store unreachable)');
        queue = [];
      }
    },
  };
}

async function writeBatch(
  store: Store,
  batch: readonly Pending[],
  now: Date,
  granularity: PartitionGranularity,
) {
  await store.withTransaction(async (c) => {
    const head = await lockHead(c);
    const period = maxPeriod(head.period, periodOf(now, granularity));
    if (period !== head.period) {
      const table = partitionTable(period);
      await c.query(
        `CREATE TABLE IF NOT EXISTS ${table} PARTITION OF gh_audit_events FOR VALUES IN ('${period}')`,
      );
    }
    const rows: { seq: bigint; entry: TrailEntry; prev: Buffer; hash: Buffer }[] = [];
    let prev = head.hash;
    let seq = head.seq;
    for (const p of batch) {
      seq += 1n;
      const entry = entryOf({ ...p.event, eventId: randomUUID() });
      const hash = chainHash(prev, seq, entry.body);
      rows.push({ seq, entry, prev, hash });
      prev = hash;
    }
    const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
    // Named (prepared once per connection): planning this insert costs more than running it for a small batch.
    await c.query({
      name: 'gh-audit-append',
      text: `INSERT INTO gh_audit_events (period, seq, event_id, event_time, event_name, request_id, principal, username,
         access_key_id, source_ip, resource, outcome, error_code, body, prev_hash, hash)
       SELECT $1, s::bigint, id::uuid, t::timestamptz, n, r, pr, u, k, ip, res, o, e, b, decode(ph, 'hex'), decode(h, 'hex')
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                     $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
              AS x(s, id, t, n, r, pr, u, k, ip, res, o, e, b, ph, h)`,
      values: [
        period,
        col((r) => r.seq.toString()),
        col((r) => r.entry.eventId),
        col((r) => r.entry.eventTime),
        col((r) => r.entry.eventName),
        col((r) => r.entry.requestId),
        col((r) => r.entry.principal),
        col((r) => r.entry.username),
        col((r) => r.entry.accessKeyId),
        col((r) => r.entry.sourceIp),
        col((r) => r.entry.resource),
        col((r) => r.entry.outcome),
        col((r) => r.entry.errorCode),
        col((r) => r.entry.body),
        col((r) => r.prev.toString('hex')),
        col((r) => r.hash.toString('hex')),
      ],
    });
    await c.query({
      name: 'gh-audit-head',
      text: 'UPDATE gh_audit_head SET seq = $1, hash = $2, period = $3 WHERE id',
      values: [seq.toString(), prev, period],
    });
  });
}

/** Lock the chain's head (every writer on every node queues here) and read it. */
export async function lockHead(c: pg.PoolClient): Promise<Head> {
  const r = await c.query<{ seq: string; hash: Buffer; period: string }>(
    'SELECT seq::text AS seq, hash, period FROM gh_audit_head WHERE id FOR UPDATE',
  );
  const row = r.rows[0];
  if (!row) throw new Error('the audit chain head row is missing (migration 005)');
  return { seq: BigInt(row.seq), hash: row.hash, period: row.period };
}

/** Periods never go backwards (a node whose clock is behind keeps writing into the newest partition). */
function maxPeriod(a: string, b: string): string {
  return a > b ? a : b;
}
