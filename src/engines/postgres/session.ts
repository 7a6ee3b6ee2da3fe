// PostgreSQL's wire adapter for the generic session pipeline: client-first start-up (SSLRequest, GSSENC,
// CancelRequest, direct TLS, StartupMessage), auth messages, backend login, welcome, FATAL refusals.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type ErrorCode, GatehouseError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import {
  createAuthenticationOk,
  createAuthenticationSASLFinal,
  createBackendKeyData,
  createErrorResponse,
  createReadyForQuery,
} from '../../protocol/postgres/index.js';
import { claimSessionSql } from '../../provisioning/postgres/session-identity.js';
import type { Authenticated, Exchange } from '../common/auth-method.js';
import type { EngineDeps } from '../common/engine.js';
import type { InstanceSettings } from '../common/instance.js';
import type { BackendLogin, Opened, RelayEnds, SessionIdentity, WireSession } from '../common/wire.js';
import { authenticate } from './authenticate.js';
import { type CancelRegistry, forwardCancel } from './cancel.js';
import { pgErrorFields } from './error-wire.js';
import { PgFrameTracker } from './frames.js';
import { FrontendConnection } from './frontend-connection.js';
import { negotiate, type StartupRequest } from './negotiate.js';
import { refusalCode, refuse } from './refuse.js';
import { observeStatements } from './statement-audit.js';
import { connectUpstream, type Upstream } from './upstream.js';

interface PgBackendLogin extends BackendLogin {
  readonly upstream: Upstream;
}

export class PgWireSession implements WireSession<PgBackendLogin> {
  private readonly conn: FrontendConnection;
  private startup: StartupRequest | null = null;
  private identity: SessionIdentity | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly instance: InstanceSettings,
    private readonly deps: EngineDeps,
    private readonly cancels: CancelRegistry,
  ) {
    this.conn = new FrontendConnection(socket);
  }

  get encrypted(): boolean {
    return this.conn.encrypted;
  }

  get tlsSocket(): TLSSocket | null {
    return this.conn.tlsSocket;
  }

  get gone(): boolean {
    return this.conn.socket.destroyed;
  }

  async open(): Promise<Opened> {
    const negotiated = await negotiate(this.conn, this.instance, this.deps);
    if (negotiated.kind === 'cancel') {
      return {
        kind: 'other',
        serve: async (log: Logger) => {
          this.conn.close(); // never reply to a CancelRequest
          const target = this.cancels.find(negotiated.processId, negotiated.secretKey);
          log.info({ forwarded: target !== null }, 'cancel request');
          if (target) await forwardCancel(target, this.deps.limits.backendConnectTimeoutMs);
        },
      };
    }
    this.startup = negotiated.startup;
    const application = negotiated.startup.parameters.find(([k]) => k === 'application_name')?.[1];
    return {
      kind: 'login',
      hello: {
        user: negotiated.startup.user,
        database: negotiated.startup.database,
        ...(application !== undefined && application !== '' ? { application } : {}),
      },
    };
  }

  authenticate(exchange: Exchange): Promise<Authenticated> {
    return authenticate(this.conn, exchange, this.deps.limits);
  }

  async connect(user: string, secret: string, identity: SessionIdentity): Promise<PgBackendLogin> {
    const startup = this.started();
    this.identity = identity;
    const upstream = await connectUpstream({
      instance: this.instance.identifier,
      backend: this.instance.backend,
      user,
      password: secret,
      database: startup.database,
      parameters: withIdentity(startup.parameters, identity),
      afterLogin: claimSessionSql(identity),
      timeoutMs: this.deps.limits.backendConnectTimeoutMs,
    });
    const failed = upstream.afterLoginError;
    // A read-only replica (BEGIN READ WRITE refused during recovery) cannot record anyone: nobody can claim
    // there, and gatehouse.session_principal() is NULL. Any other failure refuses the login: the session must
    // not reach the client without the identity the database relies on.
    if (failed && !(failed.sqlstate === '25006' && failed.idle)) {
      upstream.socket.destroy();
      throw new GatehouseError(
        'GH_SESSION_IDENTITY_FAILED',
        { instance: this.instance.identifier },
        { detail: `${failed.message} (SQLSTATE ${failed.sqlstate})` },
      );
    }
    return {
      upstream,
      backendPid: upstream.backendKey.processId,
      logFields: {
        backendPid: upstream.backendKey.processId,
        ...(failed ? { sessionIdentity: 'none: read-only replica' } : {}),
      },
      close: () => upstream.socket.destroy(),
    };
  }

  /** AuthenticationOk, the backend's ParameterStatus verbatim, our own BackendKeyData, ReadyForQuery. */
  welcome(backend: PgBackendLogin, authenticated: Authenticated): RelayEnds {
    const { upstream } = backend;
    let live = true;
    const key = this.cancels.register(
      { backend: this.instance.backend, backendKey: upstream.backendKey, live: () => live },
      this.started().protocolMinor,
    );
    const welcome = [
      ...(authenticated.final ? [createAuthenticationSASLFinal(authenticated.final)] : []),
      createAuthenticationOk(),
      ...upstream.startupFrames,
      createBackendKeyData(key.processId, key.secretKey),
      createReadyForQuery('I'),
      upstream.leftover,
    ];
    const pipelined = this.conn.buffer.takeRemaining();
    const client = this.conn.detach();
    client.write(Buffer.concat(welcome));
    if (pipelined.length > 0) upstream.socket.write(pipelined);
    // Every session can be ended between two messages (revocation, shutdown) and told apart idle or busy (drain):
    // the tracker reads message headers only, and starts with what was already passed on.
    const boundaries = new PgFrameTracker();
    boundaries.feed(upstream.leftover);
    boundaries.fromClient(pipelined);
    return {
      client,
      backend: upstream.socket,
      boundaries,
      ended: () => {
        live = false;
        this.cancels.unregister(key.processId);
      },
      // Statement events: only on an instance that asks for them; the others never look at a statement.
      ...(this.instance.statementAudit.classes.length > 0
        ? { started: () => this.observe(client, upstream, pipelined) }
        : {}),
    };
  }

  /** Taps for statement events (docs/audit.md "Statement events"), beside the relay's pipes. */
  private observe(client: Socket, upstream: Upstream, pipelined: Buffer): void {
    const identity = this.identity;
    const startup = this.started();
    if (!identity) return;
    const log = this.deps.logger.child({ requestId: identity.requestId, instance: this.instance.identifier });
    try {
      observeStatements(
        client,
        upstream.socket,
        {
          settings: this.instance.statementAudit,
          session: {
            requestId: identity.requestId,
            instance: this.instance.identifier,
            dbUser: startup.user,
            database: startup.database,
            ...(identity.principal !== undefined ? { principalArn: identity.principal } : {}),
            source: `${this.socket.remoteAddress}:${this.socket.remotePort}`,
          },
          audit: this.deps.audit,
          clock: this.deps.clock,
          logger: log,
        },
        { fromBackend: upstream.leftover, fromClient: pipelined },
      );
    } catch (error) {
      log.warn({ err: error }, 'statement events could not start for this session');
    }
  }

  terminateMessage(error: GatehouseError): Buffer {
    return createErrorResponse({ severity: 'FATAL', ...pgErrorFields(error) });
  }

  refusalCode(error: unknown): ErrorCode | null {
    return refusalCode(error);
  }

  refuse(error: unknown, requestId: string, log: Logger): void {
    refuse(this.conn, error, requestId, log);
  }

  abort(error: GatehouseError): void {
    this.conn.abort(error);
  }

  destroy(): void {
    this.socket.destroy();
    this.conn.socket.destroy();
  }

  private started(): StartupRequest {
    if (!this.startup) throw new Error('PostgreSQL session used before its start-up was read');
    return this.startup;
  }
}

/** PostgreSQL keeps at most NAMEDATALEN - 1 bytes of application_name. */
const APPLICATION_NAME_BYTES = 63;

/**
 * The client's start-up settings as the backend session gets them: `gatehouse.*` as Gatehouse sets them (a
 * client's own are dropped), and `application_name` with `[gh:REQUEST_ID]` appended to the client's value (cut
 * so the suffix always fits), so the database's own logs (`%a` in log_line_prefix, pgaudit) lead to the audit
 * event that names the real principal. These settings are informative: the session can change them with SET;
 * `gatehouse.session_principal()` is the one to trust (docs/audit.md).
 */
export function withIdentity(
  parameters: ReadonlyArray<readonly [string, string]>,
  identity: SessionIdentity,
): Array<readonly [string, string]> {
  const suffix = `[gh:${identity.requestId}]`;
  const own = parameters.find(([k]) => k === 'application_name')?.[1] ?? '';
  const room = APPLICATION_NAME_BYTES - Buffer.byteLength(suffix) - 1;
  const kept = Buffer.from(own, 'utf8')
    .subarray(0, Math.max(0, room))
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  const applicationName = kept === '' ? suffix : `${kept} ${suffix}`;
  return [
    ...parameters
      .filter(([k]) => k !== 'application_name' && !k.toLowerCase().startsWith('gatehouse.'))
      .map(([k, v]) => (k === 'options' ? ([k, withoutGatehouseOptions(v)] as const) : ([k, v] as const))),
    ['application_name', applicationName],
    ['gatehouse.request_id', identity.requestId],
    ['gatehouse.auth_method', identity.method],
    ...(identity.principal !== undefined ? [['gatehouse.principal', identity.principal] as const] : []),
  ];
}

/**
 * The `options` start-up setting without `-c gatehouse.…` / `--gatehouse.…` settings (PostgreSQL splits it on
 * unescaped spaces, `\ ` being a literal space), so a client cannot set the informative settings at start-up
 * by that route either.
 */
export function withoutGatehouseOptions(options: string): string {
  const tokens: string[] = [];
  let current = '';
  for (let i = 0; i < options.length; i++) {
    const ch = options[i] as string;
    if (ch === '\\' && i + 1 < options.length) {
      current += ch + (options[i + 1] as string);
      i++;
    } else if (/\s/.test(ch)) {
      if (current !== '') tokens.push(current);
      current = '';
    } else current += ch;
  }
  if (current !== '') tokens.push(current);
  const ours = (setting: string) => setting.replaceAll('\\', '').toLowerCase().startsWith('gatehouse.');
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (t === '-c' && i + 1 < tokens.length && ours(tokens[i + 1] as string)) {
      i++;
      continue;
    }
    if ((t.startsWith('-c') && t.length > 2 && ours(t.slice(2))) || (t.startsWith('--') && ours(t.slice(2))))
      continue;
    kept.push(t);
  }
  return kept.join(' ');
}
