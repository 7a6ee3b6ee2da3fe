// Keyset pages of the IAM list queries: rows strictly after a sort key, one more than asked (to tell if more follow).
import { GatehouseError } from '../core/errors.js';

/** `after` is the sort key of the last row already returned (null: from the start); `limit` rows are wanted. */
export interface Keyset {
  readonly after: readonly string[] | null;
  readonly limit: number;
}

/** A listed row and its sort key, as text the next page's `after` gives back. */
export interface Keyed<T> {
  readonly row: T;
  readonly key: readonly string[];
}

/** The LIMIT to send: one row beyond the page shows whether the list is truncated. */
export function fetchCount(page: Keyset): number {
  return page.limit + 1;
}

/** The `i`th key part of `after`, or null when starting from the beginning (SQL: `$n::text IS NULL OR …`). */
export function afterPart(page: Keyset, i: number): string | null {
  return page.after === null ? null : (page.after[i] ?? '');
}

/** A timestamp as a sort key: UTC with microseconds, so it round-trips exactly through a marker. */
export function timeKey(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** SQLSTATEs a marker's key part can raise when cast: numeric out of range, datetime out of range, a NUL byte. */
const MARKER_CAST_ERRORS = new Set(['22003', '22008', '22021']);

/**
 * A backstop behind the marker decoder (src/iam/pagination.ts): a page query that starts after a marker's key and
 * fails casting a key part refuses the marker (ValidationError) instead of answering HTTP 500. Use as
 * `db.query(…).catch(refuseBadMarker(page))`; any other error is rethrown unchanged.
 */
export function refuseBadMarker(page: Keyset): (e: unknown) => never {
  return (e) => {
    const code = (e as { code?: unknown } | null)?.code;
    if (page.after !== null && typeof code === 'string' && MARKER_CAST_ERRORS.has(code)) {
      throw new GatehouseError('GH_IAM_INVALID_MARKER', {
        reason: 'it is not a marker returned by this API',
      });
    }
    throw e;
  };
}
