// Engine-neutral settings of one instance as its listener sees them (refreshed when the instance changes).
import type { BackendEndpoint } from '../../core/backend-tls.js';
import type { DbEngine, StatementClass } from '../../core/types.js';

/** Statement events (docs/audit.md "Statement events"); off when `classes` is empty (the default). */
export interface StatementAuditSettings {
  /** The pgaudit classes recorded (`ALL` already expanded). */
  readonly classes: readonly StatementClass[];
  /** Keep literals in the recorded text (default false: replaced by `$n`). */
  readonly literals: boolean;
  /** Add the SHA-256 of the rows sent to the client. */
  readonly resultDigest: boolean;
}

/** Statement events off. */
export const NO_STATEMENT_AUDIT: StatementAuditSettings = {
  classes: [],
  literals: false,
  resultDigest: false,
};

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
  /** Which statements become `db.statement` events (PostgreSQL instances; sessions started after a change). */
  readonly statementAudit: StatementAuditSettings;
}
