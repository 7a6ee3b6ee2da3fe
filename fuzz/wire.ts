// One fuzz client connection: counted writes (whole, or split at every byte), buffered reads with timeouts, an
// in-place TLS upgrade, the time the server closed, and a hex transcript of what was sent (to reproduce a case).
import { createHash } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createSecureContext, type SecureContext, type TLSSocket, connect as tlsConnect } from 'node:tls';

/**
 * A listener the fuzzer may connect to. Only loopback addresses are accepted (see assertLoopback in target.ts).
 */
export interface Listener {
  /** Short name for reports, e.g. `password`, `iam`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface ServerMessage {
  readonly type: string;
  readonly body: Buffer;
}

/** The server neither answered nor closed in time: a hang unless the case expected the server to wait. */
export class ReadTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`no ${what} from the server within ${ms} ms`);
    this.name = 'ReadTimeout';
  }
}

export interface SendOptions {
  /** How many protocol messages `data` holds (counted toward the campaign total); default 1. */
  readonly messages?: number;
  /** `bytes`: one write per byte, a timer tick apart; an offset list: cut there. Default: one write. */
  readonly split?: 'bytes' | readonly number[];
}

const TRANSCRIPT_LIMIT = 64 * 1024; // hex characters kept per connection
const DEFAULT_READ_MS = 5000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** One client context for every connection (building one per handshake costs the fuzzer more than the handshake). */
let clientContext: SecureContext | null = null;
const sharedContext = (): SecureContext => {
  clientContext = clientContext ?? createSecureContext();
  return clientContext;
};

export class Wire {
  /** Messages actually written while the socket was open. */
  messages = 0;
  /** Messages written one byte per write. */
  splitMessages = 0;
  /** A TLS handshake completed on this connection. */
  wasEncrypted = false;
  /** Messages written behind another one in the same write (pipelined before any answer). */
  pipelinedMessages = 0;
  /** performance.now() when the connection was established. */
  readonly openedAt = performance.now();
  /** performance.now() of the last byte (or FIN) sent. */
  lastSendAt = performance.now();
  /** performance.now() when the server ended or closed the connection (or it failed); null while open. */
  closeAt: number | null = null;
  /** The server sent at least one ErrorResponse ('E') that this side read or left unread at close. */
  errorResponse = false;
  /** SQLSTATE of the first ErrorResponse (`C` field), or `?` if it had none. */
  errorCode: string | null = null;
  readonly transcript: string[] = [];
  private transcriptChars = 0;
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private finSent = false;

  /** Told of every message written, as it is written (the campaign's live count). */
  onMessages: ((n: number) => void) | null = null;

  private constructor(private socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  /** Connects to a loopback listener (plain TCP: the first bytes are whatever the case sends). */
  static open(listener: Listener, timeoutMs = 10_000): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: listener.host, port: listener.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${listener.host}:${listener.port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new Wire(socket));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get closed(): boolean {
    return this.closeAt !== null;
  }

  get encrypted(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted === true;
  }

  private readonly onData = (chunk: Buffer) => {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.wake();
  };
  private readonly onGone = () => {
    if (this.closeAt === null) {
      this.closeAt = performance.now();
      this.scanForError(this.buf);
    }
    this.wake();
  };

  private attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('end', this.onGone);
    socket.on('close', this.onGone);
    socket.on('error', this.onGone); // resets and EPIPE after a refusal are expected
  }

  private detach(): Socket | TLSSocket {
    const s = this.socket;
    s.off('data', this.onData);
    s.off('end', this.onGone);
    s.off('close', this.onGone);
    s.off('error', this.onGone);
    return s;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  note(line: string): void {
    if (this.transcriptChars > TRANSCRIPT_LIMIT) return;
    this.transcript.push(line);
    this.transcriptChars += line.length;
    if (this.transcriptChars > TRANSCRIPT_LIMIT) this.transcript.push('… (transcript truncated)');
  }

  private writable(): boolean {
    return this.closeAt === null && !this.socket.destroyed && this.socket.writable && !this.finSent;
  }

  /** Writes `data` (counted as `messages` messages) unless the server has already closed. */
  async send(data: Buffer, options: SendOptions = {}): Promise<boolean> {
    if (!this.writable()) return false;
    const messages = options.messages ?? 1;
    const split = options.split;
    const tag = this.encrypted ? 'c(tls)>' : 'c>';
    if (split === undefined || data.length <= 1) {
      this.note(`${tag} ${data.toString('hex')}`);
      this.socket.write(data);
    } else {
      const cuts =
        split === 'bytes'
          ? Array.from({ length: data.length - 1 }, (_, i) => i + 1)
          : [...split].filter((c) => c > 0 && c < data.length).sort((a, b) => a - b);
      this.note(`${tag} ${data.toString('hex')} (in ${cuts.length + 1} writes)`);
      let from = 0;
      for (const cut of [...cuts, data.length]) {
        // Stop when the server has closed; a message whose first bytes went out still counts as sent.
        if (!this.writable()) break;
        this.socket.write(data.subarray(from, cut));
        this.lastSendAt = performance.now();
        from = cut;
        if (cut < data.length) await sleep(0);
      }
      if (from === 0) return false;
      if (split === 'bytes') this.splitMessages += messages;
    }
    this.messages += messages;
    this.pipelinedMessages += Math.max(0, messages - 1);
    this.onMessages?.(messages);
    this.lastSendAt = performance.now();
    return true;
  }

  /** Half-close: the server sees EOF. */
  end(): void {
    if (this.finSent || this.socket.destroyed) return;
    this.finSent = true;
    this.note('c> FIN');
    this.lastSendAt = performance.now();
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
    this.onGone();
  }

  private async until<T>(take: () => T | null, timeoutMs: number, what: string): Promise<T | null> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = take();
      if (value !== null) return value;
      if (this.closeAt !== null) return null;
      const left = deadline - performance.now();
      if (left <= 0) throw new ReadTimeout(what, timeoutMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One raw byte (the answer to SSLRequest / GSSENCRequest), or null if the server closed first. */
  readByte(timeoutMs = DEFAULT_READ_MS): Promise<number | null> {
    return this.until(
      () => {
        if (this.buf.length < 1) return null;
        const b = this.buf[0] as number;
        this.buf = this.buf.subarray(1);
        this.note(`s< byte ${String.fromCharCode(b)}`);
        return b;
      },
      timeoutMs,
      'single-byte answer',
    );
  }

  /** The next typed server message, or null if the server closed first. */
  readMessage(timeoutMs = DEFAULT_READ_MS): Promise<ServerMessage | null> {
    return this.until(
      () => {
        if (this.buf.length < 5) return null;
        const len = this.buf.readInt32BE(1);
        if (len < 4) throw new Error(`server sent an invalid message length ${len}`);
        if (this.buf.length < len + 1) return null;
        const type = String.fromCharCode(this.buf[0] as number);
        const body = this.buf.subarray(5, len + 1);
        this.buf = this.buf.subarray(len + 1);
        if (type === 'E') this.sawError(body);
        this.note(`s< ${type} (${body.length} bytes)`);
        return { type, body };
      },
      timeoutMs,
      'server message',
    );
  }

  /** The next server message if one comes soon (after input the server may rightly wait on); never throws. */
  async maybeMessage(timeoutMs = 300): Promise<ServerMessage | null> {
    try {
      return await this.readMessage(timeoutMs);
    } catch (e) {
      if (e instanceof ReadTimeout) return null;
      throw e;
    }
  }

  /** Reads messages until one of `types` (returned) or a close (null); also null at an ErrorResponse unless told. */
  async readUntil(
    types: string,
    timeoutMs = DEFAULT_READ_MS,
    stopAtError = true,
  ): Promise<ServerMessage | null> {
    for (;;) {
      const m = await this.readMessage(timeoutMs);
      if (m === null || (stopAtError && m.type === 'E')) return null;
      if (types.includes(m.type)) return m;
    }
  }

  /** Drops whatever server bytes are buffered (post-auth responses nobody inspects). */
  discardInput(): void {
    this.scanForError(this.buf);
    this.buf = Buffer.alloc(0);
  }

  private sawError(body: Buffer): void {
    this.errorResponse = true;
    if (this.errorCode !== null) return;
    // Fields: Byte1 type, String value; the SQLSTATE is field 'C' (PG doc "Error and Notice Message Fields").
    let i = 0;
    while (i < body.length && body[i] !== 0) {
      const end = body.indexOf(0, i + 1);
      if (end < 0) break;
      if (body[i] === 0x43) {
        this.errorCode = body.toString('latin1', i + 1, end);
        return;
      }
      i = end + 1;
    }
    this.errorCode = '?';
  }

  /** Notes an ErrorResponse among whole server messages left unread. */
  private scanForError(b: Buffer): void {
    let i = 0;
    while (i + 5 <= b.length) {
      const len = b.readInt32BE(i + 1);
      if (len < 4) return;
      if (b[i] === 0x45) {
        this.sawError(b.subarray(i + 5, Math.min(b.length, i + 1 + len)));
        return;
      }
      i += len + 1;
    }
  }

  /**
   * TLS client handshake on this connection (after the server's 'S', or as the very first bytes for direct TLS).
   * False if the server refused or closed instead; the connection then counts as closed.
   */
  startTls(options: { alpn?: string[]; timeoutMs?: number; tls12?: boolean } = {}): Promise<boolean> {
    if (this.closeAt !== null) return Promise.resolve(false);
    const raw = this.detach() as Socket;
    this.note(`c> [TLS handshake${options.alpn ? ` alpn=${options.alpn.join(',')}` : ''}]`);
    return new Promise((resolve) => {
      const secure = tlsConnect({
        socket: raw,
        rejectUnauthorized: false,
        servername: 'localhost',
        secureContext: sharedContext(),
        ...(options.tls12 ? { maxVersion: 'TLSv1.2' as const } : {}),
        ...(options.alpn ? { ALPNProtocols: options.alpn } : {}),
      });
      const timer = setTimeout(() => fail(), options.timeoutMs ?? DEFAULT_READ_MS);
      const fail = () => {
        clearTimeout(timer);
        this.attach(secure);
        this.onGone();
        secure.destroy();
        resolve(false);
      };
      secure.once('error', fail);
      secure.once('close', fail);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        secure.off('error', fail);
        secure.off('close', fail);
        this.attach(secure);
        this.wasEncrypted = true;
        resolve(true);
      });
    });
  }

  /** A TLS 1.2 renegotiation started by this side; true if the server went along with it. */
  renegotiate(timeoutMs = 5000): Promise<boolean> {
    const s = this.socket;
    if (this.closeAt !== null || !('renegotiate' in s)) return Promise.resolve(false);
    this.note('c> [TLS renegotiation]');
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const started = s.renegotiate({ rejectUnauthorized: false }, (error) => {
        clearTimeout(timer);
        resolve(!error);
      });
      if (!started) {
        clearTimeout(timer);
        resolve(false);
      }
    });
  }

  /** tls-server-end-point hash of the server certificate (SHA-256: Gatehouse signs its certificates so). */
  certificateHash(): Buffer | null {
    if (!('getPeerCertificate' in this.socket)) return null;
    const cert = this.socket.getPeerCertificate();
    return cert?.raw ? createHash('sha256').update(cert.raw).digest() : null;
  }

  /** Resolves true once the server closed, false after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.closeAt === null) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      if (this.buf.length > 1 << 20) this.discardInput();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return true;
  }
}
