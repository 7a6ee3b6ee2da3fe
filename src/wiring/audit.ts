// The audit trail of one node: the durable chain writer, the signed digests on a timer (copied to a file and a
// webhook outside the store) and retention. Every node runs the timers; the chain's head lock makes sure one
// digest is written per interval whichever node gets there first.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatehouseConfig } from '../config/schema.js';
import type { AuditSink } from '../core/audit.js';
import { periodOf } from '../core/audit-chain.js';
import type { AuditSigner } from '../core/audit-signing-key.js';
import { loadAuditSigningKey } from '../core/audit-signing-key.js';
import type { StoredDigest } from '../core/audit-verify.js';
import type { Clock } from '../core/clock.js';
import { DATA_DIR_FILES } from '../core/data-dir.js';
import { createHistoryDetectors, type LoginHours } from '../core/history-detectors.js';
import { type Logger, warnUnlessStoreOutage } from '../core/logger.js';
import {
  AuditTamperedError,
  dropExpiredPartitions,
  knownLoginSources,
  lastDigestTime,
  writeDigest,
} from '../store/audit-read.js';
import { type AuditTrail, createAuditTrail, preparePartition } from '../store/audit-trail.js';
import type { Store } from '../store/pool.js';

export interface NodeAudit {
  readonly trail: AuditTrail;
  readonly signer: AuditSigner;
  /** Write a digest now (tests, `gatehouse audit digest`), whatever the interval; null if nothing was written. */
  digestNow(): Promise<StoredDigest | null>;
  /** Drop expired partitions now; the periods dropped. */
  retainNow(): Promise<string[]>;
  close(): Promise<void>;
}

/** How often a node looks whether a digest or a retention pass is due. */
const CHECK_EVERY_MS = 60_000;
const WEBHOOK_TIMEOUT_MS = 5000;

export function startNodeAudit(o: {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: GatehouseConfig['audit'];
  dataDir: string;
  onBatch?: (events: number, ms: number) => void;
}): NodeAudit {
  const log = o.logger.child({ component: 'audit' });
  const signer = loadAuditSigningKey(
    o.config.signingKeyFile ?? join(o.dataDir, DATA_DIR_FILES.auditSigningKey),
    true,
  );
  const digestFile = o.config.digestFile ?? join(o.dataDir, DATA_DIR_FILES.auditDigests);
  const trail = createAuditTrail({
    store: o.store,
    clock: o.clock,
    logger: log,
    granularity: o.config.partition,
    ...(o.onBatch ? { onBatch: o.onBatch } : {}),
  });
  const intervalMs = o.config.digestIntervalSeconds * 1000;

  const copyOut = async (d: StoredDigest) => {
    const line = {
      digestSeq: d.digestSeq.toString(),
      body: d.body,
      signature: d.signature.toString('base64'),
    };
    try {
      appendFileSync(digestFile, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    } catch (e) {
      log.warn({ err: e, file: digestFile }, 'could not copy the audit digest to its file');
    }
    const hook = o.config.digestWebhook;
    if (hook) await postJson(hook, line, log, 'the audit digest', {});
  };

  const digest = async (force: boolean): Promise<StoredDigest | null> => {
    await trail.flush();
    const now = o.clock.now();
    let written: StoredDigest | null;
    try {
      written = await writeDigest(
        o.store,
        signer,
        now,
        force ? undefined : new Date(now.getTime() - intervalMs + 1000),
      );
    } catch (e) {
      if (e instanceof AuditTamperedError) {
        // Not signed: the trail went backwards since the last digest. Said loudly, and into the trail itself.
        log.error({ reason: e.message }, 'audit trail tampered with: digest not signed');
        trail.emit({
          type: 'alert',
          at: now.toISOString(),
          detector: 'trail-tampered',
          subject: 'audit trail',
          requestId: '',
          reason: e.message,
        });
      }
      throw e;
    }
    if (written) {
      log.info({ digest: written.digestSeq.toString() }, 'audit digest signed');
      await copyOut(written);
    }
    return written;
  };

  const retain = async (): Promise<string[]> => {
    const days = o.config.retentionDays;
    if (days === undefined) return [];
    const cutoff = new Date(o.clock.now().getTime() - days * 86_400_000);
    const dropped = await dropExpiredPartitions(o.store, cutoff);
    if (dropped.length > 0) {
      log.info({ periods: dropped }, 'audit partitions dropped by retention');
      await digest(true); // signs the drops: what lets verification accept the missing beginning
    }
    return dropped;
  };

  /** The partition of the next period, created ahead so that no writer creates it under the head lock. */
  const prepareNextPeriod = async () => {
    const next = periodOf(new Date(o.clock.now().getTime() + 2 * 86_400_000), o.config.partition);
    await preparePartition(o.store, next);
  };

  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running) return; // the previous pass is still going (a slow store): never two at once
    running = (async () => {
      await prepareNextPeriod().catch((e: unknown) =>
        log.debug({ err: e }, 'next audit partition not created ahead; the writer will create it'),
      );
      const last = await lastDigestTime(o.store.pool);
      if (last === null || o.clock.now().getTime() - last.getTime() >= intervalMs) await digest(false);
      await retain();
    })()
      .catch((e: unknown) =>
        warnUnlessStoreOutage(log, e, 'audit digest or retention pass failed; retrying later'),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, Math.min(CHECK_EVERY_MS, intervalMs)).unref();
  tick();

  return {
    trail,
    signer,
    digestNow: () => digest(true),
    retainNow: retain,
    async close() {
      clearInterval(timer);
      await running;
      await trail.close();
    },
  };
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The configured hours as the detector reads them. */
export function loginHoursOf(c: NonNullable<GatehouseConfig['alerts']['loginHours']>): LoginHours {
  const sign = c.utcOffset.startsWith('-') ? -1 : 1;
  return {
    days: c.days.map((d) => DAYS.indexOf(d)),
    fromMinute: minutesOf(c.from),
    toMinute: minutesOf(c.to),
    utcOffsetMinutes: sign * minutesOf(c.utcOffset.slice(1)),
  };
}

/** The detectors that read the trail's history (new network, outside hours), raising into `raise`. */
export function createTrailDetectors(o: {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: GatehouseConfig['alerts'];
  raise: AuditSink['emit'];
}): AuditSink {
  return createHistoryDetectors({
    clock: o.clock,
    raise: (alert) => o.raise(alert),
    knownSources: (subject, requestId) => knownLoginSources(o.store.pool, subject, requestId),
    newNetwork: o.config.newNetwork,
    ...(o.config.loginHours ? { hours: loginHoursOf(o.config.loginHours) } : {}),
    onError: (e) => o.logger.debug({ err: e }, 'new-network detector could not read the trail'),
  });
}

/**
 * POST `body` as JSON to an operator's webhook (5 s timeout); a refusal or a failure is logged, never retried,
 * never thrown (a webhook is a copy, not the record).
 */
async function postJson(
  url: string,
  body: unknown,
  logger: Logger,
  what: string,
  fields: Record<string, unknown>,
): Promise<void> {
  await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  }).then(
    (r) => {
      if (!r.ok) logger.warn({ ...fields, status: r.status }, `the webhook refused ${what}`);
    },
    (e: unknown) => logger.warn({ ...fields, err: e }, `could not POST ${what} to its webhook`),
  );
}

/** Each alert POSTed to a webhook (JSON, 5 s timeout); failures logged, never retried. */
export function alertWebhookSink(url: string, logger: Logger): AuditSink {
  return {
    emit(event) {
      if (event.type !== 'alert') return;
      void postJson(url, event, logger, 'the alert', { detector: event.detector });
    },
  };
}
