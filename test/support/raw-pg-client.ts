// A raw PostgreSQL frontend for hostile-input tests: byte-exact control over what the gateway receives.
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { createScramClient, type ScramClient } from '../../src/auth/scram/client.js';
import {
  AUTH,
  BufferReader,
  BufferWriter,
  createGSSENCRequest,
  createSASLInitialResponse,
  createSASLResponse,
  createSSLRequest,
  createStartupMessage,
  PROTOCOL_3_0,
  parseAuthenticationRequest,
  parseBackendKeyData,
  parseErrorFields,
  parseNegotiateProtocolVersion,
  parseParameterStatus,
} from '../../src/protocol/postgres/index.js';
import { certificateHashForChannelBinding } from '../../src/tls/channel-binding.js';

export interface ServerMessage {
  readonly type: string;
  readonly body: Buffer;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** One client socket with a byte buffer; reads fail on timeout instead of hanging the test. */
export class RawPgConnection {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended = false;
  readonly openedAt = Date.now();
  /** Resolves with the time (ms since openedAt) the socket closed. */
  readonly closed: Promise<number>;

  private constructor(public socket: Socket | TLSSocket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(Date.now() - this.openedAt)));
    this.listen(socket);
  }

  /** Plain TCP connection (the first packet is whatever the test writes); `localAddress` picks the source. */
  static async connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawPgConnection> {
    const socket = netConnect({ port, host, noDelay: true, ...(localAddress ? { localAddress } : {}) });
    await once(socket, 'connect');
    return new RawPgConnection(socket);
  }

  /** PG17 `sslnegotiation=direct`: a TLS ClientHello is the very first thing on the wire. */
  static async connectDirectTls(port: number, options: ConnectionOptions): Promise<RawPgConnection> {
    const socket = tlsConnect({ host: '127.0.0.1', port, ...options });
    await once(socket, 'secureConnect');
    return new RawPgConnection(socket);
  }

  get encrypted(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted === true;
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', () => {}); // resets after a refusal are expected; 'close' follows
  }

  private readonly onData = (chunk: Buffer) => {
    this.buf = Buffer.concat([this.buf, chunk]);
    this.wake();
  };
  private readonly onClose = () => {
    this.ended = true;
    this.wake();
  };
  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Whether the peer closed (or the socket was destroyed). */
  get isClosed(): boolean {
    return this.ended;
  }

  write(data: Uint8Array): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(data);
  }

  /** Wait until `take` returns non-null; null if the socket closes first; throws on timeout. */
  private async until<T>(take: () => T | null, timeoutMs: number, what: string): Promise<T | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = take();
      if (value !== null) return value;
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Exactly `n` raw bytes (e.g. the 'S' / 'N' answer to SSLRequest), or null if the server closed. */
  readBytes(n: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer | null> {
    return this.until(
      () => {
        if (this.buf.length < n) return null;
        const out = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        return out;
      },
      timeoutMs,
      `${n} byte(s)`,
    );
  }

  /** The next typed server message, or null if the server closed first. */
  readMessage(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ServerMessage | null> {
    return this.until(
      () => {
        if (this.buf.length < 5) return null;
        const len = this.buf.readInt32BE(1);
        if (len < 4) throw new Error(`server sent an invalid message length ${len}`);
        if (this.buf.length < len + 1) return null;
        const message = { type: String.fromCharCode(this.buf[0]!), body: this.buf.subarray(5, len + 1) };
        this.buf = this.buf.subarray(len + 1);
        return message;
      },
      timeoutMs,
      'a server message',
    );
  }

  /** Read messages until the server closes; throws if it is still open after `timeoutMs`. */
  async drain(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ServerMessage[]> {
    const messages: ServerMessage[] = [];
    for (let m = await this.readMessage(timeoutMs); m !== null; m = await this.readMessage(timeoutMs)) {
      messages.push(m);
    }
    return messages;
  }

  /** SSLRequest; returns the server's one-byte answer ('S' or 'N'), or null if it closed. */
  async requestSsl(): Promise<string | null> {
    this.write(createSSLRequest());
    const answer = await this.readBytes(1);
    return answer === null ? null : answer.toString('latin1');
  }

  /**
   * SSLRequest, for a server that may refuse before answering it: 'S' or 'N', the fields of the ErrorResponse
   * it sent instead, or null if it closed without a word.
   */
  async requestSslOrError(): Promise<'S' | 'N' | Map<string, string> | null> {
    this.write(createSSLRequest());
    const first = await this.until(
      () => (this.buf.length > 0 ? this.buf[0]! : null),
      DEFAULT_TIMEOUT_MS,
      'an answer',
    );
    if (first === null) return null;
    if (first !== 0x45) return (await this.readBytes(1))?.toString('latin1') as 'S' | 'N';
    const error = await this.readMessage();
    return error === null ? null : parseErrorFields(error.body);
  }

  /** GSSENCRequest; returns the one-byte answer ('G' or 'N'), or null if the server closed. */
  async requestGssenc(): Promise<string | null> {
    this.write(createGSSENCRequest());
    const answer = await this.readBytes(1);
    return answer === null ? null : answer.toString('latin1');
  }

  /** Start TLS on this connection after the server answered 'S'. */
  async startTls(options: ConnectionOptions): Promise<TLSSocket> {
    const raw = this.socket;
    raw.off('data', this.onData);
    raw.off('close', this.onClose);
    const secure = tlsConnect({ ...options, socket: raw });
    await once(secure, 'secureConnect');
    this.socket = secure;
    this.listen(secure);
    return secure;
  }

  close(): void {
    this.socket.destroy();
  }
}

function once(emitter: Socket | TLSSocket, event: 'connect' | 'secureConnect'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    emitter.once('error', onError);
    emitter.once(event, () => {
      emitter.off('error', onError);
      resolve();
    });
  });
}

/** TLS options that verify the gateway certificate against the test CA (sslmode=verify-full). */
export function verifiedTls(caFile: string, extra: ConnectionOptions = {}): ConnectionOptions {
  return { ca: readFileSync(caFile, 'utf8'), servername: 'localhost', ...extra };
}

/** The ErrorResponse fields of the first 'E' message, or null. */
export function firstError(messages: readonly ServerMessage[]): Map<string, string> | null {
  const e = messages.find((m) => m.type === 'E');
  return e ? parseErrorFields(e.body) : null;
}

export interface StartupOptions {
  /** Omit to send no `user` parameter at all. */
  readonly user?: string;
  readonly database?: string;
  readonly password?: string;
  /** Full protocol number, e.g. 0x30002 for 3.2. */
  readonly version?: number;
  /** Extra startup parameters, sent in order after user and database. */
  readonly parameters?: ReadonlyArray<readonly [string, string]>;
}

export interface StartupResult {
  /** Every server message up to and including ReadyForQuery or ErrorResponse. */
  readonly messages: readonly ServerMessage[];
  readonly negotiate: { readonly version: number; readonly unrecognised: readonly string[] } | null;
  readonly backendKey: { readonly processId: number; readonly secretKey: Buffer } | null;
  readonly parameters: ReadonlyMap<string, string>;
  readonly error: ReadonlyMap<string, string> | null;
  readonly mechanism: string | null;
  /** True once ReadyForQuery arrived: the session is usable. */
  readonly ready: boolean;
}

/** Send a StartupMessage and run the SCRAM exchange (with -PLUS over TLS) until ReadyForQuery or an error. */
export async function startup(conn: RawPgConnection, o: StartupOptions): Promise<StartupResult> {
  const params: Array<readonly [string, string]> = [];
  if (o.user !== undefined) params.push(['user', o.user]);
  if (o.database !== undefined) params.push(['database', o.database]);
  params.push(...(o.parameters ?? []));
  conn.write(createStartupMessage(params, o.version ?? PROTOCOL_3_0));

  const messages: ServerMessage[] = [];
  const parameters = new Map<string, string>();
  let negotiate: StartupResult['negotiate'] = null;
  let backendKey: StartupResult['backendKey'] = null;
  let scram: ScramClient | null = null;
  for (;;) {
    const m = await conn.readMessage();
    if (m === null) break;
    messages.push(m);
    if (m.type === 'E') break;
    if (m.type === 'Z') break;
    if (m.type === 'v') negotiate = parseNegotiateProtocolVersion(m.body);
    if (m.type === 'K') backendKey = parseBackendKeyData(m.body);
    if (m.type === 'S') {
      const p = parseParameterStatus(m.body);
      parameters.set(p.name, p.value);
    }
    if (m.type === 'R') scram = answerAuth(conn, scram, m.body, o.password ?? '');
  }
  const last = messages.at(-1);
  return {
    messages,
    negotiate,
    backendKey,
    parameters,
    error: firstError(messages),
    mechanism: scram?.mechanism ?? null,
    ready: last?.type === 'Z',
  };
}

function answerAuth(conn: RawPgConnection, scram: ScramClient | null, body: Buffer, password: string) {
  const request = parseAuthenticationRequest(body);
  if (request.code === AUTH.sasl && 'mechanisms' in request) {
    const client = createScramClient({ password, channelBinding: channelBindingOf(conn) });
    const mechanism = client.chooseMechanism(request.mechanisms);
    conn.write(createSASLInitialResponse(mechanism, client.clientFirst()));
    return client;
  }
  if (request.code === AUTH.saslContinue && 'data' in request && scram) {
    conn.write(createSASLResponse(scram.clientFinal(request.data)));
  } else if (request.code === AUTH.saslFinal && 'data' in request && scram) {
    scram.verifyServerFinal(request.data); // the gateway must prove it knows the verifier
  } else if (request.code !== AUTH.ok) {
    throw new Error(`unexpected authentication request ${request.code}`);
  }
  return scram;
}

function channelBindingOf(conn: RawPgConnection): { certificateHash: Buffer } | null {
  if (!conn.encrypted) return null;
  const cert = (conn.socket as TLSSocket).getPeerCertificate();
  const hash = cert?.raw ? certificateHashForChannelBinding(cert.raw) : null;
  return hash ? { certificateHash: hash } : null;
}

export interface QueryResult {
  /** Text-format rows (null for SQL NULL). */
  readonly rows: ReadonlyArray<ReadonlyArray<string | null>>;
  readonly error: ReadonlyMap<string, string> | null;
}

/** Simple Query ('Q'): send `sql` and read until ReadyForQuery. */
export async function simpleQuery(conn: RawPgConnection, sql: string): Promise<QueryResult> {
  conn.write(new BufferWriter().cstring(sql).frame('Q'));
  const rows: Array<Array<string | null>> = [];
  let error: Map<string, string> | null = null;
  for (;;) {
    const m = await conn.readMessage();
    if (m === null) throw new Error('server closed the connection during a query');
    if (m.type === 'D') rows.push(parseDataRow(m.body));
    if (m.type === 'E') error ??= parseErrorFields(m.body);
    if (m.type === 'Z') return { rows, error };
  }
}

function parseDataRow(body: Buffer): Array<string | null> {
  const r = new BufferReader(body);
  const row: Array<string | null> = [];
  for (let n = r.int16(); n > 0; n--) {
    const len = r.int32();
    row.push(len < 0 ? null : r.bytes(len).toString('utf8'));
  }
  return row;
}
