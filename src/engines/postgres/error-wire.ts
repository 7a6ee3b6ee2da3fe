// How each Gatehouse error code travels on the PostgreSQL wire: the SQLSTATE of the ErrorResponse (field C).
// The registry (src/core/errors.ts) is engine-neutral; `satisfies Record<ErrorCode, …>` makes a code added
// there fail to compile until it is mapped here (and in every other engine's table).
import type { ErrorCode, GatehouseError } from '../../core/errors.js';

export interface PgWireError {
  /** SQLSTATE sent to PostgreSQL clients (five characters of [0-9A-Z]). */
  readonly sqlstate: string;
  /**
   * The client message in PostgreSQL's own terms (libpq's `sslmode`, "startup packet"), when the neutral one
   * would leave a PostgreSQL user guessing. Same `{name}` placeholders as the registry's message, or fewer.
   */
  readonly message?: string;
}

export const pgWire = {
  GH_AUTH_FAILED: { sqlstate: '28P01' },
  GH_AUTH_METHOD_MISMATCH: { sqlstate: '28000' },
  GH_SCRAM_CHANNEL_BINDING: { sqlstate: '28000' },
  GH_SSL_REQUIRED: {
    sqlstate: '28000',
    message:
      'instance "{instance}" requires TLS: connect with sslmode=require (or verify-full with the Gatehouse CA)',
  },
  GH_CLEARTEXT_REQUIRES_TLS: { sqlstate: '28000' },
  GH_NO_USER: { sqlstate: '28000', message: 'no PostgreSQL user name specified in startup packet' },
  GH_PROTOCOL_VIOLATION: { sqlstate: '08P01' },
  GH_PACKET_TOO_LARGE: { sqlstate: '08P01' },
  GH_STARTUP_TIMEOUT: { sqlstate: '08P01' },
  GH_UNENCRYPTED_AFTER_SSL: { sqlstate: '08P01' },
  GH_UNSUPPORTED_PROTOCOL: { sqlstate: '0A000' },
  GH_TLS_HANDSHAKE_FAILED: { sqlstate: '08P01' },
  GH_TLS_UNAVAILABLE: { sqlstate: '08P01' },
  GH_BACKEND_UNREACHABLE: { sqlstate: '08006' },
  GH_BACKEND_REFUSED: { sqlstate: '57P03' },
  GH_BACKEND_TIMEOUT: { sqlstate: '08001' },
  // PostgreSQL's own words on a shutdown (src/backend/tcop/postgres.c, ProcessInterrupts): clients know them.
  GH_SHUTTING_DOWN: { sqlstate: '57P01', message: 'terminating connection due to administrator command' },
  GH_TOO_MANY_CONNECTIONS: { sqlstate: '53300' },
  GH_TOO_MANY_CONNECTIONS_FROM_SOURCE: { sqlstate: '53300' },
  GH_INSTANCE_SESSION_LIMIT: { sqlstate: '53300' },
  GH_INTERNAL: { sqlstate: 'XX000' },
  GH_IAM_AUTH_DISABLED: { sqlstate: '28000' },
  GH_IAM_TLS_REQUIRED: {
    sqlstate: '28000',
    message:
      'user "{user}" authenticates with IAM auth tokens, which are accepted only over TLS: connect with sslmode=verify-full (or require); the token was not read',
  },
  GH_IAM_ONLY_USER: { sqlstate: '28P01' },
  GH_IAM_TOKEN_TOO_LARGE: { sqlstate: '28P01' },
  GH_IAM_TOKEN_MALFORMED: { sqlstate: '28P01' },
  GH_IAM_TOKEN_WRONG_ACTION: { sqlstate: '28P01' },
  GH_IAM_TOKEN_USER_MISMATCH: { sqlstate: '28P01' },
  GH_IAM_TOKEN_BAD_SCOPE: { sqlstate: '28P01' },
  GH_IAM_TOKEN_WRONG_REGION: { sqlstate: '28P01' },
  GH_IAM_TOKEN_NOT_YET_VALID: { sqlstate: '28P01' },
  GH_IAM_TOKEN_EXPIRY_TOO_LONG: { sqlstate: '28P01' },
  GH_IAM_TOKEN_EXPIRED: { sqlstate: '28P01' },
  GH_IAM_TOKEN_WRONG_HOST: { sqlstate: '28P01' },
  GH_IAM_TOKEN_UNKNOWN_KEY: { sqlstate: '28P01' },
  GH_IAM_TOKEN_SIGNATURE_MISMATCH: { sqlstate: '28P01' },
  GH_IAM_TOKEN_KEY_INACTIVE: { sqlstate: '28P01' },
  GH_IAM_TOKEN_PRINCIPAL_GONE: { sqlstate: '28P01' },
  GH_IAM_TOKEN_SESSION_INVALID: { sqlstate: '28P01' },
  GH_IAM_TOKEN_SESSION_EXPIRED: { sqlstate: '28P01' },
  GH_IAM_CONNECT_DENIED: { sqlstate: '28000' },
  GH_IAM_CONNECT_EXPLICIT_DENY: { sqlstate: '28000' },
  GH_IAM_USER_NOT_ENABLED: { sqlstate: '28P01' },
  GH_IAM_SESSION_REVOKED: { sqlstate: '57P01' },
  GH_API_MISSING_AUTH: { sqlstate: '28000' },
  GH_API_INVALID_KEY: { sqlstate: '28000' },
  GH_API_SIGNATURE_MISMATCH: { sqlstate: '28000' },
  GH_API_REQUEST_EXPIRED: { sqlstate: '28000' },
  GH_API_VALIDATION: { sqlstate: '22023' },
  GH_API_WRONG_REGION: { sqlstate: '28000' },
  GH_API_BODY_TOO_LARGE: { sqlstate: '54000' },
  GH_API_UNKNOWN_ACTION: { sqlstate: '42883' },
  GH_API_UNKNOWN_SERVICE: { sqlstate: '42883' },
  GH_RDS_INVALID_PARAMETER_VALUE: { sqlstate: '22023' },
  GH_RDS_UNSUPPORTED_PARAMETER: { sqlstate: '0A000' },
  GH_INSTANCE_NOT_FOUND: { sqlstate: '42704' },
  GH_INSTANCE_EXISTS: { sqlstate: '42710' },
  GH_DB_USER_NOT_FOUND: { sqlstate: '42704' },
  GH_DB_USER_EXISTS: { sqlstate: '42710' },
  GH_LISTEN_ADDRESS_IN_USE: { sqlstate: '42710' },
  GH_INSTANCE_PARAMETER_CONFLICT: { sqlstate: '22023' },
  GH_NO_DEFAULT_BACKEND: { sqlstate: '22023' },
  GH_BACKEND_PROVISION_FAILED: { sqlstate: '58000' },
  GH_CONFIG_INVALID: { sqlstate: 'F0000' },
  GH_MASTER_KEY_MISSING: { sqlstate: 'F0000' },
  GH_MASTER_KEY_WRONG: { sqlstate: 'F0000' },
  GH_MASTER_KEY_INVALID: { sqlstate: 'F0000' },
  GH_PORT_IN_USE: { sqlstate: 'F0000' },
  GH_DATA_DIR_IN_USE: { sqlstate: 'F0000' },
  GH_STORE_UNAVAILABLE: { sqlstate: '08006' },
  GH_AUDIT_UNAVAILABLE: { sqlstate: '57P03' },
  GH_SESSION_IDENTITY_FAILED: { sqlstate: '08004' },
  GH_STORE_SCHEMA_TOO_NEW: { sqlstate: 'F0000' },
  GH_STORE_MIGRATION_FAILED: { sqlstate: 'XX000' },
  GH_SECRET_UNSEALABLE: { sqlstate: 'XX000' },
  GH_CLI_NOT_RUNNING: { sqlstate: '08006' },
  GH_CLI_NO_CREDENTIALS: { sqlstate: '28000' },
  GH_CLI_INVALID_QUERY: { sqlstate: '22023' },
  GH_CLI_INVALID_PARAMETER: { sqlstate: '22023' },
  GH_IAM_NO_SUCH_ENTITY: { sqlstate: '42704' },
  GH_IAM_ENTITY_EXISTS: { sqlstate: '42710' },
  GH_IAM_DELETE_CONFLICT: { sqlstate: '2BP01' },
  GH_IAM_LIMIT_EXCEEDED: { sqlstate: '54000' },
  GH_IAM_MALFORMED_POLICY: { sqlstate: '22023' },
  GH_IAM_VALIDATION: { sqlstate: '22023' },
  GH_IAM_INVALID_INPUT: { sqlstate: '22023' },
  GH_IAM_INVALID_MARKER: { sqlstate: '22023' },
  GH_STS_ACCESS_DENIED: { sqlstate: '42501' },
  GH_STS_EXPIRED_TOKEN: { sqlstate: '28000' },
  GH_STS_INVALID_TOKEN: { sqlstate: '28000' },
  GH_API_ACCESS_DENIED: { sqlstate: '42501' },
} as const satisfies Record<ErrorCode, PgWireError>;

/** The SQLSTATE a PostgreSQL client is sent for a Gatehouse error code. */
export function sqlstateOf(code: ErrorCode): string {
  return pgWire[code].sqlstate;
}

/** An error's ErrorResponse fields: its SQLSTATE and message (this engine's wording where it has one). */
export function pgErrorFields(error: GatehouseError): { code: string; message: string } {
  const entry: PgWireError = pgWire[error.code];
  return { code: entry.sqlstate, message: error.clientMessage(entry.message) };
}
