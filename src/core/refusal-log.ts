// Rate-limits repeated refusal lines per (source, code) in the operator log; the audit events stay complete.
import type { Clock } from './clock.js';
import { type Logger, silentLogger } from './logger.js';

export interface RefusalLogOptions {
  /** Where the "suppressed K refusals" summary lines go. */
  readonly logger: Logger;
  readonly clock: Clock;
  /** Refusal lines written per source and code in one window (default 10). */
  readonly burst?: number;
  /** Window length (default 60 s); each (source, code) window starts at its first refusal. */
  readonly windowMs?: number;
  /** Sources tracked at once (default 10,000); beyond that, new sources share one "other sources" entry. */
  readonly maxEntries?: number;
}

export interface RefusalLog {
  /**
   * The logger to write this refusal's line with: `log` itself while the (source, code) pair is within its
   * burst, else a silent one (the refusal is counted for the summary). `code` null (the client went away) and
   * an unknown source pass through unlimited.
   */
  gate(log: Logger, source: string | undefined, code: string | null): Logger;
  /** Write the summary line of every window that has ended and forget it (call periodically). */
  flush(): void;
  /** Write the summary lines of all windows, ended or not (at shutdown), and forget them. */
  close(): void;
}

export const REFUSAL_LOG_DEFAULTS = { burst: 10, windowMs: 60_000, maxEntries: 10_000 } as const;

/** The key used once maxEntries sources are tracked. */
export const OTHER_SOURCES = 'other sources';

interface Window {
  readonly source: string;
  readonly code: string;
  readonly start: number;
  logged: number;
  suppressed: number;
}

export function createRefusalLog(options: RefusalLogOptions): RefusalLog {
  const burst = options.burst ?? REFUSAL_LOG_DEFAULTS.burst;
  const windowMs = options.windowMs ?? REFUSAL_LOG_DEFAULTS.windowMs;
  const maxEntries = options.maxEntries ?? REFUSAL_LOG_DEFAULTS.maxEntries;
  const windows = new Map<string, Window>();
  const now = () => options.clock.now().getTime();

  const summarise = (w: Window, end: number) => {
    if (w.suppressed === 0) return;
    options.logger.warn(
      {
        source: w.source,
        code: w.code,
        suppressed: w.suppressed,
        logged: w.logged,
        windowStart: new Date(w.start).toISOString(),
        windowSeconds: Math.round((end - w.start) / 1000),
      },
      `suppressed ${w.suppressed} refusals from ${w.source} (${w.code})`,
    );
  };
  const flushEnded = (at: number) => {
    for (const [key, w] of windows) {
      if (at - w.start >= windowMs) {
        windows.delete(key);
        summarise(w, w.start + windowMs);
      }
    }
  };

  /** The open window under `key`; an ended one is summarised and forgotten. */
  const current = (key: string, at: number): Window | undefined => {
    const w = windows.get(key);
    if (w && at - w.start >= windowMs) {
      windows.delete(key);
      summarise(w, w.start + windowMs);
      return undefined;
    }
    return w;
  };
  const open = (key: string, source: string, code: string, at: number): Window => {
    const w: Window = { source, code, start: at, logged: 0, suppressed: 0 };
    windows.set(key, w);
    return w;
  };
  const windowFor = (source: string, code: string, at: number): Window => {
    const key = `${source} ${code}`;
    const w = current(key, at);
    if (w) return w;
    if (windows.size >= maxEntries) flushEnded(at);
    if (windows.size < maxEntries) return open(key, source, code, at);
    // Many sources at once (an address range): the rest share one entry per code, so memory stays bounded.
    const other = `${OTHER_SOURCES} ${code}`;
    return current(other, at) ?? open(other, OTHER_SOURCES, code, at);
  };

  return {
    gate(log, source, code) {
      if (code === null || !source) return log;
      const w = windowFor(source, code, now());
      if (w.logged < burst) {
        w.logged++;
        return log;
      }
      w.suppressed++;
      return silentLogger;
    },
    flush: () => flushEnded(now()),
    close() {
      const at = now();
      for (const w of windows.values()) summarise(w, Math.min(at, w.start + windowMs));
      windows.clear();
    },
  };
}
