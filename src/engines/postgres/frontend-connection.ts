// The client side of a session before relaying: buffered, bounds-checked reads with one shared deadline.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  createErrorResponse,
  type ErrorFields,
  MessageBuffer,
  type RawMessage,
} from '../../protocol/postgres/index.js';

/** The client went away (EOF or reset): normal during auth (psql closes to prompt for a password). */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientGoneError';
  }
}

/** Above every pre-auth message cap: a client cannot make the gateway buffer more than this. */
const MAX_BUFFERED_BYTES = 256 * 1024;

type Waiter = { resolve: () => void; reject: (e: Error) => void };

export class FrontendConnection {
  readonly buffer = new MessageBuffer();
  private waiter: Waiter | null = null;
  private cancelHandshake: ((reason: Error) => void) | null = null;
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer) => {
    this.buffer.push(chunk);
    // Backpressure before authentication: stop reading while more is buffered than any message may be.
    if (this.buffer.pending > MAX_BUFFERED_BYTES) this.socket.pause();
    this.wake();
  };
  private readonly onEnd = () => this.abort(new ClientGoneError());
  private readonly onError = () => this.abort(new ClientGoneError());

  constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  get encrypted(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted === true;
  }

  attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  /** Stop consuming the socket (before a TLS upgrade or when handing it to the relay). */
  detach(): Socket | TLSSocket {
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    return this.socket;
  }

  /** Register (or clear) the cancel function of a TLS handshake in progress, so abort() reaches it. */
  readonly trackHandshake = (cancel: ((reason: Error) => void) | null): void => {
    this.cancelHandshake = cancel;
  };

  /** Fail any pending and future read, and any TLS handshake in progress (deadline expiry, shutdown). */
  abort(error: Error): void {
    if (!this.failure) this.failure = error;
    this.cancelHandshake?.(this.failure);
    const w = this.waiter;
    this.waiter = null;
    w?.reject(this.failure);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.resolve();
  }

  private async until<T>(take: () => T | null): Promise<T> {
    for (;;) {
      const value = take(); // parse errors (oversize, malformed) propagate from here
      if (value !== null) return value;
      if (this.failure) throw this.failure;
      this.socket.resume();
      await new Promise<void>((resolve, reject) => {
        this.waiter = { resolve, reject };
      });
    }
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

  write(data: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Send a FATAL error (if the socket is writable) and close. */
  refuse(fields: Omit<ErrorFields, 'severity'>): void {
    this.detach();
    if (this.socket.destroyed) return;
    this.socket.end(createErrorResponse({ severity: 'FATAL', ...fields }));
    this.socket.resume(); // drain so the FIN is processed; nothing more is read
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  close(): void {
    this.detach();
    this.socket.destroy();
  }
}
