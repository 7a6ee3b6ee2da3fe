// Step 3: log in to the backend as the mapped user with the Gatehouse-held secret; collect its start-up state.
import { createHash } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { createScramClient } from '../../auth/scram/client.js';
import { type BackendEndpoint, backendTlsOptions } from '../../core/backend-tls.js';
import { GatehouseError } from '../../core/errors.js';
import {
  AUTH,
  createPasswordMessage,
  createQuery,
  createSASLInitialResponse,
  createSASLResponse,
  createSSLRequest,
  createStartupMessage,
  MessageBuffer,
  parseAuthenticationRequest,
  parseBackendKeyData,
  parseErrorFields,
  type RawMessage,
} from '../../protocol/postgres/index.js';

export interface UpstreamRequest {
  readonly instance: string;
  readonly backend: BackendEndpoint;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly parameters: ReadonlyArray<readonly [string, string]>;
  readonly timeoutMs: number;
  /**
   * One statement run on the new session once logged in, before it is handed over (the session-identity claim):
   * its result is discarded; its error (if any) is reported in `afterLoginError` and the caller decides.
   */
  readonly afterLogin?: string;
}

export interface Upstream {
  readonly socket: Socket | TLSSocket;
  /** Raw ParameterStatus and NoticeResponse frames, in order, to replay to the client. */
  readonly startupFrames: Buffer[];
  readonly backendKey: { processId: number; secretKey: Buffer };
  /** Bytes the backend sent after ReadyForQuery (normally none). */
  readonly leftover: Buffer;
  /** The backend's error for `afterLogin`, when it failed, and whether the session was left idle. */
  readonly afterLoginError?: { readonly message: string; readonly sqlstate: string; readonly idle: boolean };
}

/** An ErrorResponse from the backend during start-up, kept whole so the client can be told faithfully. */
export class BackendStartupError extends Error {
  constructor(readonly fields: Map<string, string>) {
    super(fields.get('M') ?? 'backend error');
    this.name = 'BackendStartupError';
  }
  get sqlstate(): string {
    return this.fields.get('C') ?? 'XX000';
  }
}

class BackendReader {
  private readonly buffer = new MessageBuffer();
  private waiting: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(readonly socket: Socket | TLSSocket) {
    socket.on('data', this.onData);
    socket.on('error', this.onFail);
    socket.on('close', this.onClose);
    socket.resume();
  }
  private onData = (c: Buffer) => {
    this.buffer.push(c);
    this.notify();
  };
  private onFail = (e: Error) => {
    this.failure ??= e;
    this.notify();
  };
  private onClose = () => this.onFail(new Error('backend closed the connection during start-up'));
  private notify() {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }
  async next(): Promise<RawMessage> {
    for (;;) {
      const m = this.buffer.nextMessage(1 << 24);
      if (m) return m;
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => {
        this.waiting = r;
      });
    }
  }
  release(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onFail);
    this.socket.off('close', this.onClose);
    this.socket.pause();
    return this.buffer.takeRemaining();
  }
}

function openTcp(backend: BackendEndpoint): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: backend.host, port: backend.port });
    s.once('connect', () => {
      s.off('error', reject);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** SSLRequest, then exactly one byte (CVE-2021-23222: never read past it before the handshake). */
async function negotiateTls(raw: Socket, backend: BackendEndpoint): Promise<Socket | TLSSocket> {
  const options = await backendTlsOptions(backend);
  if (options === false) return raw;
  raw.write(createSSLRequest());
  const answer = await new Promise<number>((resolve, reject) => {
    const onReadable = () => {
      const b = raw.read(1) as Buffer | null;
      if (b) {
        raw.off('readable', onReadable);
        resolve(b[0] as number);
      }
    };
    raw.on('readable', onReadable);
    raw.once('error', reject);
    raw.once('end', () => reject(new Error('backend closed after SSLRequest')));
  });
  if (answer === 0x4e /* N */) {
    if (backend.sslMode === 'prefer') return raw;
    throw new Error(`backend does not support TLS but sslmode=${backend.sslMode}`);
  }
  if (answer !== 0x53 /* S */) throw new Error('backend sent an invalid answer to SSLRequest');
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ ...options, socket: raw }, () => resolve(s));
    s.once('error', reject);
  });
}

async function login(
  reader: BackendReader,
  req: UpstreamRequest,
): Promise<Omit<Upstream, 'leftover' | 'socket'>> {
  const send = (b: Buffer) => reader.socket.write(b);
  send(createStartupMessage([['user', req.user], ['database', req.database], ...req.parameters]));
  let scram: ReturnType<typeof createScramClient> | null = null;
  const startupFrames: Buffer[] = [];
  let backendKey: Upstream['backendKey'] | null = null;
  for (;;) {
    const m = await reader.next();
    switch (m.type) {
      case 'R': {
        const auth = parseAuthenticationRequest(m.body);
        if (auth.code === AUTH.ok) break;
        if (auth.code === AUTH.cleartextPassword) send(createPasswordMessage(req.password));
        else if ('salt' in auth) {
          const inner = createHash('md5')
            .update(req.password + req.user)
            .digest('hex');
          send(
            createPasswordMessage(`md5${createHash('md5').update(inner).update(auth.salt).digest('hex')}`),
          );
        } else if ('mechanisms' in auth) {
          if (!auth.mechanisms.includes('SCRAM-SHA-256'))
            throw new Error(`unsupported SASL mechanisms ${auth.mechanisms}`);
          scram = createScramClient({ password: req.password });
          send(createSASLInitialResponse('SCRAM-SHA-256', scram.clientFirst()));
        } else if ('data' in auth && scram && auth.code === AUTH.saslContinue) {
          send(createSASLResponse(scram.clientFinal(auth.data)));
        } else if ('data' in auth && scram && auth.code === AUTH.saslFinal) {
          scram.verifyServerFinal(auth.data); // the backend must prove it holds our verifier
        } else throw new Error(`unsupported backend authentication request ${auth.code}`);
        break;
      }
      case 'S':
      case 'N':
        startupFrames.push(frame(m));
        break;
      case 'K':
        backendKey = parseBackendKeyData(m.body);
        break;
      case 'v': // NegotiateProtocolVersion: we asked for 3.0, nothing to adjust
        break;
      case 'E':
        throw new BackendStartupError(parseErrorFields(m.body));
      case 'Z':
        if (!backendKey) throw new Error('backend sent no BackendKeyData');
        return { startupFrames, backendKey };
      default:
        throw new Error(`unexpected backend message "${m.type}" during start-up`);
    }
  }
}

/**
 * Run `sql` on the logged-in session and wait for its ReadyForQuery. A ParameterStatus it causes is kept for the
 * client (its view of the session must match); notices and results are dropped; an error is returned.
 */
async function runAfterLogin(
  reader: BackendReader,
  sql: string,
  state: { startupFrames: Buffer[] },
): Promise<Upstream['afterLoginError']> {
  reader.socket.write(createQuery(sql));
  let error: { message: string; sqlstate: string } | undefined;
  for (;;) {
    const m = await reader.next();
    switch (m.type) {
      case 'S':
        state.startupFrames.push(frame(m));
        break;
      case 'E': {
        const fields = parseErrorFields(m.body);
        error = { message: fields.get('M') ?? 'error', sqlstate: fields.get('C') ?? 'XX000' };
        break;
      }
      case 'Z': {
        const idle = m.body[0] === 0x49; /* I */
        if (error) return { ...error, idle };
        if (!idle) return { message: 'the session was left inside a transaction', sqlstate: '25000', idle };
        return undefined;
      }
      default: // CommandComplete, NoticeResponse, EmptyQueryResponse
        break;
    }
  }
}

function frame(m: RawMessage): Buffer {
  const header = Buffer.allocUnsafe(5);
  header.write(m.type, 0, 'latin1');
  header.writeInt32BE(m.body.length + 4, 1);
  return Buffer.concat([header, m.body]);
}

/** The backend connect deadline passed (backend.connectTimeoutSeconds). */
class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/** How far the start-up got: no TCP connection yet, TCP up (SSLRequest/TLS), or logging in. */
type Stage = 'tcp' | 'tls' | 'login';

/**
 * Connect and log in. Failures become GH_BACKEND_UNREACHABLE (no TCP/TLS connection), GH_BACKEND_TIMEOUT
 * (TCP accepted, start-up not finished within `timeoutMs`), GH_BACKEND_REFUSED (it answered and refused), or
 * the backend's own error about the client's request.
 */
export async function connectUpstream(req: UpstreamRequest): Promise<Upstream> {
  let socket: Socket | TLSSocket | null = null;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(req.timeoutMs)), req.timeoutMs);
  });
  let stage: Stage = 'tcp';
  let tcp: Socket | null = null;
  let abandoned = false;
  try {
    return await Promise.race([
      timeout,
      (async () => {
        const raw = await openTcp(req.backend);
        if (abandoned) raw.destroy(); // the deadline passed while connecting: do not leak the socket
        socket = raw;
        tcp = raw;
        stage = 'tls';
        socket = await negotiateTls(raw, req.backend);
        stage = 'login';
        const reader = new BackendReader(socket);
        const state = await login(reader, req);
        const afterLoginError =
          req.afterLogin === undefined ? undefined : await runAfterLogin(reader, req.afterLogin, state);
        return {
          socket,
          ...state,
          leftover: reader.release(),
          ...(afterLoginError !== undefined ? { afterLoginError } : {}),
        };
      })(),
    ]);
  } catch (e) {
    abandoned = true;
    (socket as Socket | null)?.destroy();
    throw classify(e, req.instance, stage, (tcp as Socket | null)?.bytesRead ?? 0);
  } finally {
    clearTimeout(timer);
  }
}

function classify(e: unknown, instance: string, stage: Stage, received: number): Error {
  if (e instanceof BackendStartupError) {
    // Errors about the client's request (database does not exist, too many connections, …) are passed
    // through; authentication failures of Gatehouse's own secret are an operator problem.
    if (e.sqlstate.startsWith('28') || e.sqlstate === '57P03') {
      return new GatehouseError(
        'GH_BACKEND_REFUSED',
        { instance },
        { detail: `${e.sqlstate} ${e.message}`, cause: e },
      );
    }
    return e;
  }
  const detail = e instanceof Error ? e.message : String(e);
  if (e instanceof DeadlineError && stage !== 'tcp') {
    // It accepted TCP and then stalled: hung, overloaded, or not PostgreSQL. Not a refusal: nothing said no.
    const at = stage === 'tls' ? 'the SSLRequest or TLS handshake' : 'the login';
    return new GatehouseError(
      'GH_BACKEND_TIMEOUT',
      { instance, ms: e.ms },
      { detail: `TCP connected, then ${detail} during ${at} (${received} bytes received)`, cause: e },
    );
  }
  return stage === 'login'
    ? new GatehouseError('GH_BACKEND_REFUSED', { instance }, { detail, cause: e })
    : new GatehouseError('GH_BACKEND_UNREACHABLE', { instance }, { detail, cause: e });
}
