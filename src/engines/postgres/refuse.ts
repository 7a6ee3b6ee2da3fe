// Turns any failure before relaying into one FATAL ErrorResponse with a request id, and an operator log line.
import { CLIENT_TEXT_MAX, clientText } from '../../core/client-text.js';
import { type ErrorCode, GatehouseError, toGatehouseError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { MessageTooLargeError, ProtocolError } from '../../protocol/postgres/index.js';
import { ClientGoneError } from '../common/client-gone.js';
import { pgErrorFields } from './error-wire.js';
import type { FrontendConnection } from './frontend-connection.js';
import { BackendStartupError } from './upstream.js';

export function refuse(conn: FrontendConnection, error: unknown, requestId: string, log: Logger): void {
  if (error instanceof ClientGoneError) {
    // Normal: psql closes after the password request to prompt, then reconnects.
    log.debug('client closed before authentication completed');
    conn.close();
    return;
  }
  if (error instanceof BackendStartupError) {
    log.warn({ sqlstate: error.sqlstate, backendMessage: error.message }, 'backend refused start-up');
    // The backend quotes what the client sent (a database name, an option) as it came: escaped like our own.
    const detail = error.fields.get('D');
    conn.refuse({
      code: error.sqlstate,
      message: `${clientText(error.message, CLIENT_TEXT_MAX)} (request id ${requestId})`,
      ...(detail ? { detail: clientText(detail, CLIENT_TEXT_MAX) } : {}),
    });
    return;
  }
  const gh = fromAny(error).withRequestId(requestId);
  // A store outage is logged once by the store (src/store/outage.ts), not per refused login; the audit
  // event still records each attempt under its request id.
  const level = gh.code === 'GH_INTERNAL' ? 'error' : gh.code === 'GH_STORE_UNAVAILABLE' ? 'debug' : 'warn';
  log[level](
    { code: gh.code, detail: gh.detail, err: gh.code === 'GH_INTERNAL' ? error : undefined },
    gh.message,
  );
  conn.refuse(pgErrorFields(gh));
}

/** The code a refusal is recorded under; null when the client simply went away (an abandoned attempt). */
export function refusalCode(error: unknown): ErrorCode | null {
  if (error instanceof ClientGoneError) return null;
  if (error instanceof BackendStartupError) return 'GH_BACKEND_REFUSED';
  return fromAny(error).code;
}

function fromAny(error: unknown): GatehouseError {
  if (error instanceof MessageTooLargeError) {
    return new GatehouseError('GH_PACKET_TOO_LARGE', { size: error.size, limit: error.limit });
  }
  if (error instanceof ProtocolError)
    return new GatehouseError('GH_PROTOCOL_VIOLATION', { reason: error.message });
  return toGatehouseError(error);
}
