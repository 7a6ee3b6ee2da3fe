// PostgreSQL's message framing on the backend's stream, so a session can be ended between two messages.
import type { BoundaryTracker } from '../common/relay.js';

/** Follows the backend's message framing (type byte + int32 length) without copying, to find boundaries. */
export class PgFrameTracker implements BoundaryTracker {
  private remaining = 0; // body bytes left in the current message
  private headerBytes = 0; // bytes of the 5-byte header seen so far
  private readonly header = Buffer.alloc(5);

  get atBoundary(): boolean {
    return this.remaining === 0 && this.headerBytes === 0;
  }

  /** Consume `chunk`; with `stopAtBoundary`, return how many bytes reach the next boundary (else all). */
  feed(chunk: Buffer, stopAtBoundary = false): number {
    let i = 0;
    while (i < chunk.length) {
      if (stopAtBoundary && this.atBoundary && i > 0) return i;
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        continue;
      }
      this.header[this.headerBytes++] = chunk[i++] as number;
      if (this.headerBytes === 5) {
        this.headerBytes = 0;
        this.remaining = Math.max(0, this.header.readInt32BE(1) - 4);
      }
    }
    return i;
  }
}
