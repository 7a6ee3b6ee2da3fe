// Keyset pages of the IAM list queries: rows strictly after a sort key, one more than asked (to tell if more follow).

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
