// The PostgreSQL client side of a session before relaying: bounds-checked start-up and message reads.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  createErrorResponse,
  type ErrorFields,
  MessageBuffer,
  type RawMessage,
} from '../../protocol/postgres/index.js';
import { ClientReader } from '../common/client-reader.js';

/** PostgreSQL's client side before relaying: start-up packets and typed messages, and FATAL refusals. */
export class FrontendConnection extends ClientReader<MessageBuffer> {
  constructor(socket: Socket | TLSSocket) {
    super(socket, new MessageBuffer());
  }

  readStartupPacket(maxLength: number): Promise<Buffer> {
    return this.until(() => this.buffer.nextStartupPacket(maxLength));
  }

  readMessage(maxLength: number): Promise<RawMessage> {
    return this.until(() => this.buffer.nextMessage(maxLength));
  }

  /** Wait until at least one byte is buffered (first-byte dispatch for direct TLS). */
  async peekFirstByte(): Promise<number> {
    return this.until(() => (this.buffer.pending > 0 ? this.buffer.peek(0) : null));
  }

  /** Send a FATAL error (if the socket is writable) and close. */
  refuse(fields: Omit<ErrorFields, 'severity'>): void {
    this.detach();
    if (this.socket.destroyed) return;
    this.socket.end(createErrorResponse({ severity: 'FATAL', ...fields }));
    this.socket.resume(); // drain so the FIN is processed; nothing more is read
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}
