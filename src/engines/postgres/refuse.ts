// Turns any failure before relaying into one FATAL ErrorResponse with a request id, and an operator log line.
import { type ErrorCode, GatehouseError, toGatehouseError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { MessageTooLargeError, ProtocolError } from '../../protocol/postgres/index.js';
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
    const detail = error.fields.get('D');
    conn.refuse({
      code: error.sqlstate,
      message: `${error.message} (request id ${requestId})`,
      ...(detail ? { detail } : {}),
    });
    return;
  }
  const gh = fromAny(error);
  gh.requestId = requestId;
  const level = gh.code === 'GH_INTERNAL' ? 'error' : 'warn';
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
