// Keeps one engine listener per registered instance in step with the store (start, update, move, stop).

import type { Server } from 'node:net';
import { hostname } from 'node:os';
import { backendTargetOf } from './control-plane/backend-target.js';
import { GatehouseError } from './core/errors.js';
import type { Logger } from './core/logger.js';
import type { ListenerState } from './core/metrics.js';
import type { SecretBox } from './core/secret-box.js';
import { type DbEngine, STATEMENT_CLASSES } from './core/types.js';
import type { Engine, EngineListener } from './engines/common/engine.js';
import type { InstanceSettings } from './engines/common/instance.js';
import { type InstanceRow, listInstances } from './store/instances-repo.js';
import type { Store } from './store/pool.js';

export interface ListenerFailure {
  readonly instance: string;
  readonly error: Error;
}

export interface ListenerSet {
  reconcile(): Promise<ListenerFailure[]>;
  get(identifier: string): EngineListener | undefined;
  /** Every running listener's live counts (for the metrics gauges). */
  states(): ListenerState[];
  /** Instances whose listener failed to start at the last reconcile (for /readyz). */
  readonly failures: readonly ListenerFailure[];
  /** Connections open now (relaying or still logging in), across every listener. */
  readonly connections: number;
  /** Every instance's listening socket, to hand to a successor process (rolling restart). */
  listeningSockets(): Array<{ readonly host: string; readonly port: number; readonly server: Server }>;
  /** Stop accepting on every listener; from now on no listener starts, moves or stops (reconcile does nothing). */
  stopAccepting(): Promise<void>;
  /**
   * End every session with GH_SHUTTING_DOWN as soon as it is idle; at `deadlineMs` the rest. Resolves once every
   * connection is closed, or shortly after the deadline (close() then destroys what is left).
   */
  drain(deadlineMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A predecessor's listening sockets (rolling restart, src/wiring/handover.ts), by `host:port`; each taken once. */
export interface InheritedSockets {
  /** The handle to listen on, and `adopt` for the new server (it gets the connections accepted meanwhile). */
  take(host: string, port: number): { readonly handle: object; adopt(server: Server): void } | undefined;
}

/** After the drain deadline: how long the sessions then told may take to go (a boundary wait, the client's FIN). */
const END_GRACE_MS = 3000;

/** Whether `promise` settled within `ms`. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms).unref();
  });
  return Promise.race([promise.then(() => true), late]).finally(() => clearTimeout(timer));
}

/** The endpoint a token must be signed for: the listen address (`[v6]:port` for IPv6), this host's name for a wildcard. */
export function endpointOf(listenHost: string, listenPort: number): string {
  const host = listenHost === '0.0.0.0' || listenHost === '::' ? hostname().toLowerCase() : listenHost;
  return host.includes(':') ? `[${host}]:${listenPort}` : `${host.toLowerCase()}:${listenPort}`;
}

function toInstanceSettings(box: SecretBox, row: InstanceRow, engine: Engine): InstanceSettings {
  const { host, port, sslMode, sslRootCert } = backendTargetOf(box, row, engine.provisioner);
  return {
    identifier: row.identifier,
    engine: row.engine,
    dbiResourceId: row.dbiResourceId,
    forceSsl: row.forceSsl,
    backend: { host, port, sslMode, sslRootCert },
    iamAuth: row.iamAuth,
    endpoints: [endpointOf(row.listenHost, row.listenPort), ...row.endpointAliases],
    terminateRevokedIamSessions: row.iamTerminateSessions,
    auditFailOpen: row.auditFailOpen,
    statementAudit: {
      classes: row.auditStatements.includes('ALL')
        ? [...STATEMENT_CLASSES]
        : STATEMENT_CLASSES.filter((c) => row.auditStatements.includes(c)),
      literals: row.auditStatementLiterals,
      resultDigest: row.auditResultDigest,
    },
  };
}

export function createListenerSet(
  store: Store,
  box: SecretBox,
  engines: ReadonlyMap<DbEngine, Engine>,
  logger: Logger,
  options: {
    readonly flagFor: (identifier: string) => string | undefined;
    readonly inherited?: InheritedSockets;
  },
): ListenerSet {
  const { flagFor, inherited } = options;
  const running = new Map<string, { listener: EngineListener; host: string; port: number }>();
  let stopping = false;
  let chain: Promise<ListenerFailure[]> = Promise.resolve([]);
  let lastFailures: readonly ListenerFailure[] = [];

  async function reconcileNow(): Promise<ListenerFailure[]> {
    const rows = await listInstances(store.pool);
    const failures: ListenerFailure[] = [];
    const wanted = new Set(rows.map((r) => r.identifier));
    for (const [id, entry] of running) {
      if (!wanted.has(id)) {
        running.delete(id);
        await entry.listener.close();
        logger.info({ instance: id }, 'listener stopped');
      }
    }
    for (const row of rows) {
      const engine = engines.get(row.engine);
      if (!engine) {
        const error = new Error(`no engine "${row.engine}" is registered on this node`);
        logger.error({ instance: row.identifier, err: error }, 'listener could not start');
        failures.push({ instance: row.identifier, error });
        continue;
      }
      const instance = toInstanceSettings(box, row, engine);
      const entry = running.get(row.identifier);
      if (entry && entry.host === row.listenHost && entry.port === row.listenPort) {
        entry.listener.update(instance);
        continue;
      }
      if (entry) {
        running.delete(row.identifier);
        await entry.listener.close();
      }
      try {
        const flag = flagFor(row.identifier);
        const handed = inherited?.take(row.listenHost, row.listenPort);
        const listener = await engine.listen(instance, {
          host: row.listenHost,
          port: row.listenPort,
          ...(flag ? { flag } : {}),
          ...(handed ? { handle: handed.handle } : {}),
        });
        handed?.adopt(listener.server);
        running.set(row.identifier, { listener, host: row.listenHost, port: row.listenPort });
        logger.info(
          { instance: row.identifier, listen: `${row.listenHost}:${row.listenPort}` },
          'listener started',
        );
      } catch (error) {
        logger.error({ instance: row.identifier, err: error }, 'listener could not start');
        failures.push({ instance: row.identifier, error: error as Error });
      }
    }
    return failures;
  }

  return {
    // Serialised: NOTIFY bursts and API calls must not start two listeners for one instance.
    reconcile() {
      if (stopping) return Promise.resolve([...lastFailures]);
      chain = chain.then(reconcileNow, reconcileNow).then((failures) => {
        lastFailures = failures;
        return failures;
      });
      return chain;
    },
    get: (identifier) => running.get(identifier)?.listener,
    states: () =>
      [...running].map(([instance, { listener }]) => ({
        instance,
        sessions: listener.activeSessions,
        pending: listener.admission.pending,
        refusing: listener.admission.refusing,
      })),
    get failures() {
      return lastFailures;
    },
    get connections() {
      let n = 0;
      for (const { listener } of running.values()) n += listener.activeSessions + listener.admission.pending;
      return n;
    },
    listeningSockets: () =>
      [...running.values()].map(({ host, port, listener }) => ({ host, port, server: listener.server })),
    async stopAccepting() {
      stopping = true;
      await chain.catch(() => []);
      await Promise.all([...running.values()].map((e) => e.listener.stopAccepting()));
    },
    async drain(deadlineMs) {
      const error = new GatehouseError('GH_SHUTTING_DOWN');
      const listeners = [...running.values()].map((e) => e.listener);
      for (const l of listeners) l.drain(error);
      const gone = Promise.all(listeners.map((l) => l.gone()));
      if (await within(gone, deadlineMs)) return;
      for (const l of listeners) l.endAll(error);
      await within(gone, END_GRACE_MS);
    },
    async close() {
      await chain.catch(() => []);
      await Promise.all([...running.values()].map((e) => e.listener.close()));
      running.clear();
    },
  };
}
