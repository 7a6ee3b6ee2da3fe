// The relay: after start-up, pipe bytes both ways with backpressure and no per-message parsing (session mode).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** How long the surviving side may take to flush and close after its peer closed. */
const LINGER_MS = 5000;

export interface RelayStats {
  readonly bytesFromClient: number;
  readonly bytesToClient: number;
  readonly durationMs: number;
  readonly closedBy: 'client' | 'backend' | 'gateway';
}

export interface Relay {
  /** Tear both sides down (shutdown). */
  close(): void;
  /**
   * End the session with a last message to the client (PostgreSQL: a FATAL ErrorResponse), sent at a message
   * boundary of the backend's stream so the client can parse it. Needs a boundary tracker; otherwise it closes.
   */
  terminate(lastMessage: Buffer): void;
  /**
   * Shutdown: end the session with `lastMessage` (as terminate does) as soon as it is idle, which may be now. With
   * `afterRequest`, only once it is idle after a request of the client's (a session that began during the drain
   * gets to run what it logged in for). Without an idle tracker it waits for terminate().
   */
  endWhenIdle(lastMessage: Buffer, afterRequest?: boolean): void;
}

/** How long a terminate waits for the backend's current message to finish before cutting the connection. */
const TERMINATE_BOUNDARY_MS = 500;

/**
 * Follows the backend's message framing without copying, so a session can be ended between two messages.
 * Each engine supplies its own (PostgreSQL: type byte + int32 length).
 */
export interface BoundaryTracker {
  readonly atBoundary: boolean;
  /** Consume `chunk`; with `stopAtBoundary`, return how many bytes reach the next boundary (else all). */
  feed(chunk: Buffer, stopAtBoundary?: boolean): number;
  /**
   * Whether the session is idle: no transaction open, no request outstanding, no message half-sent either way.
   * Absent when the engine cannot tell (such a session is never ended as idle).
   */
  readonly idle?: boolean;
  /** The client's bytes (after they were forwarded), for `idle`. */
  fromClient?(chunk: Buffer): void;
}

export function relay(
  client: Socket | TLSSocket,
  backend: Socket | TLSSocket,
  onEnd: (stats: RelayStats) => void,
  boundaries: BoundaryTracker | null = null,
): Relay {
  const started = Date.now();
  let closedBy: RelayStats['closedBy'] | null = null;
  /** Record who ended the session and report it, once. */
  const ended = (by: RelayStats['closedBy']) => {
    closedBy = by;
    onEnd({
      bytesFromClient: client.bytesRead,
      bytesToClient: client.bytesWritten,
      durationMs: Date.now() - started,
      closedBy: by,
    });
  };
  // When one side closes, the other is ended rather than destroyed so bytes already relayed (say a
  // backend's FATAL before it exits) still reach it; a peer that does not close soon is destroyed.
  const teardown = (by: RelayStats['closedBy'], hard: boolean) => {
    if (closedBy) return;
    const survivor = by === 'client' ? backend : client;
    (by === 'client' ? client : backend).destroy();
    if (hard || by === 'gateway') {
      client.destroy();
      backend.destroy();
    } else {
      survivor.end();
      setTimeout(() => survivor.destroy(), LINGER_MS).unref();
    }
    ended(by);
  };
  client.setNoDelay(true);
  backend.setNoDelay(true);
  // pipe() applies backpressure (pause the reader while the writer's buffer is full) and half-closes
  // the destination on end, so a client Terminate + FIN reaches the backend before the teardown.
  client.pipe(backend);
  backend.pipe(client);
  client.on('error', () => teardown('client', true));
  backend.on('error', () => teardown('backend', true));
  client.on('close', () => teardown('client', false));
  backend.on('close', () => teardown('backend', false));
  /** Set by endWhenIdle: the last message, sent once the session is idle (after a client request, if asked). */
  let whenIdle: { message: Buffer; afterRequest: boolean } | null = null;
  const endIfIdle = () => {
    if (whenIdle && !whenIdle.afterRequest && boundaries?.idle === true) terminate(whenIdle.message);
  };
  const track = boundaries
    ? (chunk: Buffer) => {
        boundaries.feed(chunk);
        endIfIdle();
      }
    : null;
  if (track) backend.on('data', track);
  const fromClient = boundaries?.fromClient?.bind(boundaries);
  const trackClient = (chunk: Buffer) => {
    fromClient?.(chunk);
    if (whenIdle) whenIdle.afterRequest = false;
  };
  if (fromClient) client.on('data', trackClient);
  client.resume();
  backend.resume();

  const terminate = (lastMessage: Buffer) => {
    if (closedBy) return;
    const frames = boundaries;
    if (!frames || !track) {
      teardown('gateway', true);
      return;
    }
    whenIdle = null;
    client.unpipe(backend);
    client.pause();
    client.off('data', trackClient);
    backend.unpipe(client);
    backend.off('data', track);
    const finish = () => {
      clearTimeout(timer);
      backend.off('data', toBoundary);
      if (!client.destroyed) client.write(lastMessage);
      backend.destroy();
      client.end();
      setTimeout(() => client.destroy(), LINGER_MS).unref();
      ended('gateway');
    };
    // Forward the rest of the message the client is in the middle of, then the FATAL.
    const toBoundary = (chunk: Buffer) => {
      const n = frames.feed(chunk, true);
      if (n > 0 && !client.destroyed) client.write(n === chunk.length ? chunk : chunk.subarray(0, n));
      if (frames.atBoundary) finish();
    };
    const timer = setTimeout(() => teardown('gateway', true), TERMINATE_BOUNDARY_MS);
    if (frames.atBoundary) finish();
    else {
      backend.on('data', toBoundary);
      backend.resume();
    }
  };
  const endWhenIdle = (lastMessage: Buffer, afterRequest = false) => {
    if (closedBy) return;
    whenIdle = { message: lastMessage, afterRequest };
    endIfIdle();
  };
  return { close: () => teardown('gateway', true), terminate, endWhenIdle };
}
