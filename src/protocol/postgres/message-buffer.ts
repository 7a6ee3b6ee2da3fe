// Reassembles framed messages from arbitrary TCP chunks (a message may arrive split at any byte).
import { MessageTooLargeError, ProtocolError } from './protocol-error.js';

export interface RawMessage {
  /** Message type byte as a character (e.g. 'p', 'Q'). */
  readonly type: string;
  /** Body without the type byte and length word. */
  readonly body: Buffer;
}

export class MessageBuffer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  get pending(): number {
    return this.buf.length;
  }

  /** Byte at `offset` without consuming it (first-byte dispatch). */
  peek(offset: number): number | null {
    return offset < this.buf.length ? (this.buf[offset] as number) : null;
  }

  /**
   * Next startup-class packet (`Int32 len, payload`), whole including the length word, or null if
   * incomplete. Lengths under 8 or over `maxLength` are refused before the payload arrives.
   */
  nextStartupPacket(maxLength: number): Buffer | null {
    if (this.buf.length < 4) return null;
    const len = this.buf.readInt32BE(0);
    if (len < 8) throw new ProtocolError(`invalid startup packet length ${len}`);
    if (len > maxLength) throw new MessageTooLargeError(len, maxLength);
    if (this.buf.length < len) return null;
    const packet = this.buf.subarray(0, len);
    this.buf = this.buf.subarray(len);
    return packet;
  }

  /** Next typed message, or null if incomplete. */
  nextMessage(maxLength: number): RawMessage | null {
    if (this.buf.length < 5) return null;
    const len = this.buf.readInt32BE(1);
    if (len < 4) throw new ProtocolError(`invalid message length ${len}`);
    if (len > maxLength) throw new MessageTooLargeError(len, maxLength);
    if (this.buf.length < len + 1) return null;
    const type = String.fromCharCode(this.buf[0] as number);
    const body = this.buf.subarray(5, len + 1);
    this.buf = this.buf.subarray(len + 1);
    return { type, body };
  }

  /** Everything buffered and not yet consumed (handed over when switching to raw relaying). */
  takeRemaining(): Buffer {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }
}
