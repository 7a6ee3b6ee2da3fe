// Reassembles framed messages from arbitrary TCP chunks (a message may arrive split at any byte).
import { MessageTooLargeError, ProtocolError } from './protocol-error.js';

export interface RawMessage {
  /** Message type byte as a character (e.g. 'p', 'Q'). */
  readonly type: string;
  /** Body without the type byte and length word. */
  readonly body: Buffer;
}

/**
 * Chunks are kept as a list and joined only once a whole message is in, so a client dripping a large
 * message one byte at a time costs linear, not quadratic, copying.
 */
export class MessageBuffer {
  private chunks: Buffer[] = [];
  private total = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  get pending(): number {
    return this.total;
  }

  /** The first `n` buffered bytes as one buffer (without consuming them), or null if fewer are buffered. */
  private head(n: number): Buffer | null {
    if (this.total < n) return null;
    if ((this.chunks[0] as Buffer).length < n) this.chunks = [Buffer.concat(this.chunks, this.total)];
    return this.chunks[0] as Buffer;
  }

  private take(n: number): Buffer {
    const first = this.head(n) as Buffer;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.total -= n;
    return out;
  }

  /** Byte at `offset` without consuming it (first-byte dispatch). */
  peek(offset: number): number | null {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.total) return null;
    return (this.head(offset + 1) as Buffer)[offset] as number;
  }

  /**
   * Next startup-class packet (`Int32 len, payload`), whole including the length word, or null if
   * incomplete. Lengths under 8 or over `maxLength` are refused before the payload arrives.
   */
  nextStartupPacket(maxLength: number): Buffer | null {
    const header = this.head(4);
    if (!header) return null;
    const len = header.readInt32BE(0);
    if (len < 8) throw new ProtocolError(`invalid startup packet length ${len}`);
    if (len > maxLength) throw new MessageTooLargeError(len, maxLength);
    return this.total < len ? null : this.take(len);
  }

  /** Next typed message, or null if incomplete. */
  nextMessage(maxLength: number): RawMessage | null {
    const header = this.head(5);
    if (!header) return null;
    const len = header.readInt32BE(1);
    if (len < 4) throw new ProtocolError(`invalid message length ${len}`);
    if (len > maxLength) throw new MessageTooLargeError(len, maxLength);
    if (this.total < len + 1) return null;
    const whole = this.take(len + 1);
    return { type: String.fromCharCode(whole[0] as number), body: whole.subarray(5) };
  }

  /** Everything buffered and not yet consumed (handed over when switching to raw relaying). */
  takeRemaining(): Buffer {
    const rest =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.total);
    this.chunks = [];
    this.total = 0;
    return rest;
  }
}
