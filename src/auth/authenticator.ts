// The step-wise authenticator contract every auth method (scram, iam-token, gssapi, ldap, oidc) implements for engines.
import type { ErrorCode } from '../core/errors.js';

/** Who authenticated, and how (recorded in audit events and used for authorisation). */
export interface AuthIdentity {
  user: string;
  method: string;
}

/**
 * One turn of an authentication exchange.
 * - challenge: the engine sends the data to the client (PostgreSQL: AuthenticationSASLContinue) and waits for more.
 * - success: the engine sends `final` first when non-null (AuthenticationSASLFinal), then AuthenticationOk.
 * - failure: the engine refuses with `code`; `detail` is for the operator log and audit only, never the client.
 */
export type AuthStep =
  | { kind: 'challenge'; data: Buffer }
  | { kind: 'success'; final: Buffer | null; identity: AuthIdentity }
  | { kind: 'failure'; code: ErrorCode; detail: string };

export interface Authenticator {
  readonly method: string;
  step(message: Buffer): AuthStep | Promise<AuthStep>;
}

/** Shorthand for a failure step. */
export function authFailure(code: ErrorCode, detail: string): AuthStep {
  return { kind: 'failure', code, detail };
}
