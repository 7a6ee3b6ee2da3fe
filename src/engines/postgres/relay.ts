// Step 5: after start-up, pipe bytes both ways with backpressure and no per-message parsing (session mode).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

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
  const teardown = (by: RelayStats['closedBy']) => {
    if (closedBy) return;
    closedBy = by;
    client.destroy();
    backend.destroy();
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
  client.on('error', () => teardown('client'));
  backend.on('error', () => teardown('backend'));
  client.on('close', () => teardown('client'));
  backend.on('close', () => teardown('backend'));
  client.resume();
  backend.resume();
  return { close: () => teardown('gateway') };
}
