// Waiting for facts, not time: retry a check until it holds. The timeout is a failure bound, never a wait: a
// check that already holds returns at once, and a passing test waits exactly as long as the fact takes to appear.
import { inspect } from 'node:util';

// Captured at load, so a test that fakes timers or Date (vi.useFakeTimers) cannot stall or stretch a wait.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const monotonicNow = performance.now.bind(performance);

export interface EventuallyOptions {
  /** What is awaited, for the failure message ("the db.connect audit event of request …"). */
  readonly what: string;
  /** Failure bound in ms from the first attempt (default 5000). An attempt still running then fails too. */
  readonly timeoutMs?: number;
  /** Pause between attempts in ms (default 20). */
  readonly intervalMs?: number;
}

/** A failed invariant() inside a check: ends the wait at once with the original error. */
class FailNow extends Error {
  constructor(readonly original: unknown) {
    super('invariant failed');
  }
}

/**
 * Inside an eventually()/waitFor() check: an assertion that must hold on every attempt (e.g. "no stale answer
 * after the TTL"). If it throws, the wait fails at once with its error instead of retrying, since a later
 * attempt passing would not undo it.
 */
export function invariant(assertion: () => void): void {
  try {
    assertion();
  } catch (e) {
    throw new FailNow(e);
  }
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_INTERVAL_MS = 20;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : inspect(error);
}

/**
 * Run `check` (sync or async) until it returns without throwing, and return what it returned. Fails once
 * `timeoutMs` has passed with `what` and the last attempt's error (its cause).
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const deadline = monotonicNow() + timeoutMs;
  let attempts = 0;
  let last: unknown = null;
  let hung = false;
  for (;;) {
    attempts++;
    const left = deadline - monotonicNow();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const overdue = Symbol('overdue');
    try {
      const attempt = Promise.resolve().then(check);
      attempt.catch(() => {}); // may be abandoned below
      const outcome = await Promise.race([
        attempt,
        new Promise<typeof overdue>((resolve) => {
          timer = realSetTimeout(() => resolve(overdue), Math.max(0, left));
        }),
      ]);
      if (outcome !== overdue) return outcome as T;
      hung = true;
    } catch (e) {
      if (e instanceof FailNow) throw e.original;
      last = e;
    } finally {
      realClearTimeout(timer);
    }
    const remaining = deadline - monotonicNow();
    if (remaining <= 0) {
      const still = hung ? ` (attempt ${attempts} was still running at the deadline)` : '';
      const lastError = attempts > 1 || !hung ? `: ${messageOf(last)}` : '';
      throw new Error(
        `timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${options.what}${lastError}${still}`,
        { cause: last },
      );
    }
    await new Promise((resolve) => realSetTimeout(resolve, Math.min(intervalMs, remaining)));
  }
}

/**
 * Evaluate `predicate` until it returns a truthy value, and return that value. A throwing predicate counts as
 * not yet (retried, its error reported on timeout), as in eventually().
 */
export function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: EventuallyOptions,
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  return eventually(async () => {
    const value = await predicate();
    if (!value) throw new Error(`still ${inspect(value)}`);
    return value as Exclude<T, false | 0 | '' | null | undefined>;
  }, options);
}
