// One client connection, narrated: negotiate -> authenticate -> connect upstream -> welcome -> relay.
import type { Socket } from 'node:net';
import { GatehouseError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import {
  createAuthenticationOk,
  createAuthenticationSASLFinal,
  createBackendKeyData,
  createReadyForQuery,
} from '../../protocol/postgres/index.js';
import { authenticate } from './authenticate.js';
import { type CancelRegistry, forwardCancel } from './cancel.js';
import { FrontendConnection } from './frontend-connection.js';
import { negotiate } from './negotiate.js';
import { refuse } from './refuse.js';
import { type Relay, relay } from './relay.js';
import type { PgEngineDeps, PgInstance } from './types.js';
import { connectUpstream } from './upstream.js';

export interface SessionHooks {
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
  const log = deps.logger.child({
    requestId,
    instance: instance.identifier,
    remote: `${socket.remoteAddress}:${socket.remotePort}`,
  });
  socket.setNoDelay(true);
  const conn = new FrontendConnection(socket);
  let authenticated = false;
  // One deadline for everything before relaying (slow-drip clients, stalled TLS handshakes).
  const deadline = setTimeout(() => {
    conn.abort(new GatehouseError('GH_STARTUP_TIMEOUT', { seconds: deps.limits.authTimeoutMs / 1000 }));
    setTimeout(() => {
      if (!authenticated) {
        socket.destroy();
        conn.socket.destroy();
      }
    }, 2000).unref();
  }, deps.limits.authTimeoutMs);

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
    const userLog = log.child({ user: startup.user, database: startup.database });

    // 2. Authenticate the client (SCRAM-SHA-256, -PLUS over TLS when possible).
    const auth = await authenticate(conn, instance, startup, deps);

    // 3. Log in to the backend as the mapped user with the Gatehouse-held secret.
    const upstream = await connectUpstream({
      instance: instance.identifier,
      backend: instance.backend,
      user: startup.user,
      password: auth.login.backendSecret,
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
      { method: auth.method, tls: conn.encrypted, backendPid: upstream.backendKey.processId },
      'session started',
    );

    // 5. Relay until either side closes.
    let release = () => {};
    const session = relay(clientSocket, upstream.socket, (stats) => {
      live = false;
      cancels.unregister(key.processId);
      release();
      userLog.info(stats, 'session ended');
    });
    release = hooks.onRelay(session);
  } catch (error) {
    clearTimeout(deadline);
    refuse(conn, error, requestId, log);
  }
}
