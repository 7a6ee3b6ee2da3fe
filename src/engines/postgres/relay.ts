// Step 5: after start-up, pipe bytes both ways with backpressure and no per-message parsing (session mode).
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
  /** Tear both sides down (shutdown, revocation). */
  close(): void;
}

export function relay(
  client: Socket | TLSSocket,
  backend: Socket | TLSSocket,
  onEnd: (stats: RelayStats) => void,
): Relay {
  const started = Date.now();
  let closedBy: RelayStats['closedBy'] | null = null;
  // When one side closes, the other is ended rather than destroyed so bytes already relayed (say a
  // backend's FATAL before it exits) still reach it; a peer that does not close soon is destroyed.
  const teardown = (by: RelayStats['closedBy'], hard: boolean) => {
    if (closedBy) return;
    closedBy = by;
    const survivor = by === 'client' ? backend : client;
    (by === 'client' ? client : backend).destroy();
    if (hard || by === 'gateway') {
      client.destroy();
      backend.destroy();
    } else {
      survivor.end();
      setTimeout(() => survivor.destroy(), LINGER_MS).unref();
    }
    onEnd({
      bytesFromClient: client.bytesRead,
      bytesToClient: client.bytesWritten,
      durationMs: Date.now() - started,
      closedBy,
    });
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
  client.resume();
  backend.resume();
  return { close: () => teardown('gateway', true) };
}
