// A TCP listener for one instance: accepts clients, caps pending handshakes, closes everything on shutdown.
import { createServer, type Server, type Socket } from 'node:net';
import { GatehouseError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import { createErrorResponse } from '../../protocol/postgres/index.js';
import type { CancelRegistry } from './cancel.js';
import type { Relay } from './relay.js';
import { runSession } from './session.js';
import type { PgEngineDeps, PgInstance } from './types.js';

export interface PgListener {
  readonly host: string;
  readonly port: number;
  update(instance: PgInstance): void;
  close(): Promise<void>;
  readonly activeSessions: number;
}

export async function startPgListener(
  instance: PgInstance,
  address: { host: string; port: number; flag?: string },
  deps: PgEngineDeps,
  cancels: CancelRegistry,
): Promise<PgListener> {
  let current = instance;
  let pending = 0;
  const relays = new Set<Relay>();
  const sockets = new Set<Socket>();

  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (pending >= deps.limits.maxPendingConnections) {
      const e = new GatehouseError('GH_TOO_MANY_CONNECTIONS');
      e.requestId = newRequestId();
      deps.logger.warn(
        {
          requestId: e.requestId,
          instance: current.identifier,
          remote: socket.remoteAddress,
          code: e.code,
          pending,
        },
        e.message,
      );
      socket.end(
        createErrorResponse({ severity: 'FATAL', code: e.spec.sqlstate, message: e.clientMessage() }),
      );
      return;
    }
    pending++;
    let counted = true;
    const settle = () => {
      if (counted) pending--;
      counted = false;
    };
    runSession(socket, current, deps, cancels, {
      onRelay: (r) => {
        settle();
        relays.add(r);
        return () => relays.delete(r);
      },
    })
      .catch((e) => deps.logger.error({ err: e }, 'session crashed'))
      .finally(settle);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
        reject(
          new GatehouseError('GH_PORT_IN_USE', {
            host: address.host,
            port: address.port,
            flag:
              address.flag ?? `modify-db-instance --db-instance-identifier ${instance.identifier} --listen`,
          }),
        );
      } else reject(e);
    });
    server.listen(address.port, address.host, () => resolve());
  });
  server.on('error', (e) => deps.logger.error({ err: e, instance: current.identifier }, 'listener error'));
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : address.port;

  return {
    host: address.host,
    port,
    update: (next) => {
      current = next;
    },
    get activeSessions() {
      return relays.size;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const r of relays) r.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
