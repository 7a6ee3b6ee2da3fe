// A toy third engine that proves the engine seam: a line protocol in which the server speaks first, with a
// STARTTLS upgrade and a cleartext secret inside TLS, relayed to an echo backend. It is built only from
// src/engines/common (plus the core's error type and the provisioner contract): no PostgreSQL code.
//
//   server: TOY 1 <nonce>            (greeting, before the client says anything)
//   client: STARTTLS                 server: GO, then a TLS handshake
//   client: LOGIN <user> <database>
//   server: SECRET?                  (the method's `cleartext` shape; the toy speaks no SASL)
//   client: SECRET <secret>
//   server: WELCOME <method>         then every line is relayed to the backend and back
//   server: ERROR <code> <message>   refusal (before relaying) or termination (revocation), then close
//
// The backend: Gatehouse sends `AUTH <user> <secret>`, the backend answers READY, then echoes `ECHO <line>`.
import { randomBytes } from 'node:crypto';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { type ErrorCode, GatehouseError, toGatehouseError } from '../../src/core/errors.js';
import type { Authenticated, Exchange } from '../../src/engines/common/auth-method.js';
import { ClientGoneError } from '../../src/engines/common/client-gone.js';
import { ClientReader, type ReadBuffer } from '../../src/engines/common/client-reader.js';
import type { EngineDefinition, EngineDeps } from '../../src/engines/common/engine.js';
import type { InstanceSettings } from '../../src/engines/common/instance.js';
import type { BoundaryTracker } from '../../src/engines/common/relay.js';
import type {
  BackendLogin,
  Opened,
  RelayEnds,
  SessionIdentity,
  WireSession,
} from '../../src/engines/common/wire.js';
import type { AdminSession, BackendProvisioner, BackendTarget } from '../../src/provisioning/provisioner.js';

const MAX_LINE = 8192;

/** `\n`-terminated lines, bounded. */
class LineBuffer implements ReadBuffer {
  private data = Buffer.alloc(0);
  push(chunk: Buffer): void {
    this.data = Buffer.concat([this.data, chunk]);
  }
  get pending(): number {
    return this.data.length;
  }
  nextLine(): string | null {
    const end = this.data.indexOf(0x0a);
    if (end < 0) {
      if (this.data.length > MAX_LINE) {
        throw new GatehouseError('GH_PACKET_TOO_LARGE', { size: this.data.length, limit: MAX_LINE });
      }
      return null;
    }
    const text = this.data.subarray(0, end).toString('utf8');
    this.data = this.data.subarray(end + 1);
    return text;
  }
}

/** Reads lines off a socket that may be swapped for its TLS wrapping: the core's ClientReader, line-framed. */
export class LineReader extends ClientReader<LineBuffer> {
  constructor(socket: Socket) {
    super(socket, new LineBuffer());
  }
  line(): Promise<string> {
    return this.until(() => this.buffer.nextLine());
  }
  get pending(): number {
    return this.buffer.pending;
  }
}

/** Line boundaries on the backend's stream: a revocation's ERROR line never lands inside an ECHO line. */
class LineBoundaries implements BoundaryTracker {
  private inLine = false;
  get atBoundary(): boolean {
    return !this.inLine;
  }
  feed(chunk: Buffer, stopAtBoundary = false): number {
    for (let i = 0; i < chunk.length; i++) {
      this.inLine = chunk[i] !== 0x0a;
      if (stopAtBoundary && !this.inLine) return i + 1;
    }
    return chunk.length;
  }
}

const violation = (reason: string) => new GatehouseError('GH_PROTOCOL_VIOLATION', { reason });

interface ToyBackendLogin extends BackendLogin {
  readonly socket: Socket;
}

class ToyWireSession implements WireSession<ToyBackendLogin> {
  private readonly reader: LineReader;
  private user = '';

  constructor(
    private readonly socket: Socket,
    private readonly instance: InstanceSettings,
    private readonly deps: EngineDeps,
  ) {
    this.reader = new LineReader(socket);
  }

  get tlsSocket(): TLSSocket | null {
    return this.reader.tlsSocket;
  }

  get encrypted(): boolean {
    return this.reader.encrypted;
  }

  get gone(): boolean {
    return this.reader.socket.destroyed;
  }

  async open(): Promise<Opened> {
    this.reader.socket.write(`TOY 1 ${randomBytes(8).toString('hex')}\n`); // server-first
    let line = await this.reader.line();
    if (line === 'STARTTLS') {
      const tls = this.deps.tls;
      if (!tls) throw new GatehouseError('GH_TLS_UNAVAILABLE');
      if (this.reader.pending > 0) throw new GatehouseError('GH_UNENCRYPTED_AFTER_SSL');
      const raw = this.reader.detach();
      raw.write('GO\n');
      const secure = new TLSSocket(raw, { isServer: true, secureContext: tls.secureContext });
      await new Promise<void>((resolve, reject) => {
        secure.once('secure', resolve);
        secure.once('error', reject);
      });
      this.reader.attach(secure);
      line = await this.reader.line();
    }
    const [verb, user, database, ...rest] = line.split(' ');
    if (verb !== 'LOGIN' || !user || !database || rest.length > 0)
      throw violation('expected LOGIN <user> <database>');
    if (this.instance.forceSsl && !this.encrypted) {
      throw new GatehouseError('GH_SSL_REQUIRED', { instance: this.instance.identifier });
    }
    this.user = user;
    return { kind: 'login', hello: { user, database } };
  }

  async authenticate(exchange: Exchange): Promise<Authenticated> {
    if (exchange.shape !== 'cleartext') {
      throw new GatehouseError('GH_AUTH_METHOD_MISMATCH', {
        user: this.user,
        reason: 'this protocol carries only a cleartext secret inside TLS',
      });
    }
    this.reader.socket.write('SECRET?\n');
    const line = await this.reader.line();
    if (!line.startsWith('SECRET ')) throw violation('expected SECRET <secret>');
    const secret = line.slice('SECRET '.length);
    if (Buffer.byteLength(secret) > exchange.maxSecretBytes)
      throw exchange.tooLarge(Buffer.byteLength(secret));
    return exchange.verify(secret);
  }

  async connect(user: string, secret: string, _identity: SessionIdentity): Promise<ToyBackendLogin> {
    const { host, port } = this.instance.backend;
    const socket = netConnect({ host, port });
    const reader = new LineReader(socket);
    socket.write(`AUTH ${user} ${secret}\n`);
    const answer = await reader.line().catch(() => 'GONE');
    reader.detach();
    if (answer !== 'READY') {
      socket.destroy();
      throw new GatehouseError('GH_BACKEND_REFUSED', { instance: this.instance.identifier });
    }
    return { socket, logFields: {}, close: () => socket.destroy() };
  }

  welcome(backend: ToyBackendLogin, authenticated: Authenticated): RelayEnds {
    const client = this.reader.detach();
    client.write(`WELCOME ${authenticated.method}\n`);
    return { client, backend: backend.socket, boundaries: new LineBoundaries(), ended: () => {} };
  }

  terminateMessage(error: GatehouseError): Buffer {
    return Buffer.from(`ERROR ${error.code} ${error.clientMessage()}\n`);
  }

  refusalCode(error: unknown): ErrorCode | null {
    return error instanceof ClientGoneError ? null : toGatehouseError(error).code;
  }

  refuse(error: unknown, requestId: string, log: { warn(o: object, m: string): void }): void {
    const socket = this.reader.detach();
    if (error instanceof ClientGoneError) {
      socket.destroy();
      return;
    }
    const gh = toGatehouseError(error).withRequestId(requestId);
    log.warn({ code: gh.code, detail: gh.detail }, gh.message);
    socket.end(this.terminateMessage(gh));
  }

  abort(error: GatehouseError): void {
    this.reader.abort(error);
  }

  destroy(): void {
    this.socket.destroy();
    this.reader.socket.destroy();
  }
}

/** The backend's accounts: user → the secret Gatehouse provisioned for it. */
export type ToyAccounts = Map<string, string>;

function toyProvisioner(accounts: ToyAccounts): BackendProvisioner {
  const parseBackendUrl = (text: string): BackendTarget => {
    const url = new URL(text);
    if (url.protocol !== 'toy:') throw new Error(`not a toy:// URL: ${text}`);
    return {
      host: url.hostname,
      port: Number(url.port),
      sslMode: 'disable',
      sslRootCert: undefined,
      database: url.pathname.slice(1),
      adminUser: decodeURIComponent(url.username),
      adminPassword: undefined,
    };
  };
  const session: AdminSession = {
    async upsertLoginRole(username, secret) {
      const existed = accounts.has(username);
      accounts.set(username, secret);
      return existed ? 'adopted' : 'created';
    },
    async retireLoginRole(username) {
      return accounts.delete(username) ? 'dropped' : 'absent';
    },
    async setLoginSecret(username, secret) {
      accounts.set(username, secret);
    },
    async findRole(username) {
      return accounts.has(username) ? { canLogin: true, superuser: false } : null;
    },
    async ensureIamRole() {},
    // The toy backend has no session-identity mechanism: nothing to install, nothing granted.
    async installSessionIdentity() {},
    grantSessionIdentity: async () => false,
    async grantIam() {},
    async listIamLoginRoles() {
      return new Set<string>();
    },
    async close() {},
  };
  return {
    engine: 'toy',
    iamRole: 'toy_iam',
    parseBackendUrl,
    redactBackendUrl: (text) => text,
    checkRoleName: () => null,
    connect: async () => session,
    checkBackend: async () => {},
  };
}

/** The toy engine's registration: its name, its wire, its provisioner. */
export function toyEngine(accounts: ToyAccounts): EngineDefinition {
  return {
    name: 'toy',
    provisioner: toyProvisioner(accounts),
    createProtocol: (deps) => ({
      accept: (socket, instance) => new ToyWireSession(socket, instance, deps),
      refuseAtAccept: (socket, error) => socket.end(`ERROR ${error.code} ${error.clientMessage()}\n`),
    }),
  };
}

/** The echo backend: `AUTH <user> <secret>` must match an account, then each line comes back as `ECHO <line>`. */
export async function startEchoBackend(accounts: ToyAccounts): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    const reader = new LineReader(socket);
    void (async () => {
      const [verb, user, secret] = (await reader.line()).split(' ');
      if (verb !== 'AUTH' || !user || accounts.get(user) !== secret) {
        socket.end('DENIED\n');
        return;
      }
      socket.write('READY\n');
      for (;;) socket.write(`ECHO ${await reader.line()}\n`);
    })().catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, server };
}
