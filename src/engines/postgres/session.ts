// One client connection, narrated: negotiate -> authenticate -> connect upstream -> welcome -> relay.
import type { Socket } from 'node:net';
import { GatehouseError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import {
  createAuthenticationOk,
  createAuthenticationSASLFinal,
  createBackendKeyData,
  createErrorResponse,
  createReadyForQuery,
} from '../../protocol/postgres/index.js';
import { sourceKey } from './admission.js';
import { type AttemptFacts, authenticate } from './authenticate.js';
import { type CancelRegistry, forwardCancel } from './cancel.js';
import { FrontendConnection } from './frontend-connection.js';
import { negotiate } from './negotiate.js';
import { refusalCode, refuse } from './refuse.js';
import { type Relay, relay } from './relay.js';
import type { PgEngineDeps, PgInstance } from './types.js';
import { connectUpstream } from './upstream.js';

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
   * and reads the startup packet only so that the client can read this error, which it then gets.
   */
  readonly refusal: GatehouseError | null;
  readonly sessions: SessionSlots;
  /** Called once the session is relaying; the returned relay lets the listener close it on shutdown. */
  onRelay(relay: Relay): () => void;
}

export async function runSession(
  socket: Socket,
  instance: PgInstance,
  deps: PgEngineDeps,
  cancels: CancelRegistry,
  hooks: SessionHooks,
): Promise<void> {
  const requestId = newRequestId();
  const source = `${socket.remoteAddress}:${socket.remotePort}`;
  const log = deps.logger.child({ requestId, instance: instance.identifier, remote: source });
  const facts: AttemptFacts = { method: 'none' };
  let startupUser: { user: string; database: string } | null = null;
  const audit = (outcome: 'success' | 'failure' | 'abandoned', code?: GatehouseError['code']) => {
    if (!startupUser) return; // nothing to attribute: no start-up message was read
    deps.audit.emit({
      type: 'db.connect',
      at: deps.clock.now().toISOString(),
      requestId,
      instance: instance.identifier,
      dbUser: startupUser.user,
      database: startupUser.database,
      method: facts.method,
      ...(facts.principalArn !== undefined ? { principalArn: facts.principalArn } : {}),
      ...(facts.accessKeyId !== undefined ? { accessKeyId: facts.accessKeyId } : {}),
      source,
      tls: conn.encrypted,
      outcome,
      ...(code !== undefined ? { code } : {}),
    });
  };
  socket.setNoDelay(true);
  const conn = new FrontendConnection(socket);
  let authenticated = false;
  // One deadline for everything before relaying (slow-drip clients, stalled TLS handshakes).
  // A connection refused at accept that never gets as far as reading its refusal is still told that reason.
  const deadline = setTimeout(() => {
    conn.abort(
      hooks.refusal ??
        new GatehouseError('GH_STARTUP_TIMEOUT', { seconds: deps.limits.authTimeoutMs / 1000 }),
    );
    setTimeout(() => {
      if (!authenticated) {
        socket.destroy();
        conn.socket.destroy();
      }
    }, 2000).unref();
  }, deps.limits.authTimeoutMs);

  let releaseSlot = () => {};
  let relaying = false;
  try {
    // 1. Negotiate: TLS, GSSENC refusal, cancel, protocol version.
    const negotiated = await negotiate(conn, instance, deps);
    if (negotiated.kind === 'cancel') {
      clearTimeout(deadline);
      conn.close(); // never reply to a CancelRequest
      const target = cancels.find(negotiated.processId, negotiated.secretKey);
      log.info({ forwarded: target !== null }, 'cancel request');
      if (target) await forwardCancel(target, deps.limits.backendConnectTimeoutMs);
      return;
    }
    const { startup } = negotiated;
    startupUser = { user: startup.user, database: startup.database };
    const userLog = log.child({ user: startup.user, database: startup.database });
    if (hooks.refusal) throw hooks.refusal; // refused at accept; the client can read it now (inside TLS)
    const sessionLimit = () =>
      new GatehouseError('GH_INSTANCE_SESSION_LIMIT', {
        instance: instance.identifier,
        limit: hooks.sessions.limit,
      });
    if (hooks.sessions.full()) throw sessionLimit();

    // 2. Authenticate the client (SCRAM-SHA-256, -PLUS over TLS when possible; IAM token over TLS).
    const auth = await authenticate(conn, instance, startup, deps, facts);

    // 3. Take one of the instance's session slots (before the backend is contacted, so the gateway's limit
    //    answers before the backend's own max_connections), then log in to the backend as the mapped user.
    const slot = hooks.sessions.reserve();
    if (slot === null) throw sessionLimit();
    releaseSlot = slot;
    const upstream = await connectUpstream({
      instance: instance.identifier,
      backend: instance.backend,
      user: startup.user,
      password: auth.backendSecret,
      database: startup.database,
      parameters: startup.parameters,
      timeoutMs: deps.limits.backendConnectTimeoutMs,
    });
    if (conn.socket.destroyed) {
      upstream.socket.destroy();
      return;
    }
    authenticated = true;
    clearTimeout(deadline);

    // 4. Welcome: AuthenticationOk, the backend's ParameterStatus verbatim, our own BackendKeyData.
    let live = true;
    const key = cancels.register(
      { backend: instance.backend, backendKey: upstream.backendKey, live: () => live },
      startup.protocolMinor,
    );
    const welcome = [
      ...(auth.saslFinal ? [createAuthenticationSASLFinal(auth.saslFinal)] : []),
      createAuthenticationOk(),
      ...upstream.startupFrames,
      createBackendKeyData(key.processId, key.secretKey),
      createReadyForQuery('I'),
      upstream.leftover,
    ];
    const pipelined = conn.buffer.takeRemaining();
    const clientSocket = conn.detach();
    clientSocket.write(Buffer.concat(welcome));
    if (pipelined.length > 0) upstream.socket.write(pipelined);
    userLog.info(
      {
        method: auth.method,
        tls: conn.encrypted,
        backendPid: upstream.backendKey.processId,
        ...(auth.iam
          ? {
              principal: auth.iam.principalArn,
              accessKeyId: auth.iam.accessKeyId,
              signature: `${auth.iam.signaturePrefix}…`,
            }
          : {}),
      },
      'session started',
    );
    audit('success');

    // 5. Relay until either side closes.
    let release = () => {};
    let forget = () => {};
    const session = relay(
      clientSocket,
      upstream.socket,
      (stats) => {
        live = false;
        cancels.unregister(key.processId);
        release();
        forget();
        releaseSlot();
        userLog.info(stats, 'session ended');
      },
      { trackBackendFrames: auth.iam !== null },
    );
    relaying = true;
    release = hooks.onRelay(session);
    if (auth.iam) {
      const iam = auth.iam;
      forget = deps.iamSessions.add({
        requestId,
        instance: instance.identifier,
        dbUser: startup.user,
        dbiResourceId: instance.dbiResourceId,
        principalArn: iam.principalArn,
        accessKeyId: iam.accessKeyId,
        sourceIp: socket.remoteAddress ?? '',
        source,
        secureTransport: true,
        terminate(error) {
          error.requestId = requestId;
          userLog.warn({ code: error.code, detail: error.detail }, error.message);
          session.terminate(
            createErrorResponse({
              severity: 'FATAL',
              code: error.spec.sqlstate,
              message: error.clientMessage(),
            }),
          );
        },
      });
    }
  } catch (error) {
    clearTimeout(deadline);
    const code = refusalCode(error);
    // The refusal line is rate-limited per source address and code; the audit event below is always written.
    refuse(conn, error, requestId, deps.refusalLog.gate(log, sourceKey(socket.remoteAddress), code));
    audit(code === null ? 'abandoned' : 'failure', code ?? undefined);
  } finally {
    if (!relaying) releaseSlot();
  }
}
