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
import { isStoreOutage } from '../core/errors.js';
import { type Logger, warnUnlessStoreOutage } from '../core/logger.js';
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
  /** Resolves when everything queued so far is committed, or when a write attempt failed (the rest is retried). */
  flush(): Promise<void>;
  /** Flush, then stop; further events are refused. */
  close(): Promise<void>;
}

interface Pending {
  readonly event: AuditEvent;
  /** Given when queued, so a retry after an unclear failure can tell whether the batch was in fact written. */
  readonly eventId: string;
  /** A commit() caller waiting: rejected (not retried) when the write fails. */
  readonly waiter: { resolve(): void; reject(e: unknown): void } | null;
}

/** The head of the chain: the last event's sequence number and hash, the partition written last. */
interface Head {
  seq: bigint;
  hash: Buffer;
  period: string;
}

/** Server-side bounds inside a write (the client-side query deadline does not stop the server waiting). */
const WRITE_LOCK_TIMEOUT = '5s';
const WRITE_STATEMENT_TIMEOUT = '10s';
/** Consecutive failures of one batch for a reason other than an outage before it is set aside (logged, counted). */
const MAX_BATCH_FAILURES = 5;

export function createAuditTrail(o: AuditTrailOptions): AuditTrail {
  const granularity = o.granularity ?? 'month';
  const maxBatch = o.maxBatch ?? 1000;
  const maxBacklog = o.maxBacklog ?? 100_000;
  const retryMs = o.retryMs ?? 1000;
  /** commit() callers (logins waiting to be admitted): always written first, never kept across a failure. */
  let waiting: Pending[] = [];
  /** emit()ted events: written after the waiting ones, kept and retried while the store is away. */
  let queue: Pending[] = [];
  let running: Promise<void> | null = null;
  let retry: NodeJS.Timeout | undefined;
  let droppedCount = 0;
  let closed = false;
  /** The last batch failed in a way that may still have committed: check before writing it again. */
  let unclear: Pending[] | null = null;
  let failures = 0;
  const idle: (() => void)[] = [];
  const pendingCount = () => waiting.length + queue.length;

  const kick = () => {
    if (running || retry || pendingCount() === 0) {
      if (!running && !retry) for (const f of idle.splice(0)) f();
      return;
    }
    running = drain().finally(() => {
      running = null;
      kick();
    });
  };

  const rejectWaiting = (error: unknown) => {
    for (const p of waiting) p.waiter?.reject(error);
    waiting = [];
  };

  const drain = async () => {
    while (pendingCount() > 0) {
      const started = performance.now();
      let batch: Pending[] = [];
      // After a failure whose outcome is unclear (a timeout may come after the server committed), look first:
      // events already in the trail leave the queue instead of being written twice.
      const check = unclear;
      unclear = null;
      try {
        if (check && (await alreadyWritten(o.store, check))) {
          const written = new Set(check.map((p) => p.eventId));
          queue = queue.filter((p) => !written.has(p.eventId));
          o.logger.info({ events: written.size }, 'audit batch found written after an unclear failure');
          if (pendingCount() === 0) break;
        }
        const fromWaiting = waiting.slice(0, maxBatch);
        const fromQueue = queue.slice(0, maxBatch - fromWaiting.length);
        batch = [...fromWaiting, ...fromQueue];
        waiting = waiting.slice(fromWaiting.length);
        queue = queue.slice(fromQueue.length);
        await writeBatch(o.store, batch, o.clock.now(), granularity);
        failures = 0;
      } catch (error) {
        const outage = isStoreOutage(error);
        // Waiting logins are refused now (fail closed), those in the batch and those queued behind it: none of
        // them may wait out an outage. The emitted events go back to the front, in order, for a retry.
        for (const p of batch) p.waiter?.reject(error);
        rejectWaiting(error);
        const retained = batch.filter((p) => p.waiter === null);
        failures += 1;
        if (!outage && failures >= MAX_BATCH_FAILURES) {
          // Not the store being away but this batch itself (a bug): set it aside rather than block the trail.
          droppedCount += retained.length;
          o.logger.error(
            { err: error, dropped: retained.length, total: droppedCount },
            'audit batch failed repeatedly: its events were dropped',
          );
          failures = 0;
        } else {
          queue = [...retained, ...queue];
          // A timeout or a lost connection may come after the server committed: look before writing again (and if
          // the look itself failed, the earlier question is still open).
          unclear = batch.length === 0 ? check : outage ? retained : null;
        }
        if (queue.length > maxBacklog) {
          const excess = queue.length - maxBacklog;
          queue = queue.slice(excess);
          droppedCount += excess;
          o.logger.error(
            { dropped: excess, total: droppedCount },
            'audit backlog full: oldest events dropped',
          );
        }
        warnUnlessStoreOutage(o.logger, error, 'audit trail write failed; retrying', {
          backlog: queue.length,
        });
        // flush() callers are answered now (their events are queued for the retry, not written): a digest or a
        // shutdown must not wait out a store outage.
        for (const f of idle.splice(0)) f();
        if (closed) return;
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
    if (p.waiter) waiting.push(p);
    else queue.push(p);
    // Same-tick events share a transaction: the drain starts on the next turn of the event loop.
    if (!running && !retry) setImmediate(kick);
  };

  return {
    emit(event) {
      if (closed) {
        o.logger.error({ type: event.type }, 'audit event after the trail closed: not written');
        return;
      }
      enqueue({ event, eventId: randomUUID(), waiter: null });
    },
    commit(event) {
      if (closed) return Promise.reject(new Error('the audit trail is closed'));
      // While an outage is being waited out, a login does not wait for the next retry: it is the retry (so the
      // first login after the store is back succeeds, and one during the outage is refused as soon as it fails).
      if (retry) {
        clearTimeout(retry);
        retry = undefined;
      }
      return new Promise<void>((resolve, reject) =>
        enqueue({ event, eventId: randomUUID(), waiter: { resolve, reject } }),
      );
    },
    backlog: () => pendingCount(),
    dropped: () => droppedCount,
    flush() {
      if (!running && pendingCount() === 0) return Promise.resolve();
      if (!running && retry) return Promise.resolve(); // waiting out an outage: nothing will happen before it
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        if (!running) kick();
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
      rejectWaiting(new Error('the audit trail closed before this event was written'));
      if (queue.length > 0) {
        o.logger.error({ lost: queue.length }, 'audit events not written at shutdown (store unreachable)');
        queue = [];
      }
    },
  };
}

/** Whether a batch whose write failed unclearly is in the trail after all (its first event id is there). */
async function alreadyWritten(store: Store, batch: readonly Pending[]): Promise<boolean> {
  const first = batch[0];
  if (!first) return false;
  const r = await store.pool.query('SELECT 1 FROM gh_audit_events WHERE event_id = $1::uuid LIMIT 1', [
    first.eventId,
  ]);
  return (r.rowCount ?? 0) > 0;
}

async function writeBatch(
  store: Store,
  batch: readonly Pending[],
  now: Date,
  granularity: PartitionGranularity,
) {
  await store.withTransaction(async (c) => {
    await c.query(
      `SET LOCAL lock_timeout = '${WRITE_LOCK_TIMEOUT}'; SET LOCAL statement_timeout = '${WRITE_STATEMENT_TIMEOUT}'`,
    );
    const head = await lockHead(c);
    const period = maxPeriod(head.period, periodOf(now, granularity));
    if (period !== head.period) {
      // Usually created ahead by the node's timer (ensurePartition); created here if not.
      await ensurePartition(c, period);
      // Where the partition's events begin: what a digest names so verification can start there.
      await c.query(
        `INSERT INTO gh_audit_partitions (period, first_seq, prev_hash) VALUES ($1, $2, $3)
         ON CONFLICT (period) DO NOTHING`,
        [period, (head.seq + 1n).toString(), head.hash],
      );
    }
    const rows: { seq: bigint; entry: TrailEntry; prev: Buffer; hash: Buffer }[] = [];
    let prev = head.hash;
    let seq = head.seq;
    for (const p of batch) {
      seq += 1n;
      const entry = entryOf({ ...p.event, eventId: p.eventId });
      const hash = chainHash(prev, seq, period, entry.body);
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

/**
 * Make sure the period's partition exists: created as a plain table and attached (ATTACH takes a weaker lock on
 * the parent than CREATE TABLE ... PARTITION OF, so lookups and verification keep running), under a lock
 * timeout. The node's timer calls it ahead of each period, outside the chain's head lock.
 */
export async function ensurePartition(c: Pick<pg.PoolClient, 'query'>, period: string): Promise<void> {
  const table = partitionTable(period);
  const exists = await c.query('SELECT 1 FROM pg_class WHERE relname = $1', [table]);
  if ((exists.rowCount ?? 0) > 0) return;
  await c.query(`CREATE TABLE IF NOT EXISTS ${table} (LIKE gh_audit_events INCLUDING DEFAULTS)`);
  await c.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_period CHECK (period = '${period}')`);
  await c.query(`ALTER TABLE gh_audit_events ATTACH PARTITION ${table} FOR VALUES IN ('${period}')`);
}

/** Create a coming period's partition ahead (the node's timer), waiting at most 2 s for the parent's lock. */
export async function preparePartition(store: Store, period: string): Promise<void> {
  await store.withTransaction(async (c) => {
    await c.query("SET LOCAL lock_timeout = '2s'");
    await ensurePartition(c, period);
  });
}

/** Periods never go backwards (a node whose clock is behind keeps writing into the newest partition). */
function maxPeriod(a: string, b: string): string {
  return a > b ? a : b;
}
