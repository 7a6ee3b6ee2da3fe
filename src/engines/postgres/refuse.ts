// Turns any failure before relaying into one FATAL ErrorResponse with a request id, and an operator log line.
import type { Socket } from 'node:net';
import { CLIENT_TEXT_MAX, clientText } from '../../core/client-text.js';
import { type ErrorCode, GatehouseError, toGatehouseError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { createErrorResponse, MessageTooLargeError, ProtocolError } from '../../protocol/postgres/index.js';
import { ClientGoneError, type FrontendConnection } from './frontend-connection.js';
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
  const gh = fromAny(error);
  gh.requestId = requestId;
  // A store outage is logged once by the store (src/store/outage.ts), not per refused login; the audit
  // event still records each attempt under its request id.
  const level = gh.code === 'GH_INTERNAL' ? 'error' : gh.code === 'GH_STORE_UNAVAILABLE' ? 'debug' : 'warn';
  log[level](
    { code: gh.code, detail: gh.detail, err: gh.code === 'GH_INTERNAL' ? error : undefined },
    gh.message,
  );
  conn.refuse({ code: gh.spec.sqlstate, message: gh.clientMessage() });
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

/**
 * Refuse a connection the moment it is accepted, before reading anything: the error goes out unencrypted
 * ahead of any SSLRequest answer, so a TLS client only reports "server sent an error response during SSL
 * exchange" (libpq will not show text from an unauthenticated server, CVE-2024-10977). Used only when too
 * many refused connections are already negotiating TLS to be told why (listener.maxTlsRefusals).
 */
export function refuseAtAccept(
  socket: Socket,
  error: GatehouseError,
  log: Logger,
  context: Record<string, string | number>,
): void {
  error.requestId = newRequestId();
  log.warn(
    { requestId: error.requestId, remote: socket.remoteAddress, code: error.code, ...context },
    error.message,
  );
  socket.end(
    createErrorResponse({ severity: 'FATAL', code: error.spec.sqlstate, message: error.clientMessage() }),
  );
}
