// Composition root: wires store, secrets, TLS, the PostgreSQL engine, listeners and the API for `serve` and `up`.
import { randomBytes, X509Certificate } from 'node:crypto';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { startApiServer } from './api/server.js';
import { LiveIamSessions } from './auth/iam-token/live-sessions.js';
import { createTokenVerifier } from './auth/iam-token/verify.js';
import type { GatehouseConfig } from './config/schema.js';
import { bootstrapAdminKey } from './control-plane/access-keys.js';
import type { ControlContext } from './control-plane/context.js';
import { createControlPlane } from './control-plane/index.js';
import { createLoginDirectory } from './control-plane/login-directory.js';
import type { Account } from './core/account.js';
import { type AuditSink, cappedAuditSink, combineAuditSinks, createLogAuditSink } from './core/audit.js';
import { type Clock, systemClock } from './core/clock.js';
import { DATA_DIR_FILES, writeGatewayInfo } from './core/data-dir.js';
import { createDetectors } from './core/detectors.js';
import { isGatehouseError } from './core/errors.js';
import { parseHostPort } from './core/host-port.js';
import { newAccountId } from './core/ids.js';
import { createLogger, type Logger, warnUnlessStoreOutage } from './core/logger.js';
import { loadMasterKey } from './core/master-key.js';
import { createGatewayMetrics, type ListenerState } from './core/metrics.js';
import { createRefusalLog } from './core/refusal-log.js';
import { createSecretBox, type SecretBox } from './core/secret-box.js';
import type { ControlPlane } from './core/types.js';
import { createAuthMethods } from './engines/common/auth-method.js';
import { createEngineRegistry, type EngineDefinition, type EngineDeps } from './engines/common/engine.js';
import { createEngine } from './engines/common/listener.js';
import { createIamTokenMethod } from './engines/common/methods/iam-token.js';
import { createScramMethod } from './engines/common/methods/scram.js';
import { createUnknownUserMethod } from './engines/common/methods/unknown-user.js';
import { BUILTIN_ENGINES } from './engines/registry.js';
import {
  createListenerSet,
  type InheritedSockets,
  type ListenerFailure,
  type ListenerSet,
} from './gateway-listeners.js';
import { ensureBootstrapAdmin } from './iam/bootstrap-admin.js';
import { createCredentialLookup } from './iam/credential-lookup.js';
import { listenForChanges, notifyChange } from './store/changes.js';
import { listInstances } from './store/instances-repo.js';
import { closeStoreDatabase, ensureMeta, getMeta, pingStore, verifyMasterKey } from './store/meta-repo.js';
import { migrate, schemaState } from './store/migrate.js';
import { openStore, type Store } from './store/pool.js';
import { ensureCertificates, loadTlsMaterial, type TlsMaterial } from './tls/ca.js';
import { certificateHashForChannelBinding } from './tls/channel-binding.js';
import { alertWebhookSink, createTrailDetectors, type NodeAudit, startNodeAudit } from './wiring/audit.js';
import { createIamWiring, type IamWiring } from './wiring/iam.js';
import { createRevocation } from './wiring/iam-revocation.js';

export interface GatewayOptions {
  readonly config: GatehouseConfig;
  /** Holds the master key file (unless configured), the local CA and gateway.json. */
  readonly dataDir: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Create the master key file if missing (`up`); `serve` does so only for a brand-new store. */
  readonly createMasterKey?: boolean;
  /** Flag named in a port-in-use error for an instance listener (`up` says --pg-port). */
  readonly listenerFlag?: (identifier: string) => string | undefined;
  /** Extra audit sink (tests record events); events always go to the log too. */
  readonly audit?: AuditSink;
  /** Write the durable audit trail (default true; false only to measure its cost). */
  readonly durableAudit?: boolean;
  /** Engines besides the built-in ones (src/engines/registry.ts), e.g. a test's own protocol. */
  readonly engines?: readonly EngineDefinition[];
  /** Listening sockets handed over by a predecessor process (rolling restart, src/wiring/handover.ts). */
  readonly inherited?: InheritedSockets;
}

/** How a gateway stops (docs/operations.md "Stopping and draining"). */
export interface StopOptions {
  /** How long sessions in a transaction or running a statement may go on before they are ended (default 0). */
  readonly drainMs?: number;
  /** Told one line per stage ("Stopping: no longer accepting connections", …), for the console. */
  readonly progress?: (line: string) => void;
}

export interface Gateway {
  readonly apiUrl: string;
  readonly account: Account;
  readonly controlPlane: ControlPlane;
  readonly store: Store;
  readonly box: SecretBox;
  readonly tls: TlsMaterial;
  readonly listeners: ListenerSet;
  readonly iam: IamWiring;
  /** Open IAM-authenticated sessions on this node. */
  readonly iamSessions: LiveIamSessions;
  /** The durable audit trail (null when durableAudit is false). */
  readonly audit: NodeAudit | null;
  /** The admin key created on this start (first start only); null otherwise. */
  readonly bootstrapKey: { accessKeyId: string; secretAccessKey: string } | null;
  reconcile(): Promise<ListenerFailure[]>;
  /** Every listening socket (instances and the API), to hand to a successor process (rolling restart). */
  listeningSockets(): Array<{ readonly host: string; readonly port: number; readonly server: Server }>;
  /**
   * Stop: no longer accept, end idle sessions at once and busy ones when idle or at the drain deadline (telling
   * each why), then flush the audit trail and close the store. A second call returns the first one's promise.
   */
  close(options?: StopOptions): Promise<void>;
}

async function loadKey(store: Store, options: GatewayOptions, logger: Logger): Promise<Buffer> {
  const keyFile = options.config.masterKeyFile ?? join(options.dataDir, DATA_DIR_FILES.masterKey);
  const fresh = (await getMeta(store.pool, 'master_key_check')) === null;
  // Never mint a key for a store that already holds secrets: that is the "wrong/missing key" case.
  return loadMasterKey({ keyFile, create: options.createMasterKey === true || fresh, logger });
}

/**
 * /readyz: the store answers (its own 5 s query deadline applies), holds every migration this node knows (a newer
 * schema, during a rolling upgrade, is fine), and every registered instance's listener is up.
 */
async function readiness(
  store: Store,
  listeners: ListenerSet,
): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const storeCheck = await pingStore(store.pool).then(
    () => 'ok',
    (e: unknown) => (isGatehouseError(e) ? e.message : 'unreachable'),
  );
  const schema = storeCheck === 'ok' ? await schemaState(store.pool).catch(() => null) : null;
  const migrationsCheck =
    schema === null
      ? 'unknown: the store did not answer'
      : schema.state === 'behind'
        ? `store schema ${schema.applied} is older than this node's ${schema.known}: restart the node to migrate`
        : 'ok';
  const failed = listeners.failures.map((f) => f.instance);
  const listenerCheck = failed.length === 0 ? 'ok' : `not listening: ${failed.join(', ')}`;
  return {
    ready: storeCheck === 'ok' && migrationsCheck === 'ok' && listenerCheck === 'ok',
    checks: { store: storeCheck, migrations: migrationsCheck, listeners: listenerCheck },
  };
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, dataDir } = options;
  const engineRegistry = createEngineRegistry([...BUILTIN_ENGINES, ...(options.engines ?? [])]);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const store = await openStore(config.store.url, { logger, clock });
  /** Run in reverse at close; `done` is the stage line said once the step has finished. */
  const cleanups: Array<{ run: () => Promise<void>; done?: string }> = [
    { run: () => store.close(), done: 'Store closed' },
  ];
  const closeAll = async (say: (line: string) => void = () => {}) => {
    for (const c of cleanups.reverse()) {
      const ok = await c.run().then(
        () => true,
        (e) => {
          logger.warn({ err: e }, 'shutdown step failed');
          return false;
        },
      );
      if (ok && c.done) say(c.done);
    }
  };
  try {
    await migrate(store);
    if ((await closeStoreDatabase(store.pool)) === 'unable') {
      logger.warn(
        'any role may connect to the store database (PUBLIC has CONNECT) and the store role cannot revoke it: database users on the same server could log in to it; run REVOKE CONNECT ON DATABASE <store> FROM PUBLIC as its owner',
      );
    }
    const box = createSecretBox(await loadKey(store, options, logger));
    await verifyMasterKey(store, box);
    const account = await ensureMeta<Account>(store.pool, 'account', {
      accountId: newAccountId(),
      region: config.region,
    });
    if (account.region !== config.region) {
      logger.warn(
        { stored: account.region, configured: config.region },
        'region is fixed at init; using the stored one',
      );
    }
    const mock = await ensureMeta<{ sealed: string }>(store.pool, 'scram_mock_key', {
      sealed: box.seal(randomBytes(32), 'scram-mock-key').toString('base64'),
    });
    const scramMockKey = box.open(Buffer.from(mock.sealed, 'base64'), 'scram-mock-key');
    const bootstrapKey = await bootstrapAdminKey(store, box, account);
    const adminUpgraded = await ensureBootstrapAdmin(store, box, account);

    const tls = config.tls
      ? await loadTlsMaterial(config.tls.certFile, config.tls.keyFile, config.tls.caFile)
      : await ensureCertificates(dataDir);
    const certificateHash = certificateHashForChannelBinding(new X509Certificate(tls.certPem).raw);
    const secureContext = createSecureContext({ cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.2' });

    const keys = createCredentialLookup(store, box, clock, (e) =>
      warnUnlessStoreOutage(logger, e, 'could not record access key use'),
    );
    const iam = createIamWiring({ store, box, clock, account, notify: () => notifyChange(store, 'iam') });
    // The listeners are created below; the gauges read them at scrape time.
    let listenerStates: () => readonly ListenerState[] = () => [];
    let nodeAudit: NodeAudit | null = null;
    const metrics = createGatewayMetrics({
      listeners: () => listenerStates(),
      audit: () => ({ backlog: nodeAudit?.trail.backlog() ?? 0, dropped: nodeAudit?.trail.dropped() ?? 0 }),
      iamCache: () => iam.cacheStats(),
    });
    // The durable trail: closed after the listeners and the API (cleanups run in reverse), so their last events
    // (sessions ended by the shutdown) are written.
    if (options.durableAudit !== false) {
      const started = startNodeAudit({
        store,
        clock,
        logger,
        config: config.audit,
        dataDir,
        onBatch: (n, ms) => metrics.auditBatch(n, ms),
      });
      nodeAudit = started;
      cleanups.push({ run: () => started.close(), done: 'Audit trail flushed' });
    }
    // Capped before the fan-out, so every sink records the same (bounded) event.
    // Detectors read the same events and raise their alerts into the same trail (they ignore alerts).
    const detectors = createDetectors({ clock, raise: (alert) => audit.emit(alert) });
    // The ones that read history need the trail: without it (durableAudit false) they are off.
    const trailDetectors = nodeAudit
      ? [
          createTrailDetectors({
            store,
            clock,
            logger,
            config: config.alerts,
            raise: (alert) => audit.emit(alert),
          }),
        ]
      : [];
    const alertWebhook = config.alerts.webhook ? [alertWebhookSink(config.alerts.webhook, logger)] : [];
    const audit: AuditSink = cappedAuditSink(
      combineAuditSinks(
        ...(nodeAudit ? [nodeAudit.trail] : []),
        createLogAuditSink(logger),
        metrics.sink,
        detectors,
        ...trailDetectors,
        ...alertWebhook,
        ...(options.audit ? [options.audit] : []),
      ),
    );
    // Refusal lines are rate-limited per source and code; summaries of ended windows are written every 10 s,
    // the rest at shutdown (after the listeners, which are closed first).
    const refusalLog = createRefusalLog({
      logger,
      clock,
      burst: config.log.refusalBurst,
      windowMs: config.log.refusalWindowSeconds * 1000,
    });
    const refusalSweep = setInterval(() => refusalLog.flush(), 10_000).unref();
    cleanups.push({
      run: async () => {
        clearInterval(refusalSweep);
        refusalLog.close();
      },
    });
    const iamSessions = new LiveIamSessions();
    let listeners: ListenerSet | null = null;
    const ctx: ControlContext = {
      store,
      box,
      clock,
      logger,
      account,
      scramIterations: config.scram.iterations,
      provisioners: new Map([...engineRegistry].map(([name, d]) => [name, d.provisioner])),
      instanceDefaults: {
        listenHost: config.rds.defaultListenHost,
        backendUrl: config.rds.defaultBackendUrl,
      },
      notifyChange: async (topic) => {
        await notifyChange(store, topic);
        if (topic === 'instances') await listeners?.reconcile(); // this node at once; others via NOTIFY
      },
    };

    const engineDeps: EngineDeps = {
      logins: createLoginDirectory(ctx),
      // One plug-in per login kind; engines translate each one's exchange into their own messages.
      methods: createAuthMethods(
        [
          createScramMethod({ mockKey: scramMockKey }),
          createIamTokenMethod({
            verifier: createTokenVerifier({
              keys,
              authorizeConnect: (r) => iam.authorizeConnect(r),
              clock,
              region: account.region,
              accountId: account.accountId,
            }),
          }),
        ],
        createUnknownUserMethod(),
      ),
      tls: { secureContext, certificateHash },
      limits: {
        authTimeoutMs: config.listener.authTimeoutSeconds * 1000,
        maxStartupPacketBytes: config.listener.maxStartupPacketBytes,
        maxAuthMessageBytes: config.listener.maxAuthMessageBytes,
        maxPendingConnections: config.listener.maxPendingConnections,
        maxPendingPerSource: config.listener.maxPendingPerSource,
        maxTlsRefusals: config.listener.maxTlsRefusals,
        maxSessionsPerInstance: config.listener.maxSessionsPerInstance,
        backendConnectTimeoutMs: config.backend.connectTimeoutSeconds * 1000,
        maxIamTokenBytes: config.listener.maxIamTokenBytes,
      },
      clock,
      logger,
      liveSessions: iamSessions,
      audit,
      refusalLog,
    };
    const engines = new Map([...engineRegistry].map(([name, d]) => [name, createEngine(d, engineDeps)]));
    const listenerSet = createListenerSet(store, box, engines, logger, {
      flagFor: options.listenerFlag ?? (() => undefined),
      ...(options.inherited ? { inherited: options.inherited } : {}),
    });
    listeners = listenerSet;
    listenerStates = () => listenerSet.states();
    cleanups.push({ run: () => listenerSet.close() });

    const controlPlane = createControlPlane(ctx);
    const revocation = createRevocation({
      sessions: iamSessions,
      keys,
      authorizeConnect: (r) => iam.authorizeConnect(r),
      terminationSettings: async () =>
        new Map((await listInstances(store.pool)).map((r) => [r.identifier, r.iamTerminateSessions])),
      clock,
      region: account.region,
      accountId: account.accountId,
      audit,
      logger,
    });
    const feed = await listenForChanges(config.store.url, logger, (topic) => {
      if (topic === 'instances' || topic === 'resync') void listenerSet.reconcile();
      if (topic === 'iam' || topic === 'resync') {
        iam.invalidate();
        void revocation.recheck();
      }
    });
    cleanups.push({ run: () => feed.close() });
    if (adminUpgraded) await notifyChange(store, 'iam');

    const apiAddress = parseHostPort(config.api.listen);
    const apiHanded = options.inherited?.take(apiAddress.host, apiAddress.port);
    const api = await startApiServer({
      ...(apiHanded ? { handle: apiHanded.handle } : {}),
      host: apiAddress.host,
      port: apiAddress.port,
      tls: { certPem: tls.certPem, keyPem: tls.keyPem },
      controlPlane,
      keys,
      region: account.region,
      clock,
      logger,
      authorize: iam.authorizeJson,
      query: { iam: iam.iam, sts: iam.sts, simulate: iam.simulate, authorize: iam.authorizeQuery },
      audit,
      health: {
        metrics: () => metrics.render(),
        ready: () => readiness(store, listenerSet),
      },
    });
    apiHanded?.adopt(api.server);
    let apiClosing: Promise<void> | null = null;
    const closeApi = () => {
      apiClosing ??= api.close();
      return apiClosing;
    };
    cleanups.push({ run: closeApi });
    writeGatewayInfo(dataDir, {
      apiUrl: api.url,
      caFile: tls.caFile || undefined,
      pid: process.pid,
      region: account.region,
    });

    /** Stages 1-2 of a stop (docs/operations.md "Stopping and draining"); closeAll does the rest. */
    const stop = async (o: StopOptions) => {
      const say = o.progress ?? (() => {});
      const drainMs = o.drainMs ?? 0;
      await listenerSet.stopAccepting();
      await closeApi();
      say('Stopping: no longer accepting connections');
      const open = listenerSet.connections;
      if (open > 0) {
        const seconds = Math.round(drainMs / 100) / 10;
        say(`Draining ${open} session${open === 1 ? '' : 's'} (up to ${seconds} s)…`);
        await listenerSet.drain(drainMs);
      }
      await listenerSet.close();
      if (open > 0) say(`Closed ${open} session${open === 1 ? '' : 's'}`);
      await closeAll(say);
    };
    let closing: Promise<void> | null = null;
    return {
      apiUrl: api.url,
      account,
      controlPlane,
      store,
      box,
      tls,
      listeners: listenerSet,
      iam,
      iamSessions,
      audit: nodeAudit,
      bootstrapKey,
      reconcile: () => listenerSet.reconcile(),
      listeningSockets: () => [
        ...listenerSet.listeningSockets(),
        { host: apiAddress.host, port: apiAddress.port, server: api.server },
      ],
      close: (o = {}) => {
        closing ??= stop(o);
        return closing;
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
