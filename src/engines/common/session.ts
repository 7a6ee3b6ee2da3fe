// One client connection, narrated, for every engine: open (negotiate, start-up) -> authenticate (the login's
// auth method, over the engine's wire) -> take a session slot -> log in to the backend -> welcome -> relay.
// The engine supplies the wire (WireSession); the deadline, admission, audit events, revocation and the
// relay are the core's.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ConnectAttemptEvent, DisconnectReason } from '../../core/audit.js';
import { type ErrorCode, GatehouseError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import { sourceKey } from './admission.js';
import type { AttemptFacts } from './auth-method.js';
import type { EngineDeps } from './engine.js';
import type { InstanceSettings } from './instance.js';
import { relay } from './relay.js';
import type { BackendLogin, ClientHello, RelayEnds, WireSession } from './wire.js';

/** How long a connection that was sent its deadline error may take to leave before it is destroyed. */
const DEADLINE_LINGER_MS = 2000;

/** The instance's session slots on this node (listener.maxSessionsPerInstance). */
export interface SessionSlots {
  readonly limit: number;
  /** Whether every slot is taken now: checked before authentication, so nobody authenticates in vain. */
  full(): boolean;
  /** Take a slot until the returned function is called; null when every slot is taken. */
  reserve(): (() => void) | null;
}

export interface SessionHooks {
  /**
   * Set when the listener refuses this connection (pre-authentication caps): the session negotiates (TLS)
   * and reads the start-up only so that the client can read this error, which it then gets.
   */
  readonly refusal: GatehouseError | null;
  readonly sessions: SessionSlots;
  /** Called once the session is relaying; the returned function forgets it (the listener ends it on shutdown). */
  onRelay(session: RelayingSession): () => void;
}

/** A relaying session as its listener sees it at shutdown: ended with this engine's own last message. */
export interface RelayingSession {
  /** Tear it down at once, without a word. */
  close(): void;
  /** End it now with `error` as its last message, at a message boundary of the backend's stream. */
  terminate(error: GatehouseError): void;
  /** End it with `error` as soon as it is idle (Relay.endWhenIdle). */
  endWhenIdle(error: GatehouseError, afterRequest: boolean): void;
}

export async function runSession<B extends BackendLogin>(
  socket: Socket,
  wire: WireSession<B>,
  instance: InstanceSettings,
  deps: EngineDeps,
  hooks: SessionHooks,
): Promise<void> {
  const accepted = performance.now();
  const requestId = newRequestId();
  const source = `${socket.remoteAddress}:${socket.remotePort}`;
  const sourceIp = socket.remoteAddress ?? '';
  const log = deps.logger.child({ requestId, instance: instance.identifier, remote: source });
  const facts: AttemptFacts = { method: 'none' };
  let hello: ClientHello | null = null;
  /** What the attempt's db.connect and the session's db.disconnect events both say: when, who, where from. */
  const who = (client: ClientHello) => ({
    at: deps.clock.now().toISOString(),
    requestId,
    instance: instance.identifier,
    dbUser: client.user,
    database: client.database,
    method: facts.method,
    ...(facts.principalArn !== undefined ? { principalArn: facts.principalArn } : {}),
    source,
  });
  const connectEvent = (
    client: ClientHello,
    outcome: 'success' | 'failure' | 'abandoned',
    code?: ErrorCode,
    reason?: string,
  ): ConnectAttemptEvent => ({
    type: 'db.connect',
    ...who(client),
    engine: instance.engine,
    ...(facts.accessKeyId !== undefined ? { accessKeyId: facts.accessKeyId } : {}),
    tls: wire.encrypted,
    ...tlsFacts(wire.tlsSocket),
    ...(client.application !== undefined ? { application: client.application } : {}),
    outcome,
    ...(code !== undefined ? { code } : {}),
    ...(reason !== undefined ? { reason } : {}),
    elapsedMs: Math.round((performance.now() - accepted) * 1000) / 1000,
  });
  const audit = (outcome: 'failure' | 'abandoned', code?: ErrorCode, reason?: string) => {
    if (!hello) return; // nothing to attribute: no start-up was read
    deps.audit.emit(connectEvent(hello, outcome, code, reason));
  };
  socket.setNoDelay(true);
  let connected = false; // logged in to the backend: past the deadline's reach
  let relaying = false; // the relay owns the session slot from here
  // One deadline for everything before relaying (slow-drip clients, stalled TLS handshakes). A connection
  // refused at accept that never gets as far as reading its refusal is still told that reason.
  const deadline = setTimeout(() => {
    wire.abort(
      hooks.refusal ??
        new GatehouseError('GH_STARTUP_TIMEOUT', { seconds: deps.limits.authTimeoutMs / 1000 }),
    );
    setTimeout(() => {
      if (!connected) wire.destroy();
    }, DEADLINE_LINGER_MS).unref();
  }, deps.limits.authTimeoutMs);

  let releaseSlot = () => {};
  try {
    // 1. Open: negotiate TLS, read the start-up (or greet first, for a server-first protocol).
    const opened = await wire.open();
    if (opened.kind === 'other') {
      clearTimeout(deadline);
      await opened.serve(log);
      return;
    }
    const client = opened.hello;
    hello = client;
    const { user, database } = client;
    const userLog = log.child({ user, database });
    if (hooks.refusal) throw hooks.refusal; // refused at accept; the client can read it now (inside TLS)
    const sessionLimit = () =>
      new GatehouseError('GH_INSTANCE_SESSION_LIMIT', {
        instance: instance.identifier,
        limit: hooks.sessions.limit,
      });
    if (hooks.sessions.full()) throw sessionLimit();

    // 2. Authenticate with the method the user's login calls for, over this engine's wire.
    const login = await deps.logins.findLogin(instance, user, deps.clock.now());
    const method = deps.methods.forLogin(login, instance.engine);
    facts.method = method.name;
    const exchange = method.begin(
      {
        instance,
        user,
        encrypted: wire.encrypted,
        sourceIp,
        certificateHash: wire.encrypted && deps.tls ? deps.tls.certificateHash : null,
        limits: deps.limits,
        logins: deps.logins,
      },
      login,
      facts,
    );
    // Whatever the method: a secret sent in cleartext is never asked for outside TLS.
    if (exchange.shape === 'cleartext' && !wire.encrypted) {
      throw new GatehouseError('GH_CLEARTEXT_REQUIRES_TLS', { user });
    }
    const authenticated = await wire.authenticate(exchange);

    // 3. Take one of the instance's session slots (before the backend is contacted, so the gateway's limit
    //    answers before the backend's own max_connections), then log in to the backend as the mapped user.
    const slot = hooks.sessions.reserve();
    if (slot === null) throw sessionLimit();
    releaseSlot = slot;
    const backend = await wire.connect(user, authenticated.backendSecret, {
      requestId,
      method: authenticated.method,
      ...(facts.principalArn !== undefined ? { principal: facts.principalArn } : {}),
    });
    if (wire.gone) {
      backend.close();
      return;
    }
    connected = true;
    clearTimeout(deadline);

    // 4. The "allowed" event is committed before the client is let in: a login the trail cannot record is
    //    refused (fail closed), unless the instance chose to admit it anyway (the write is then retried).
    const allowed: ConnectAttemptEvent = {
      ...connectEvent(client, 'success'),
      ...(backend.backendPid !== undefined ? { backendPid: backend.backendPid } : {}),
    };
    if (instance.auditFailOpen || !deps.audit.commit) {
      deps.audit.emit(allowed);
    } else {
      try {
        await deps.audit.commit(allowed);
      } catch (cause) {
        backend.close();
        const detail = cause instanceof Error ? cause.message : String(cause);
        throw new GatehouseError('GH_AUDIT_UNAVAILABLE', {}, { detail, cause });
      }
    }
    if (wire.gone) {
      // Admitted and recorded, but the client left while the event was written: the session ended at once.
      backend.close();
      deps.audit.emit({
        type: 'db.disconnect',
        ...who(client),
        reason: 'client-quit',
        durationMs: 0,
        bytesFromClient: 0,
        bytesToClient: 0,
      });
      return;
    }

    // 5. Welcome, then relay until either side closes.
    let ends: RelayEnds;
    try {
      ends = wire.welcome(backend, authenticated);
    } catch (e) {
      backend.close();
      throw e;
    }
    userLog.info(
      { method: authenticated.method, tls: wire.encrypted, ...backend.logFields, ...authenticated.logFields },
      'session started',
    );
    let forgetRelay = () => {};
    let forgetLive = () => {};
    let revoked = false;
    const session = relay(
      ends.client,
      ends.backend,
      (stats) => {
        ends.ended();
        forgetRelay();
        forgetLive();
        releaseSlot();
        userLog.info(stats, 'session ended');
        const reason: DisconnectReason =
          stats.closedBy === 'client'
            ? 'client-quit'
            : stats.closedBy === 'backend'
              ? 'backend-gone'
              : revoked
                ? 'revoked'
                : 'shutdown';
        deps.audit.emit({
          type: 'db.disconnect',
          ...who(client),
          reason,
          durationMs: stats.durationMs,
          bytesFromClient: stats.bytesFromClient,
          bytesToClient: stats.bytesToClient,
        });
      },
      ends.boundaries,
    );
    ends.started?.();
    relaying = true;
    const lastMessage = (error: GatehouseError) => wire.terminateMessage(error.withRequestId(requestId));
    forgetRelay = hooks.onRelay({
      close: () => session.close(),
      terminate: (error) => session.terminate(lastMessage(error)),
      endWhenIdle: (error, afterRequest) => session.endWhenIdle(lastMessage(error), afterRequest),
    });

    // 6. A revocable session is registered, so a revocation on any node can re-check and end it.
    const revocable = authenticated.revocable;
    if (revocable) {
      forgetLive = deps.liveSessions.add({
        requestId,
        instance: instance.identifier,
        dbUser: user,
        dbiResourceId: instance.dbiResourceId,
        principalArn: revocable.principalArn,
        accessKeyId: revocable.accessKeyId,
        sourceIp,
        source,
        secureTransport: wire.encrypted,
        terminate(error) {
          revoked = true;
          const stamped = error.withRequestId(requestId);
          userLog.warn({ code: stamped.code, detail: stamped.detail }, stamped.message);
          session.terminate(wire.terminateMessage(stamped));
        },
      });
    }
  } catch (error) {
    clearTimeout(deadline);
    const code = wire.refusalCode(error);
    // The refusal line is rate-limited per source address and code; the audit event below is always written.
    wire.refuse(error, requestId, deps.refusalLog.gate(log, sourceKey(socket.remoteAddress), code));
    audit(code === null ? 'abandoned' : 'failure', code ?? undefined, reasonOf(error));
  } finally {
    if (!relaying) releaseSlot();
  }
}

/** TLS protocol and cipher of the client side, for the connect event. */
function tlsFacts(socket: TLSSocket | null): { tlsVersion?: string; tlsCipher?: string } {
  if (!socket) return {};
  const version = socket.getProtocol();
  const cipher = socket.getCipher()?.standardName;
  return { ...(version ? { tlsVersion: version } : {}), ...(cipher ? { tlsCipher: cipher } : {}) };
}

/** The operator-side reason of a refusal (the error's detail, else its message); never the client's secret. */
function reasonOf(error: unknown): string | undefined {
  if (error instanceof GatehouseError) return error.detail ?? error.message;
  return error instanceof Error ? error.message : undefined;
}
