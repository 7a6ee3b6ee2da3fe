// Rolling restart (docs/operations.md "Rolling restart"): the running `serve` starts its successor and hands it every
// listening socket over the IPC channel (Node's handle passing); the successor listens on them, never binding anew,
// so no connection is refused; once it reports ready, the predecessor stops accepting and drains.
import { spawn } from 'node:child_process';
import type { Server, Socket } from 'node:net';

/** Set in the successor's environment: ask the parent for its sockets before listening. */
const HANDOVER_ENV = 'GATEHOUSE_HANDOVER';
/** How long a successor may take to be ready (store, migrations, listeners) before the handover is abandoned. */
const READY_TIMEOUT_MS = 120_000;

export type HandoverMessage =
  | { readonly type: 'gatehouse:want-sockets' }
  | { readonly type: 'gatehouse:socket'; readonly host: string; readonly port: number }
  | { readonly type: 'gatehouse:sockets-sent' }
  | { readonly type: 'gatehouse:ready' };

export interface ListeningSocket {
  readonly host: string;
  readonly port: number;
  readonly server: Server;
}

/** How long a successor waits for its predecessor to hand the sockets over (it sends them as soon as asked). */
const SOCKETS_TIMEOUT_MS = 30_000;
/** How long a cancelled successor may take to exit after SIGKILL before the cancellation settles anyway. */
const KILL_WAIT_MS = 5_000;

/** The handover was cancelled (the old process is stopping): the successor was killed before it served. */
export class HandoverCancelled extends Error {
  constructor(readonly successorPid: number | undefined) {
    super(`successor process ${successorPid ?? '(not started)'} stopped before it was ready`);
    this.name = 'HandoverCancelled';
  }
}

/**
 * Start this process again (same executable, arguments and environment) as a successor, hand it `sockets` when it
 * asks, and resolve with its pid once it reports ready. Rejects (and kills it) if it exits or is not ready in time:
 * this process then simply keeps serving. Aborting `cancel` before it is ready kills it too, and rejects with
 * HandoverCancelled once it has exited; after it is ready, aborting changes nothing (it serves).
 */
export function startSuccessor(
  sockets: readonly ListeningSocket[],
  cancel?: AbortSignal,
): Promise<{ pid: number }> {
  if (cancel?.aborted) return Promise.reject(new HandoverCancelled(undefined));
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...process.env, [HANDOVER_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail(`not ready within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    const settle = () => {
      settled = true;
      clearTimeout(timer);
      cancel?.removeEventListener('abort', onCancel);
      child.removeAllListeners();
    };
    const fail = (why: string) => {
      if (settled) return;
      settle();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(`the successor process ${child.pid ?? '(not started)'} failed: ${why}`));
    };
    const onCancel = () => {
      if (settled) return;
      settle();
      const cancelled = new HandoverCancelled(child.pid);
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(cancelled);
        return;
      }
      // Settle once it is gone (so "Stopped" means no successor serves), or after a bound if exit never comes.
      const done = () => {
        clearTimeout(bound);
        reject(cancelled);
      };
      const bound = setTimeout(done, KILL_WAIT_MS);
      child.once('exit', done);
      child.once('error', () => {}); // a failed kill is reported by the bound, not as an unhandled 'error'
      child.kill('SIGKILL');
    };
    cancel?.addEventListener('abort', onCancel, { once: true });
    child.once('error', (e) => fail(e.message));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before it was ready`));
    child.on('message', (m: HandoverMessage) => {
      if (m.type === 'gatehouse:want-sockets') {
        // Messages after a handle wait for its acknowledgement, so "sent" arrives after every socket.
        for (const s of sockets)
          child.send({ type: 'gatehouse:socket', host: s.host, port: s.port }, s.server);
        child.send({ type: 'gatehouse:sockets-sent' });
      } else if (m.type === 'gatehouse:ready') {
        settle();
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
  /**
   * Tell the predecessor this process serves now (it then drains), and leave the IPC channel. Throws if the
   * predecessor is gone already: then this process must not serve (close and exit non-zero).
   */
  ready(): void;
}

/** The IPC channel to the predecessor, as a successor sees it (`process`); an interface so tests can drive it. */
export interface PredecessorChannel {
  readonly connected: boolean;
  send(m: HandoverMessage): unknown;
  on(event: 'message', listener: (m: HandoverMessage, handle?: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (m: HandoverMessage, handle?: unknown) => void): unknown;
  off(event: 'disconnect', listener: () => void): unknown;
  disconnect(): void;
}

/**
 * In a successor (started by startSuccessor): ask for the predecessor's sockets; null in any other process.
 * Rejects, with the sockets received so far closed, if the predecessor goes away (the IPC channel closes) before
 * it has sent them all, or if they do not all arrive within `timeoutMs`: the successor then exits non-zero.
 */
export function receiveSockets(timeoutMs = SOCKETS_TIMEOUT_MS): Promise<Inheritance | null> {
  if (process.env[HANDOVER_ENV] !== '1' || !process.send) return Promise.resolve(null);
  delete process.env[HANDOVER_ENV]; // its own successor is started with the flag set again
  return receiveSocketsFrom(process as unknown as PredecessorChannel, timeoutMs);
}

export function receiveSocketsFrom(channel: PredecessorChannel, timeoutMs: number): Promise<Inheritance> {
  const received = new Map<string, { server: Server; queued: Socket[] }>();
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      channel.off('message', onMessage);
      channel.off('disconnect', onDisconnect);
    };
    const fail = (why: string) => {
      done();
      closeAll(received);
      if (channel.connected) channel.disconnect();
      reject(new Error(`rolling restart: ${why}; this successor does not serve`));
    };
    const onDisconnect = () =>
      fail('the predecessor process went away (its IPC channel closed) before it handed over its sockets');
    const timer = setTimeout(
      () => fail(`the predecessor process did not hand over its sockets within ${timeoutMs / 1000} s`),
      timeoutMs,
    );
    const onMessage = (m: HandoverMessage, handle?: unknown) => {
      if (m.type === 'gatehouse:socket' && handle) {
        // Node re-creates the server listening on the handle: hold what it accepts until a real server adopts it.
        const server = handle as Server;
        const queued: Socket[] = [];
        server.on('connection', (socket: Socket) => queued.push(socket));
        received.set(`${m.host}:${m.port}`, { server, queued });
      } else if (m.type === 'gatehouse:sockets-sent') {
        done();
        resolve(inheritance(received, channel));
      }
    };
    channel.on('message', onMessage);
    channel.on('disconnect', onDisconnect);
    if (!channel.connected) {
      onDisconnect();
      return;
    }
    channel.send({ type: 'gatehouse:want-sockets' });
  });
}

function closeAll(received: Map<string, { server: Server; queued: Socket[] }>): void {
  for (const { server, queued } of received.values()) {
    server.close();
    for (const s of queued) s.destroy();
  }
  received.clear();
}

function inheritance(
  received: Map<string, { server: Server; queued: Socket[] }>,
  channel: PredecessorChannel,
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
      closeAll(received);
    },
    ready() {
      // The predecessor went away meanwhile (killed, crashed, or it cancelled the handover and could not stop this
      // process): nobody handed the service over, so this process does not take it.
      if (!channel.connected)
        throw new Error(
          'rolling restart: the predecessor process went away before this successor was ready; this successor does not serve',
        );
      channel.send({ type: 'gatehouse:ready' });
      channel.disconnect();
    },
  };
}
