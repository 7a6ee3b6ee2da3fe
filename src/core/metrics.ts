// Prometheus metrics of one node (prom-client), fed by the audit events every engine's session pipeline emits and
// by the listeners' live counts read at scrape time. Labels are bounded: instance identifiers (operator-chosen),
// methods, outcomes, reasons and error codes; never user names, addresses or principals.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditEvent, AuditSink } from './audit.js';

/** What a listener holds now, for the gauges. */
export interface ListenerState {
  readonly instance: string;
  readonly sessions: number;
  readonly pending: number;
  readonly refusing: number;
}

export interface GatewayMetrics {
  /** Turns audit events into counters and histograms (never blocks, never throws). */
  readonly sink: AuditSink;
  /** One committed audit batch: its size and how long the write took. */
  auditBatch(events: number, ms: number): void;
  /** The exposition text and its content type, for GET /metrics. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Authentication latency buckets, seconds: SCRAM on a LAN is milliseconds; a token check with a cold store more. */
const AUTH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createGatewayMetrics(o: {
  listeners(): readonly ListenerState[];
  /** The audit trail's queue: events waiting to be written, and events dropped while the store was away. */
  audit?: () => { backlog: number; dropped: number };
  /** The IAM principal cache: lookups answered from it, loads from the store, invalidations (NOTIFY). */
  iamCache?: () => { hits: number; loads: number; invalidations: number };
}): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  const attempts = new Counter({
    name: 'gatehouse_connection_attempts_total',
    help: 'Database connection attempts by instance, auth method, outcome (success, failure, abandoned) and error code.',
    labelNames: ['instance', 'method', 'outcome', 'code'] as const,
    registers: [registry],
  });
  const auth = new Histogram({
    name: 'gatehouse_connection_setup_seconds',
    help: 'Time from accepting a connection to its outcome (admitted, refused or abandoned), by auth method and outcome.',
    labelNames: ['method', 'outcome'] as const,
    buckets: AUTH_BUCKETS,
    registers: [registry],
  });
  const ended = new Counter({
    name: 'gatehouse_sessions_ended_total',
    help: 'Relayed sessions that ended, by instance and reason (client-quit, backend-gone, revoked, shutdown).',
    labelNames: ['instance', 'reason'] as const,
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'gatehouse_session_bytes_total',
    help: 'Bytes relayed by ended sessions, by instance and direction (from_client, to_client).',
    labelNames: ['instance', 'direction'] as const,
    registers: [registry],
  });
  const revoked = new Counter({
    name: 'gatehouse_sessions_revoked_total',
    help: 'Open sessions ended because the access that allowed them was revoked, by instance.',
    labelNames: ['instance'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'gatehouse_sessions',
    help: 'Sessions relaying now, by instance.',
    labelNames: ['instance'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const l of o.listeners()) this.set({ instance: l.instance }, l.sessions);
    },
  });
  new Gauge({
    name: 'gatehouse_connections_before_auth',
    help: 'Connections not yet authenticated, by instance and state (pending; refusing: refused, still negotiating TLS to be told why).',
    labelNames: ['instance', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const l of o.listeners()) {
        this.set({ instance: l.instance, state: 'pending' }, l.pending);
        this.set({ instance: l.instance, state: 'refusing' }, l.refusing);
      }
    },
  });

  const auditWrite = new Histogram({
    name: 'gatehouse_audit_write_seconds',
    help: 'Time to commit one batch of audit events to the trail (group commit: one transaction per batch).',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const auditEvents = new Counter({
    name: 'gatehouse_audit_events_written_total',
    help: 'Audit events committed to the trail by this node.',
    registers: [registry],
  });
  new Gauge({
    name: 'gatehouse_audit_backlog',
    help: 'Audit events queued on this node and not yet committed (grows while the store is unreachable).',
    registers: [registry],
    collect() {
      this.set(o.audit?.().backlog ?? 0);
    },
  });
  new Gauge({
    name: 'gatehouse_audit_dropped',
    help: 'Audit events this node dropped because its backlog was full while the store was unreachable.',
    registers: [registry],
    collect() {
      this.set(o.audit?.().dropped ?? 0);
    },
  });

  // Counters kept elsewhere, read at scrape time: each scrape adds what happened since the last one.
  const seen = { hits: 0, loads: 0, invalidations: 0 };
  new Counter({
    name: 'gatehouse_iam_cache_lookups_total',
    help: 'IAM principal lookups (token logins, API calls), by result: hit (answered from the cache) or load (read from the store).',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      const now = o.iamCache?.();
      if (!now) return;
      this.inc({ result: 'hit' }, now.hits - seen.hits);
      this.inc({ result: 'load' }, now.loads - seen.loads);
      seen.hits = now.hits;
      seen.loads = now.loads;
    },
  });
  new Counter({
    name: 'gatehouse_iam_cache_refreshes_total',
    help: 'Times the IAM principal cache was emptied because IAM changed (a change on any node, or a resync).',
    registers: [registry],
    collect() {
      const now = o.iamCache?.();
      if (!now) return;
      this.inc(now.invalidations - seen.invalidations);
      seen.invalidations = now.invalidations;
    },
  });
  const backendErrors = new Counter({
    name: 'gatehouse_backend_errors_total',
    help: 'Logins that failed at the backend (unreachable, timed out, refused, provisioning), by instance and error code.',
    labelNames: ['instance', 'code'] as const,
    registers: [registry],
  });

  const record = (e: AuditEvent) => {
    switch (e.type) {
      case 'db.connect':
        attempts.inc({ instance: e.instance, method: e.method, outcome: e.outcome, code: e.code ?? '' });
        if (e.code?.startsWith('GH_BACKEND_')) backendErrors.inc({ instance: e.instance, code: e.code });
        if (e.elapsedMs !== undefined)
          auth.observe({ method: e.method, outcome: e.outcome }, e.elapsedMs / 1000);
        break;
      case 'db.disconnect':
        ended.inc({ instance: e.instance, reason: e.reason });
        bytes.inc({ instance: e.instance, direction: 'from_client' }, e.bytesFromClient);
        bytes.inc({ instance: e.instance, direction: 'to_client' }, e.bytesToClient);
        break;
      case 'db.session.revoked':
        revoked.inc({ instance: e.instance });
        break;
    }
  };
  return {
    auditBatch(events, ms) {
      auditEvents.inc(events);
      auditWrite.observe(ms / 1000);
    },
    sink: {
      emit(event) {
        try {
          record(event);
        } catch {
          // A metric must never cost an audit event or a session.
        }
      },
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
