// The auth-method seam: each login method says, in engine-neutral terms, how it talks on the wire and what a
// successful login yields; each engine translates those shapes into its own messages. Methods are looked up
// by the login's kind, so a new method is one plug-in and one registry entry, never a branch in an engine.
import type { GatehouseError } from '../../core/errors.js';
import type { DbEngine } from '../../core/types.js';
import type { InstanceSettings } from './instance.js';
import type { EngineLimits } from './limits.js';
import type { Login, LoginDirectory, LoginKind } from './login.js';

/** What a method knows of the attempt when it starts. */
export interface AuthRequest {
  readonly instance: InstanceSettings;
  readonly user: string;
  /** The client's session is inside TLS. */
  readonly encrypted: boolean;
  /** The client's address as the socket reports it (policies see it as aws:SourceIp). */
  readonly sourceIp: string;
  /** tls-server-end-point hash for channel binding, when the session is TLS and the certificate allows it. */
  readonly certificateHash: Buffer | null;
  readonly limits: EngineLimits;
  readonly logins: LoginDirectory;
}

/** Who did what, as far as known: filled in as authentication proceeds, for the attempt's audit event. */
export interface AttemptFacts {
  method: string;
  principalArn?: string;
  accessKeyId?: string;
}

/** A session whose access can be revoked while it is open (re-checked on IAM changes). */
export interface RevocableIdentity {
  readonly principalArn: string;
  readonly accessKeyId: string;
}

/** What a successful login yields. */
export interface Authenticated {
  /** The method's name in logs and audit events (`scram-sha-256`, `iam`). */
  readonly method: string;
  /** The secret Gatehouse logs in to the backend with, as this user. */
  readonly backendSecret: string;
  /** The method's last word to the client (SASL server-final), sent just before the engine's welcome. */
  readonly final: Buffer | null;
  /** Operator log fields for "session started" (never secrets). */
  readonly logFields: Readonly<Record<string, string>>;
  /** Set when the session must end if the access that allowed it is revoked. */
  readonly revocable: RevocableIdentity | null;
}

/** One SASL turn: more data for the client, or done. Failures are thrown as GatehouseErrors. */
export type SaslTurn =
  | { readonly kind: 'challenge'; readonly data: Buffer }
  | { readonly kind: 'done'; readonly authenticated: Authenticated };

/**
 * How a method talks on the wire:
 * - `sasl`: a multi-step exchange of opaque messages, the client choosing one of `mechanisms` first
 *   (SCRAM-SHA-256; a GSSAPI token loop is the same shape with one mechanism).
 * - `cleartext`: one secret sent in the clear inside TLS, then verified (IAM auth tokens; LDAP and OIDC later).
 */
export type Exchange =
  | {
      readonly shape: 'sasl';
      readonly mechanisms: readonly string[];
      start(mechanism: string, data: Buffer): SaslTurn | Promise<SaslTurn>;
      step(data: Buffer): SaslTurn | Promise<SaslTurn>;
    }
  | {
      readonly shape: 'cleartext';
      /** Largest secret accepted; the engine reads up to this (or its own message cap, if larger). */
      readonly maxSecretBytes: number;
      /** The refusal for a secret of `size` bytes over the limit (so an over-long one gets its own code). */
      tooLarge(size: number): GatehouseError;
      verify(secret: string): Promise<Authenticated>;
    };

export interface AuthMethod {
  /** The login kind this method answers. */
  readonly kind: LoginKind;
  /** The engines whose wire carries it; absent: every engine (a `cleartext` method fits any protocol). */
  readonly engines?: readonly DbEngine[];
  /** The method's name in audit events before it succeeds. */
  readonly name: string;
  /**
   * Begin an attempt for `login` (null: no such user; the method must fail exactly as for a wrong secret).
   * Throws to refuse before anything is asked of the client (e.g. a token may only travel inside TLS).
   */
  begin(request: AuthRequest, login: Login | null, facts: AttemptFacts): Exchange;
}

export interface AuthMethods {
  /**
   * The method for a login on an engine. An unknown user gets the engine's password method, so that it fails
   * exactly as a wrong password does; an engine with no password method gives it `unknownUser`.
   */
  forLogin(login: Login | null, engine: DbEngine): AuthMethod;
}

export function createAuthMethods(methods: readonly AuthMethod[], unknownUser: AuthMethod): AuthMethods {
  const serves = (m: AuthMethod, kind: LoginKind, engine: DbEngine) =>
    m.kind === kind && (m.engines === undefined || m.engines.includes(engine));
  for (const [i, m] of methods.entries()) {
    const clash = methods.slice(i + 1).find((o) => o.kind === m.kind && overlap(m.engines, o.engines));
    if (clash)
      throw new Error(`two auth methods for login kind "${m.kind}" on one engine: ${m.name}, ${clash.name}`);
  }
  return {
    forLogin(login, engine) {
      const kind: LoginKind = login?.kind ?? 'password';
      const method = methods.find((m) => serves(m, kind, engine));
      if (method) return method;
      if (login === null) return unknownUser;
      throw new Error(`no auth method for login kind "${kind}" on engine "${engine}"`);
    },
  };
}

function overlap(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return a === undefined || b === undefined || a.some((e) => b.includes(e));
}
