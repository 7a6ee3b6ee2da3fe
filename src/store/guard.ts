// The store boundary: promise-style queries and checkouts of the pool and its clients report their outcome, and
// an unreachable store surfaces as GH_STORE_UNAVAILABLE instead of a raw driver error (GH_INTERNAL upstream).
import type pg from 'pg';

export interface StoreBoundary {
  /** GH_STORE_UNAVAILABLE when `error` means the store is unreachable (or `always`), else `error` unchanged. */
  convert(error: unknown, always?: boolean): unknown;
  /** A store operation succeeded (ends an outage). */
  succeeded(): void;
}

type Method = (...args: unknown[]) => unknown;

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Wraps `target.query`. Callback-style calls (pg-pool's own, inside `pool.query`) and Submittables (cursors)
 * return no promise and pass through untouched; the promise-style call around them is the one converted.
 */
export function guardQuery(target: pg.Pool | pg.ClientBase, boundary: StoreBoundary): void {
  const holder = target as unknown as { query: Method };
  const original = holder.query;
  holder.query = (...args: unknown[]): unknown => {
    const result = original.apply(target, args);
    if (!isPromise(result)) return result;
    return result.then(
      (value) => {
        boundary.succeeded();
        return value;
      },
      (e: unknown) => {
        throw boundary.convert(e);
      },
    );
  };
}

/** Wraps `pool.connect()`: a checkout that fails always means the store could not be reached. */
export function guardConnect(pool: pg.Pool, boundary: StoreBoundary): void {
  const holder = pool as unknown as { connect: Method };
  const original = holder.connect;
  holder.connect = (...args: unknown[]): unknown => {
    const result = original.apply(pool, args);
    if (!isPromise(result)) return result; // pg-pool's own callback-style checkout for pool.query
    return result.catch((e: unknown) => {
      throw boundary.convert(e, true);
    });
  };
}
