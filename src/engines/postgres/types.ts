// What the PostgreSQL engine needs from the rest of Gatehouse, as narrow interfaces (no store access here).
import type { SecureContext } from 'node:tls';
import type { ScramSecret } from '../../auth/scram/verifier.js';
import type { BackendEndpoint } from '../../core/backend-tls.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';

/** The live settings of one instance, as its listener sees them (refreshed on change). */
export interface PgInstance {
  readonly identifier: string;
  readonly dbiResourceId: string;
  readonly forceSsl: boolean;
  readonly backend: BackendEndpoint;
}

/** Everything needed to log a user in: client-facing SCRAM secrets and the backend secret. */
export interface PgLogin {
  /** SCRAM secrets valid now (current + those inside a rotation grace period). */
  readonly secrets: ScramSecret[];
  /** The secret Gatehouse uses to log in to the backend as this user. */
  readonly backendSecret: string;
}

export interface LoginDirectory {
  findLogin(instance: PgInstance, user: string, now: Date): Promise<PgLogin | null>;
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
  readonly maxPendingConnections: number;
  readonly backendConnectTimeoutMs: number;
}

export interface PgEngineDeps {
  readonly logins: LoginDirectory;
  readonly tls: TlsSettings | null;
  readonly limits: EngineLimits;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Per-deployment secret for deterministic mock SCRAM salts of unknown users. */
  readonly scramMockKey: Buffer;
}
