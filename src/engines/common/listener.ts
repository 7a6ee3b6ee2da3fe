// A TCP listener for one instance, for any engine: accepts clients, caps pending handshakes and sessions,
// runs each connection through the generic session pipeline with the engine's wire, closes all on shutdown.
import { createServer, type Server, type Socket } from 'node:net';
import { GatehouseError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import { once, PreAuthAdmission, sourceKey } from './admission.js';
import type {
  Engine,
  EngineDefinition,
  EngineDeps,
  EngineListener,
  ListenAddress,
  WireProtocol,
} from './engine.js';
import type { InstanceSettings } from './instance.js';
import { type RelayingSession, runSession, type SessionSlots } from './session.js';

/** An engine from its definition: its wire protocol on the generic listener and session pipeline. */
export function createEngine(definition: EngineDefinition, deps: EngineDeps): Engine {
  const protocol = definition.createProtocol(deps);
  return {
    name: definition.name,
    provisioner: definition.provisioner,
    listen: (instance, address) => startListener(instance, address, deps, protocol),
  };
}

export async function startListener(
  instance: InstanceSettings,
  address: ListenAddress,
  deps: EngineDeps,
  protocol: WireProtocol,
): Promise<EngineListener> {
  let current = instance;
  const admission = new PreAuthAdmission(deps.limits);
  const relays = new Set<RelayingSession>();
  const sockets = new Set<Socket>();
  /** Set at shutdown: how a session that starts relaying from now on is ended (idle after a request, or now). */
  let ending: { error: GatehouseError; now: boolean } | null = null;
  /** Waiting for every connection to be gone; checked whenever one closes. */
  const goneWaiters = new Set<() => void>();
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
    socket.on('close', () => {
      sockets.delete(socket);
      for (const check of goneWaiters) check();
    });
    socket.on('error', () => {});
    const admitted = admission.admit(socket.remoteAddress);
    if (admitted.kind === 'refuse' && !admitted.negotiate) {
      admitted.release();
      // One line per source and code in a window (a flood from one address must not flood the log).
      const log = deps.refusalLog.gate(deps.logger, sourceKey(socket.remoteAddress), admitted.error.code);
      const error = admitted.error.withRequestId(newRequestId());
      log.warn(
        {
          requestId: error.requestId,
          remote: socket.remoteAddress,
          code: error.code,
          instance: current.identifier,
          ...admission.counts,
        },
        error.message,
      );
      protocol.refuseAtAccept(socket, error);
      return;
    }
    let wire: ReturnType<WireProtocol['accept']>;
    try {
      wire = protocol.accept(socket, current);
    } catch (e) {
      admitted.release();
      socket.destroy();
      deps.logger.error({ err: e, instance: current.identifier }, 'the engine could not take the connection');
      return;
    }
    runSession(socket, wire, current, deps, {
      refusal: admitted.kind === 'refuse' ? admitted.error : null,
      sessions: slots,
      onRelay: (r) => {
        admitted.release();
        relays.add(r);
        if (ending?.now) r.terminate(ending.error);
        else if (ending) r.endWhenIdle(ending.error, true);
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
    // A successor process (rolling restart) listens on the socket its predecessor handed over: never closed.
    if (address.handle) server.listen({ handle: address.handle }, () => resolve());
    else server.listen(address.port, address.host, () => resolve());
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
    server,
    // The listening socket closes at once; server.close's callback would wait for every session to end.
    stopAccepting: async () => {
      if (server.listening) server.close();
    },
    drain: (error) => {
      ending = { error, now: false };
      for (const r of relays) r.endWhenIdle(error, false);
    },
    endAll: (error) => {
      ending = { error, now: true };
      for (const r of relays) r.terminate(error);
    },
    gone: () =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (sockets.size > 0) return;
          goneWaiters.delete(check);
          resolve();
        };
        goneWaiters.add(check);
        check();
      }),
    close: async () => {
      const closed = new Promise<void>((resolve) => {
        if (!server.listening) resolve();
        else server.close(() => resolve());
      });
      for (const r of relays) r.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
