// A TCP listener for one instance: accepts clients, caps pending handshakes and sessions, closes everything on shutdown.
import { createServer, type Server, type Socket } from 'node:net';
import { GatehouseError } from '../../core/errors.js';
import { once, PreAuthAdmission, sourceKey } from './admission.js';
import type { CancelRegistry } from './cancel.js';
import { refuseAtAccept } from './refuse.js';
import type { Relay } from './relay.js';
import { runSession, type SessionSlots } from './session.js';
import type { PgEngineDeps, PgInstance } from './types.js';

export interface PgListener {
  readonly host: string;
  readonly port: number;
  update(instance: PgInstance): void;
  close(): Promise<void>;
  readonly activeSessions: number;
  /** Connections before authentication, and refused ones still negotiating TLS to read why. */
  readonly admission: { readonly pending: number; readonly refusing: number };
}

export async function startPgListener(
  instance: PgInstance,
  address: { host: string; port: number; flag?: string },
  deps: PgEngineDeps,
  cancels: CancelRegistry,
): Promise<PgListener> {
  let current = instance;
  const admission = new PreAuthAdmission(deps.limits);
  const relays = new Set<Relay>();
  const sockets = new Set<Socket>();
  let sessions = 0; // from the backend login to the end of the relay
  const slots: SessionSlots = {
    limit: deps.limits.maxSessionsPerInstance,
    full: () => sessions >= deps.limits.maxSessionsPerInstance,
    reserve: () => {
      if (sessions >= deps.limits.maxSessionsPerInstance) return null;
      sessions++;
      return once(() => {
        sessions--;
      });
    },
  };

  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const admitted = admission.admit(socket.remoteAddress);
    if (admitted.kind === 'refuse' && !admitted.negotiate) {
      admitted.release();
      // One line per source and code in a window (a flood from one address must not flood the log).
      const log = deps.refusalLog.gate(deps.logger, sourceKey(socket.remoteAddress), admitted.error.code);
      refuseAtAccept(socket, admitted.error, log, {
        instance: current.identifier,
        ...admission.counts,
      });
      return;
    }
    runSession(socket, current, deps, cancels, {
      refusal: admitted.kind === 'refuse' ? admitted.error : null,
      sessions: slots,
      onRelay: (r) => {
        admitted.release();
        relays.add(r);
        return () => relays.delete(r);
      },
    })
      .catch((e) => deps.logger.error({ err: e }, 'session crashed'))
      .finally(admitted.release);
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
    get admission() {
      const { pending, refusing } = admission.counts;
      return { pending, refusing };
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const r of relays) r.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
