// The step-wise authenticator contract every challenge-response method (scram; gssapi later) implements:
// start(mechanism, first message) → step(message) … until success or failure.
import type { ErrorCode } from '../core/errors.js';

/** Who authenticated, and how (recorded in audit events and used for authorisation). */
export interface AuthIdentity {
  user: string;
  method: string;
}

/**
 * One turn of an authentication exchange.
 * - challenge: the engine sends the data to the client (PostgreSQL: AuthenticationSASLContinue) and waits for more.
 * - success: the engine sends `final` first when non-null (AuthenticationSASLFinal), then its welcome.
 * - failure: the engine refuses with `code`; `detail` is for the operator log and audit only, never the client.
 */
export type AuthStep =
  | { kind: 'challenge'; data: Buffer }
  | { kind: 'success'; final: Buffer | null; identity: AuthIdentity }
  | { kind: 'failure'; code: AuthFailureCode; detail: string };

/** The codes an exchange can fail with: the method turns each into a refusal with its own parameters. */
export type AuthFailureCode = Extract<
  ErrorCode,
  'GH_AUTH_FAILED' | 'GH_AUTH_METHOD_MISMATCH' | 'GH_PROTOCOL_VIOLATION' | 'GH_SCRAM_CHANNEL_BINDING'
>;

export interface Authenticator {
  readonly method: string;
  /** The client's first message, with the mechanism it chose among those offered. */
  start(mechanism: string, data: Buffer): AuthStep | Promise<AuthStep>;
  step(message: Buffer): AuthStep | Promise<AuthStep>;
}

/** Shorthand for a failure step. */
export function authFailure(code: AuthFailureCode, detail: string): AuthStep {
  return { kind: 'failure', code, detail };
}
