// The wire adapter an engine supplies per accepted connection: the generic session pipeline (session.ts)
// calls these in order and owns everything else (deadline, admission, audit, revocation, relay).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ErrorCode, GatehouseError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Authenticated, Exchange } from './auth-method.js';
import type { BoundaryTracker } from './relay.js';

/** Who is really connected, for the backend session: the audit request id, the login method, the principal. */
export interface SessionIdentity {
  readonly requestId: string;
  readonly method: string;
  /** The IAM principal's ARN (or an SSO identity), when the login has one; absent for a password login. */
  readonly principal?: string;
}

/** Who the client says it is, once its start-up (client-first) or handshake response (server-first) is read. */
export interface ClientHello {
  readonly user: string;
  readonly database: string;
  /** The client application's own name (PostgreSQL `application_name`), when it sent one. */
  readonly application?: string;
}

/**
 * What the connection turned out to be: a login, or something else the engine serves by itself and then
 * closes (a PostgreSQL CancelRequest). The pre-authentication deadline stops before `serve` runs.
 */
export type Opened =
  | { readonly kind: 'login'; readonly hello: ClientHello }
  | { readonly kind: 'other'; serve(log: Logger): Promise<void> };

/** A backend session logged in as the database user, not yet relaying. */
export interface BackendLogin {
  /** Operator log fields for "session started" (the backend's process id). */
  readonly logFields: Readonly<Record<string, string | number>>;
  /** The backend's own id for the session (PostgreSQL: its process id), recorded in the db.connect event. */
  readonly backendPid?: number;
  /** Give up on it (the client went away while it was being opened). */
  close(): void;
}

/** The two streams to relay, after the welcome was sent, and how to end the session at a message boundary. */
export interface RelayEnds {
  readonly client: Socket;
  readonly backend: Socket;
  /** Follows the backend's message framing, so a revocation ends the session between messages. */
  readonly boundaries: BoundaryTracker | null;
  /** Called once when the relay has ended (the engine forgets per-session state such as cancel keys). */
  ended(): void;
  /**
   * Called once, right after the relay's pipes are attached and before any byte is relayed: an engine's own taps
   * (`'data'` listeners) attached here run after each chunk was forwarded (statement events).
   */
  started?(): void;
}

export interface WireSession<B extends BackendLogin = BackendLogin> {
  /** Whether the client's side of the session is inside TLS (now). */
  readonly encrypted: boolean;
  /** The client's TLS socket once encrypted (protocol and cipher for the audit event), else null. */
  readonly tlsSocket: TLSSocket | null;
  /**
   * Negotiate transport and read who the client is. A client-first protocol (PostgreSQL) reads its start-up
   * message; a server-first one (MySQL) sends its greeting first, then reads the handshake response.
   */
  open(): Promise<Opened>;
  /** Run one exchange of the shape the auth method chose, translated into this protocol's messages. */
  authenticate(exchange: Exchange): Promise<Authenticated>;
  /**
   * Log in to the backend as `user` with Gatehouse's own secret for it, telling the backend session who is really
   * connected (the engine decides how: PostgreSQL start-up settings, see docs/audit.md "Identity in the database").
   */
  connect(user: string, secret: string, identity: SessionIdentity): Promise<B>;
  /** Send the welcome (after the method's `final`), hand both streams over for relaying. */
  welcome(backend: B, authenticated: Authenticated): RelayEnds;
  /** The last message of a session ended while relaying (revocation), in this protocol's framing. */
  terminateMessage(error: GatehouseError): Buffer;
  /** The code a refusal is recorded under; null when the client simply went away (an abandoned attempt). */
  refusalCode(error: unknown): ErrorCode | null;
  /** Refuse before relaying: tell the client why (with the request id), log it, close. */
  refuse(error: unknown, requestId: string, log: Logger): void;
  /** Fail every pending read and handshake (the pre-authentication deadline, with the error to send). */
  abort(error: GatehouseError): void;
  /** Destroy every socket of the attempt (a client that did not leave after its refusal). */
  destroy(): void;
  /** The client went away before relaying. */
  readonly gone: boolean;
}
