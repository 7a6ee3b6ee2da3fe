// Repeated refusal lines are rate-limited per (source, code): the first `burst` per window are written, then one
// summary per window counts what was left out. Time comes from a manual clock: no test here waits.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogger, type Logger } from '../../../src/core/logger.js';
import { createRefusalLog, OTHER_SOURCES, REFUSAL_LOG_DEFAULTS } from '../../../src/core/refusal-log.js';

interface Line {
  readonly msg: string;
  readonly source?: string;
  readonly code?: string;
  readonly suppressed?: number;
}

function setup(options: { burst?: number; windowMs?: number; maxEntries?: number } = {}) {
  const out: Line[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (l: string) => void out.push(JSON.parse(l)) },
  });
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const refusals = createRefusalLog({ logger, clock, burst: 3, windowMs: 60_000, ...options });
  const refuse = (log: Logger, source: string | undefined, code: string | null) =>
    refusals.gate(log, source, code).warn({ code }, 'refused');
  const summaries = () => out.filter((l) => l.msg.startsWith('suppressed'));
  const refusedLines = () => out.filter((l) => l.msg === 'refused');
  return { out, logger, clock, refusals, refuse, summaries, refusedLines };
}

describe('refusal log', () => {
  it('defaults to 10 lines per minute, in the config as here', () => {
    const config = configSchema.parse({ store: { url: 'postgres://localhost/gatehouse' } });
    expect(config.log).toEqual({ refusalBurst: 10, refusalWindowSeconds: 60 });
    expect(REFUSAL_LOG_DEFAULTS).toMatchObject({ burst: 10, windowMs: 60_000 });
  });

  it('writes the first lines of a burst, then one summary when the window ends, counting the rest', () => {
    const t = setup();
    for (let i = 0; i < 50; i++) t.refuse(t.logger, '198.51.100.7', 'GH_AUTH_FAILED');
    expect(t.refusedLines()).toHaveLength(3);
    expect(t.summaries()).toHaveLength(0);
    t.clock.advance(59_999);
    t.refusals.flush();
    expect(t.summaries()).toHaveLength(0);
    t.clock.advance(1);
    t.refusals.flush();
    expect(t.summaries()).toEqual([
      expect.objectContaining({
        msg: 'suppressed 47 refusals from 198.51.100.7 (GH_AUTH_FAILED)',
        source: '198.51.100.7',
        code: 'GH_AUTH_FAILED',
        suppressed: 47,
      }),
    ]);
    // A new window: a new burst is written.
    for (let i = 0; i < 5; i++) t.refuse(t.logger, '198.51.100.7', 'GH_AUTH_FAILED');
    expect(t.refusedLines()).toHaveLength(6);
  });

  it('a refusal after the window writes the summary first, without waiting for a sweep', () => {
    const t = setup();
    for (let i = 0; i < 10; i++) t.refuse(t.logger, '198.51.100.7', 'GH_AUTH_FAILED');
    t.clock.advance(61_000);
    t.refuse(t.logger, '198.51.100.7', 'GH_AUTH_FAILED');
    expect(t.out.map((l) => l.msg).slice(-2)).toEqual([
      'suppressed 7 refusals from 198.51.100.7 (GH_AUTH_FAILED)',
      'refused',
    ]);
  });

  it('sources and codes are limited separately; no summary when nothing was suppressed', () => {
    const t = setup();
    for (let i = 0; i < 5; i++) {
      t.refuse(t.logger, '198.51.100.7', 'GH_AUTH_FAILED');
      t.refuse(t.logger, '198.51.100.7', 'GH_PROTOCOL_VIOLATION');
      t.refuse(t.logger, '203.0.113.9', 'GH_AUTH_FAILED');
    }
    t.refuse(t.logger, '192.0.2.1', 'GH_AUTH_FAILED');
    expect(t.refusedLines()).toHaveLength(3 * 3 + 1);
    t.refusals.close();
    expect(t.summaries().map((l) => l.msg)).toEqual([
      'suppressed 2 refusals from 198.51.100.7 (GH_AUTH_FAILED)',
      'suppressed 2 refusals from 198.51.100.7 (GH_PROTOCOL_VIOLATION)',
      'suppressed 2 refusals from 203.0.113.9 (GH_AUTH_FAILED)',
    ]);
  });

  it('abandoned attempts (no code) and unknown sources are never limited', () => {
    const t = setup();
    for (let i = 0; i < 20; i++) {
      t.refuse(t.logger, '198.51.100.7', null);
      t.refuse(t.logger, undefined, 'GH_AUTH_FAILED');
    }
    expect(t.refusedLines()).toHaveLength(40);
  });

  it('beyond maxEntries sources, new ones share one entry, so memory and lines stay bounded', () => {
    const t = setup({ maxEntries: 4, burst: 1 });
    for (let i = 0; i < 100; i++) t.refuse(t.logger, `2001:db8::${i.toString(16)}`, 'GH_AUTH_FAILED');
    expect(t.refusedLines()).toHaveLength(4 + 1);
    t.refusals.close();
    expect(t.summaries().map((l) => l.msg)).toEqual([
      `suppressed 95 refusals from ${OTHER_SOURCES} (GH_AUTH_FAILED)`,
    ]);
    // Once the windows end, their entries are swept and new sources get their own again.
    t.clock.advance(60_000);
    t.refuse(t.logger, '192.0.2.1', 'GH_AUTH_FAILED');
    t.refuse(t.logger, '192.0.2.1', 'GH_AUTH_FAILED');
    expect(t.refusedLines()).toHaveLength(6);
  });
});
