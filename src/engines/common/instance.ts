// Engine-neutral settings of one instance as its listener sees them (refreshed when the instance changes).
import type { BackendEndpoint } from '../../core/backend-tls.js';
import type { DbEngine } from '../../core/types.js';

export interface InstanceSettings {
  readonly identifier: string;
  /** Which registered engine serves it (the instance row's `engine`). */
  readonly engine: DbEngine;
  readonly dbiResourceId: string;
  /** Refuse sessions that did not negotiate TLS. */
  readonly forceSsl: boolean;
  readonly backend: BackendEndpoint;
  /** IAM database authentication enabled (RDS EnableIAMDatabaseAuthentication). */
  readonly iamAuth: boolean;
  /** `host:port` names a token may be signed for: the endpoint first, then its aliases. */
  readonly endpoints: readonly string[];
  /** End open revocable sessions (IAM) whose access is revoked (default on). */
  readonly terminateRevokedIamSessions: boolean;
  /** Admit a login whose "allowed" audit event could not be committed (default false: refuse it). */
  readonly auditFailOpen: boolean;
}
