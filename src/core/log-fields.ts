// Caps and escapes client-supplied strings in operator log lines and audit events (docs/decisions.md, log growth).
import { clientText } from './client-text.js';

/** Most UTF-16 units a client-supplied field (user, database, address, token fragment) takes in a log line. */
export const LOG_VALUE_MAX = 256;
/** Most units any other string field or message takes (server sentences that may quote a client, ARNs). */
export const LOG_TEXT_MAX = 2048;
/** Most units a statement's text takes in a `db.statement` event (docs/audit.md "Statement events"). */
export const LOG_STATEMENT_MAX = 4096;

/**
 * Fields whose value a client chooses (start-up parameters, token parts) or that name the client: these get the
 * short cap. Every other string field gets the long one, so no string in a log line or audit event is unbounded.
 */
export const CLIENT_LOG_FIELDS: ReadonlySet<string> = new Set([
  'user',
  'dbUser',
  'database',
  'applicationName',
  'application_name',
  'tokenUser',
  'accessKeyId',
  'signature',
  'source',
  'remote',
  'sourceIp',
]);

/**
 * `value` with control, separator and bidi characters escaped (as in client messages, src/core/client-text.ts),
 * and, when longer than `max`, cut so that the result including the marker `…[cut from N chars]` (N: the
 * original length) fits in `max`. Idempotent: a result passed again comes back unchanged.
 */
export function capLogValue(value: string, max = LOG_VALUE_MAX): string {
  const escaped = clientText(value, Number.POSITIVE_INFINITY);
  if (escaped.length <= max) return escaped;
  const marker = `[cut from ${value.length} chars]`;
  // Too small a cap for the marker (never the case for the caps above): the ellipsis alone marks the cut.
  if (max - marker.length < 2) return clientText(value, max);
  return clientText(value, max - marker.length) + marker;
}

/** The cap that applies to field `key`. */
export function logCapFor(key: string): number {
  if (key === 'statement') return LOG_STATEMENT_MAX;
  return CLIENT_LOG_FIELDS.has(key) ? LOG_VALUE_MAX : LOG_TEXT_MAX;
}

/** A shallow copy of `fields` with every string value capped for its key (non-strings pass unchanged). */
export function capLogFields<T extends object>(fields: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = typeof value === 'string' ? capLogValue(value, logCapFor(key)) : value;
  }
  return out as T;
}

/**
 * pino serializers for the client-supplied fields: pino applies them to child bindings too (which its `log`
 * formatter never sees), so `log.child({ user })` is capped as well as `log.info({ user })`.
 */
export const logFieldSerializers: Readonly<Record<string, (value: unknown) => unknown>> = Object.fromEntries(
  [...CLIENT_LOG_FIELDS].map((key) => [
    key,
    (value: unknown) => (typeof value === 'string' ? capLogValue(value, LOG_VALUE_MAX) : value),
  ]),
);
