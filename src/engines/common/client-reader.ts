// The client side of a session before relaying, for any engine: buffered reads off a socket that may be
// swapped for its TLS wrapping, one failure (deadline, client gone) failing every pending and later read and
// any TLS handshake in progress, and backpressure so a client cannot make the gateway buffer without bound.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ClientGoneError } from './client-gone.js';

/** What the reader fills: the engine's framing (PostgreSQL's MessageBuffer, a line buffer, …). */
export interface ReadBuffer {
  push(chunk: Buffer): void;
  readonly pending: number;
}

/** Above every pre-auth message cap: a client cannot make the gateway buffer more than this. */
const MAX_BUFFERED_BYTES = 256 * 1024;

type Waiter = { resolve: () => void; reject: (e: Error) => void };

export class ClientReader<B extends ReadBuffer> {
  private waiter: Waiter | null = null;
  private cancelHandshake: ((reason: Error) => void) | null = null;
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer) => {
    this.buffer.push(chunk);
    // Backpressure before authentication: stop reading while more is buffered than any message may be.
    if (this.buffer.pending > MAX_BUFFERED_BYTES) this.socket.pause();
    this.wake();
  };
  private readonly onGone = () => this.abort(new ClientGoneError());

  constructor(
    public socket: Socket | TLSSocket,
    readonly buffer: B,
  ) {
    this.attach(socket);
  }

  get encrypted(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted === true;
  }

  /** The TLS socket, once the connection is encrypted. */
  get tlsSocket(): TLSSocket | null {
    return 'encrypted' in this.socket && this.socket.encrypted === true ? this.socket : null;
  }

  attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('end', this.onGone);
    socket.on('close', this.onGone);
    socket.on('error', this.onGone);
  }

  /** Stop consuming the socket (before a TLS upgrade or when handing it to the relay). */
  detach(): Socket | TLSSocket {
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onGone);
    this.socket.off('close', this.onGone);
    this.socket.off('error', this.onGone);
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

  /** Wait until `take` returns a value (its parse errors, such as an oversize message, propagate). */
  async until<T>(take: () => T | null): Promise<T> {
    for (;;) {
      const value = take();
      if (value !== null) return value;
      if (this.failure) throw this.failure;
      this.socket.resume();
      await new Promise<void>((resolve, reject) => {
        this.waiter = { resolve, reject };
      });
    }
  }

  write(data: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  close(): void {
    this.detach();
    this.socket.destroy();
  }
}
