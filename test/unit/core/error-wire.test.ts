// The PostgreSQL engine's wire table: every registry code has a SQLSTATE, and none changed when the SQLSTATE
// moved out of the engine-neutral registry (src/core/errors.ts) into src/engines/postgres/error-wire.ts.
import { describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode, GatehouseError } from '../../../src/core/errors.js';
import { pgErrorFields, pgWire, sqlstateOf } from '../../../src/engines/postgres/error-wire.js';

/** The SQLSTATEs as the registry had them (its `sqlstate` field) before they moved to the wire table. */
const BEFORE: Record<string, string> = {
  GH_AUTH_FAILED: '28P01',
  GH_AUTH_METHOD_MISMATCH: '28000',
  GH_SCRAM_CHANNEL_BINDING: '28000',
  GH_SSL_REQUIRED: '28000',
  GH_NO_USER: '28000',
  GH_PROTOCOL_VIOLATION: '08P01',
  GH_PACKET_TOO_LARGE: '08P01',
  GH_STARTUP_TIMEOUT: '08P01',
  GH_UNENCRYPTED_AFTER_SSL: '08P01',
  GH_UNSUPPORTED_PROTOCOL: '0A000',
  GH_TLS_HANDSHAKE_FAILED: '08P01',
  GH_TLS_UNAVAILABLE: '08P01',
  GH_BACKEND_UNREACHABLE: '08006',
  GH_BACKEND_REFUSED: '57P03',
  GH_BACKEND_TIMEOUT: '08001',
  GH_SHUTTING_DOWN: '57P01',
  GH_TOO_MANY_CONNECTIONS: '53300',
  GH_TOO_MANY_CONNECTIONS_FROM_SOURCE: '53300',
  GH_INSTANCE_SESSION_LIMIT: '53300',
  GH_INTERNAL: 'XX000',
  GH_IAM_AUTH_DISABLED: '28000',
  GH_IAM_TLS_REQUIRED: '28000',
  GH_IAM_ONLY_USER: '28P01',
  GH_IAM_TOKEN_TOO_LARGE: '28P01',
  GH_IAM_TOKEN_MALFORMED: '28P01',
  GH_IAM_TOKEN_WRONG_ACTION: '28P01',
  GH_IAM_TOKEN_USER_MISMATCH: '28P01',
  GH_IAM_TOKEN_BAD_SCOPE: '28P01',
  GH_IAM_TOKEN_WRONG_REGION: '28P01',
  GH_IAM_TOKEN_NOT_YET_VALID: '28P01',
  GH_IAM_TOKEN_EXPIRY_TOO_LONG: '28P01',
  GH_IAM_TOKEN_EXPIRED: '28P01',
  GH_IAM_TOKEN_WRONG_HOST: '28P01',
  GH_IAM_TOKEN_UNKNOWN_KEY: '28P01',
  GH_IAM_TOKEN_SIGNATURE_MISMATCH: '28P01',
  GH_IAM_TOKEN_KEY_INACTIVE: '28P01',
  GH_IAM_TOKEN_PRINCIPAL_GONE: '28P01',
  GH_IAM_TOKEN_SESSION_INVALID: '28P01',
  GH_IAM_TOKEN_SESSION_EXPIRED: '28P01',
  GH_IAM_CONNECT_DENIED: '28000',
  GH_IAM_CONNECT_EXPLICIT_DENY: '28000',
  GH_IAM_USER_NOT_ENABLED: '28P01',
  GH_IAM_SESSION_REVOKED: '57P01',
  GH_API_MISSING_AUTH: '28000',
  GH_API_INVALID_KEY: '28000',
  GH_API_SIGNATURE_MISMATCH: '28000',
  GH_API_REQUEST_EXPIRED: '28000',
  GH_API_VALIDATION: '22023',
  GH_API_WRONG_REGION: '28000',
  GH_API_BODY_TOO_LARGE: '54000',
  GH_API_UNKNOWN_ACTION: '42883',
  GH_INSTANCE_NOT_FOUND: '42704',
  GH_INSTANCE_EXISTS: '42710',
  GH_DB_USER_NOT_FOUND: '42704',
  GH_DB_USER_EXISTS: '42710',
  GH_LISTEN_ADDRESS_IN_USE: '42710',
  GH_BACKEND_PROVISION_FAILED: '58000',
  GH_CONFIG_INVALID: 'F0000',
  GH_MASTER_KEY_MISSING: 'F0000',
  GH_MASTER_KEY_WRONG: 'F0000',
  GH_MASTER_KEY_INVALID: 'F0000',
  GH_PORT_IN_USE: 'F0000',
  GH_STORE_UNAVAILABLE: '08006',
  GH_STORE_SCHEMA_TOO_NEW: 'F0000',
  GH_STORE_MIGRATION_FAILED: 'XX000',
  GH_SECRET_UNSEALABLE: 'XX000',
  GH_CLI_NOT_RUNNING: '08006',
  GH_CLI_NO_CREDENTIALS: '28000',
  GH_IAM_NO_SUCH_ENTITY: '42704',
  GH_IAM_ENTITY_EXISTS: '42710',
  GH_IAM_DELETE_CONFLICT: '2BP01',
  GH_IAM_LIMIT_EXCEEDED: '54000',
  GH_IAM_MALFORMED_POLICY: '22023',
  GH_IAM_VALIDATION: '22023',
  GH_IAM_INVALID_INPUT: '22023',
  GH_STS_ACCESS_DENIED: '42501',
  GH_STS_EXPIRED_TOKEN: '28000',
  GH_STS_INVALID_TOKEN: '28000',
  GH_API_ACCESS_DENIED: '42501',
};

const codes = Object.keys(ERRORS) as ErrorCode[];

describe('PostgreSQL error wire table', () => {
  it('maps exactly the registry codes', () => {
    expect(Object.keys(pgWire).sort()).toEqual([...codes].sort());
  });

  it('every SQLSTATE is five characters of the SQL standard alphabet', () => {
    for (const code of codes) expect(sqlstateOf(code), code).toMatch(/^[0-9A-Z]{5}$/);
  });

  it('keeps every SQLSTATE the registry had', () => {
    const kept = Object.keys(BEFORE).map((code) => [code, sqlstateOf(code as ErrorCode)]);
    expect(Object.fromEntries(kept)).toEqual(BEFORE);
  });

  it('sqlstateOf reads the table', () => {
    expect(sqlstateOf('GH_AUTH_FAILED')).toBe('28P01');
    expect(sqlstateOf('GH_TOO_MANY_CONNECTIONS')).toBe(pgWire.GH_TOO_MANY_CONNECTIONS.sqlstate);
  });

  it('a PostgreSQL wording uses only the parameters the registry message has, and is what the client gets', () => {
    const names = (t: string) => new Set([...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
    const worded = Object.entries(pgWire).filter(([, e]) => 'message' in e);
    expect(worded.map(([c]) => c).sort()).toEqual([
      'GH_IAM_TLS_REQUIRED',
      'GH_NO_USER',
      'GH_SHUTTING_DOWN',
      'GH_SSL_REQUIRED',
    ]);
    for (const [code, entry] of worded) {
      const own = names(ERRORS[code as ErrorCode].message);
      for (const n of names((entry as { message: string }).message))
        expect(own, `${code} {${n}}`).toContain(n);
    }
    const error = new GatehouseError(
      'GH_SSL_REQUIRED',
      { instance: 'db\u0007' },
      { requestId: '0123456789abcdef' },
    );
    expect(pgErrorFields(error)).toEqual({
      code: '28000',
      message:
        'instance "db\\x07" requires TLS: connect with sslmode=require (or verify-full with the Gatehouse CA) (request id 0123456789abcdef)',
    });
  });
});
