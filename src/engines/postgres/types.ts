// What the PostgreSQL engine needs from the rest of Gatehouse, as narrow interfaces (no store access here).
import type { SecureContext } from 'node:tls';
import type { LiveIamSessions } from '../../auth/iam-token/live-sessions.js';
import type { TokenVerifier } from '../../auth/iam-token/verify.js';
import type { ScramSecret } from '../../auth/scram/verifier.js';
import type { AuditSink } from '../../core/audit.js';
import type { BackendEndpoint } from '../../core/backend-tls.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { RefusalLog } from '../../core/refusal-log.js';

/** The live settings of one instance, as its listener sees them (refreshed on change). */
export interface PgInstance {
  readonly identifier: string;
  readonly dbiResourceId: string;
  readonly forceSsl: boolean;
  readonly backend: BackendEndpoint;
  /** IAM database authentication enabled (RDS EnableIAMDatabaseAuthentication). */
  readonly iamAuth: boolean;
  /** `host:port` names a token may be signed for: the endpoint first, then its aliases. */
  readonly endpoints: readonly string[];
  /** End open IAM sessions whose access is revoked (default on). */
  readonly terminateRevokedIamSessions: boolean;
}

/** A password user: client-facing SCRAM secrets and the backend secret. */
export interface PgPasswordLogin {
  readonly kind: 'password';
  /** SCRAM secrets valid now (current + those inside a rotation grace period). */
  readonly secrets: ScramSecret[];
  /** The secret Gatehouse uses to log in to the backend as this user. */
  readonly backendSecret: string;
}

/**
 * An IAM database user: created with --auth iam, or a backend member of rds_iam (which takes precedence over
 * a password, as on RDS). `backendSecret` is null for an rds_iam member Gatehouse has not adopted yet.
 */
export interface PgIamLogin {
  readonly kind: 'iam';
  readonly backendSecret: string | null;
  /** Why it is an IAM user, for messages: `member of rds_iam`, or `created with --auth iam or granted rds_iam`. */
  readonly why: string;
}

export type PgLogin = PgPasswordLogin | PgIamLogin;

export interface LoginDirectory {
  findLogin(instance: PgInstance, user: string, now: Date): Promise<PgLogin | null>;
  /** Give an rds_iam member a Gatehouse-held backend secret (first IAM login); returns the secret. */
  adoptIamUser(instance: PgInstance, user: string): Promise<string>;
}

export interface TlsSettings {
  readonly secureContext: SecureContext;
  /** tls-server-end-point hash of our certificate; null disables SCRAM-SHA-256-PLUS. */
  readonly certificateHash: Buffer | null;
}

export interface EngineLimits {
  readonly authTimeoutMs: number;
  readonly maxStartupPacketBytes: number;
  readonly maxAuthMessageBytes: number;
  /** Connections before authentication, per listener (the backstop); more are refused with 53300. */
  readonly maxPendingConnections: number;
  /** Connections before authentication from one source address (IPv6: one /64), per listener. */
  readonly maxPendingPerSource: number;
  /** Refused connections given TLS at once, so the client can read why (more are refused in plain at once). */
  readonly maxTlsRefusals: number;
  /** Sessions per instance on this node, counted from the backend login to the end of the relay. */
  readonly maxSessionsPerInstance: number;
  readonly backendConnectTimeoutMs: number;
  /** Largest password message accepted from an IAM user (an RDS token is about 1 KB, 3 KB with a session token). */
  readonly maxIamTokenBytes: number;
}

export interface PgEngineDeps {
  readonly logins: LoginDirectory;
  readonly tls: TlsSettings | null;
  readonly limits: EngineLimits;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Per-deployment secret for deterministic mock SCRAM salts of unknown users. */
  readonly scramMockKey: Buffer;
  /** Verifies IAM auth tokens (RDS-compatible). */
  readonly iamTokens: TokenVerifier;
  /** Registry of open IAM sessions (re-checked on IAM changes). */
  readonly iamSessions: LiveIamSessions;
  readonly audit: AuditSink;
  /** Rate-limits refusal log lines per source and code (audit events are never limited). */
  readonly refusalLog: RefusalLog;
}
