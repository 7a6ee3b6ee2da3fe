// Rolling restart (docs/operations.md "Rolling restart"): the running `serve` starts its successor and hands it every
// listening socket over the IPC channel (Node's handle passing); the successor listens on them, never binding anew,
// so no connection is refused; once it reports ready, the predecessor stops accepting and drains.
import { spawn } from 'node:child_process';
import type { Server, Socket } from 'node:net';

/** Set in the successor's environment: ask the parent for its sockets before listening. */
const HANDOVER_ENV = 'GATEHOUSE_HANDOVER';
/** How long a successor may take to be ready (store, migrations, listeners) before the handover is abandoned. */
const READY_TIMEOUT_MS = 120_000;

type HandoverMessage =
  | { readonly type: 'gatehouse:want-sockets' }
  | { readonly type: 'gatehouse:socket'; readonly host: string; readonly port: number }
  | { readonly type: 'gatehouse:sockets-sent' }
  | { readonly type: 'gatehouse:ready' };

export interface ListeningSocket {
  readonly host: string;
  readonly port: number;
  readonly server: Server;
}

/**
 * Start this process again (same executable, arguments and environment) as a successor, hand it `sockets` when it
 * asks, and resolve with its pid once it reports ready. Rejects (and kills it) if it exits or is not ready in time:
 * this process then simply keeps serving.
 */
export function startSuccessor(sockets: readonly ListeningSocket[]): Promise<{ pid: number }> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...process.env, [HANDOVER_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`not ready within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.removeAllListeners();
      if (child.exitCode === null) child.kill('SIGKILL');
      reject(new Error(`the successor process ${child.pid ?? '(not started)'} failed: ${why}`));
    };
    child.once('error', (e) => fail(e.message));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before it was ready`));
    child.on('message', (m: HandoverMessage) => {
      if (m.type === 'gatehouse:want-sockets') {
        // Messages after a handle wait for its acknowledgement, so "sent" arrives after every socket.
        for (const s of sockets)
          child.send({ type: 'gatehouse:socket', host: s.host, port: s.port }, s.server);
        child.send({ type: 'gatehouse:sockets-sent' });
      } else if (m.type === 'gatehouse:ready') {
        clearTimeout(timer);
        child.removeAllListeners();
        child.disconnect();
        child.unref();
        resolve({ pid: child.pid as number });
      }
    });
  });
}

/** One handed-over socket: listen on `handle`, then `adopt` the new server (connections accepted meanwhile). */
export interface InheritedSocket {
  readonly handle: object;
  adopt(server: Server): void;
}

/** The sockets a successor was handed, by `host:port`; each taken once, the rest closed by closeUnused. */
export interface Inheritance {
  take(host: string, port: number): InheritedSocket | undefined;
  closeUnused(): void;
  /** Tell the predecessor this process serves now (it then drains), and leave the IPC channel. */
  ready(): void;
}

/** In a successor (started by startSuccessor): ask for the predecessor's sockets; null in any other process. */
export function receiveSockets(): Promise<Inheritance | null> {
  const send = process.send?.bind(process);
  if (process.env[HANDOVER_ENV] !== '1' || !send) return Promise.resolve(null);
  delete process.env[HANDOVER_ENV]; // its own successor is started with the flag set again
  const received = new Map<string, { server: Server; queued: Socket[] }>();
  return new Promise((resolve) => {
    const onMessage = (m: HandoverMessage, handle?: unknown) => {
      if (m.type === 'gatehouse:socket' && handle) {
        // Node re-creates the server listening on the handle: hold what it accepts until a real server adopts it.
        const server = handle as Server;
        const queued: Socket[] = [];
        server.on('connection', (socket: Socket) => queued.push(socket));
        received.set(`${m.host}:${m.port}`, { server, queued });
      } else if (m.type === 'gatehouse:sockets-sent') {
        process.off('message', onMessage);
        resolve(inheritance(received, send));
      }
    };
    process.on('message', onMessage);
    send({ type: 'gatehouse:want-sockets' });
  });
}

function inheritance(
  received: Map<string, { server: Server; queued: Socket[] }>,
  send: (m: HandoverMessage) => unknown,
): Inheritance {
  return {
    take(host, port) {
      const key = `${host}:${port}`;
      const entry = received.get(key);
      if (!entry) return undefined;
      received.delete(key);
      const handle = (entry.server as unknown as { _handle: object })._handle;
      return {
        handle,
        adopt(server) {
          entry.server.removeAllListeners('connection');
          for (const socket of entry.queued.splice(0)) server.emit('connection', socket);
        },
      };
    },
    closeUnused() {
      for (const { server, queued } of received.values()) {
        server.close();
        for (const s of queued) s.destroy();
      }
      received.clear();
    },
    ready() {
      send({ type: 'gatehouse:ready' });
      process.disconnect?.();
    },
  };
}
