// Which failures of a state-store operation mean "the store cannot be reached" (GH_STORE_UNAVAILABLE) rather
// than a bug or a constraint violation: network errors, connection-class and FATAL SQLSTATEs, driver timeouts.

/** Socket errors of Node's net/dns layer (the store host is down, unroutable or dropped the connection). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/**
 * SQLSTATEs the store answers when it will not serve us (PostgreSQL Appendix A): 57P01 admin_shutdown (also
 * pg_terminate_backend), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, shutting down, in
 * recovery), 3D000 the store database is gone, 53300 no connection slots, 28000/28P01 it no longer lets our
 * role in. Class 08 (connection exception) is matched as a whole.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '3D000', '53300', '28000', '28P01']);

/** node-postgres and pg-pool report lost connections and connect timeouts with plain Errors. */
const DRIVER_MESSAGES = [
  /^Connection terminated/i, // "… unexpectedly", "… due to connection timeout"
  /^timeout exceeded when trying to connect/i, // pg-pool connectionTimeoutMillis
  /^timeout expired/i,
  /^Query read timeout/i, // node-postgres query_timeout: the store stopped answering on an open connection
  /is not queryable/i, // "Client has encountered a connection error and is not queryable"
];

export function isStoreUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // Node reports a host name with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  if (error instanceof AggregateError && error.errors.some(isStoreUnreachable)) return true;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
    // ALTER DATABASE … ALLOW_CONNECTIONS false: 55000 object_not_in_prerequisite_state, told apart by its text.
    if (code === '55000' && /is not currently accepting connections/i.test(error.message)) return true;
  }
  // FATAL and PANIC end the session: whatever the code, the connection is gone.
  if (severity === 'FATAL' || severity === 'PANIC') return true;
  return DRIVER_MESSAGES.some((re) => re.test(error.message));
}
