// Client-supplied strings in log lines and audit events are escaped and capped in one place (src/core/log-fields.ts):
// whatever a client sends, a field costs at most its cap, says how long the original was, and holds no control
// character; the operator logger applies it to fields, child bindings and messages.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConnectAttemptEvent, cappedAuditSink } from '../../../src/core/audit.js';
import {
  CLIENT_LOG_FIELDS,
  capLogFields,
  capLogValue,
  LOG_TEXT_MAX,
  LOG_VALUE_MAX,
} from '../../../src/core/log-fields.js';
import { createLogger } from '../../../src/core/logger.js';

/** C0, DEL, C1, line/paragraph separators, bidi controls, lone surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|\p{Cs}/u;

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6000 }),
  fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('\u007f', '\u0085', '\u2028', '\u202e', '\ud800', '\udfff', '😀', 'é', '\\', '"', '…'),
      fc.constantFrom('a', 'b', '[', ']', ' '),
    ),
    maxLength: 6000,
  }),
);

function lines(): { logger: ReturnType<typeof createLogger>; records: () => Array<Record<string, unknown>> } {
  const raw: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (l: string) => void raw.push(l) } });
  return { logger, records: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('capLogValue', () => {
  it('any string: at most the cap, no unsafe character, idempotent, and a cut value names its original length', () => {
    fc.assert(
      fc.property(hostile, fc.integer({ min: 40, max: 3000 }), (value, max) => {
        const out = capLogValue(value, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(UNSAFE);
        expect(capLogValue(out, max)).toBe(out);
        const cut = /…\[cut from (\d+) chars\]$/.exec(out);
        if (cut) expect(Number(cut[1])).toBe(value.length);
        // Uncut exactly when the escaped value fits (an escape is never split, so the kept part is a prefix).
        const prefix = cut ? out.slice(0, cut.index) : out;
        expect(capLogValue(value, Number.MAX_SAFE_INTEGER).startsWith(prefix)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves ordinary names alone and cuts a 4,900-character one to 256 with its length', () => {
    expect(capLogValue('alice')).toBe('alice');
    expect(capLogValue('x'.repeat(LOG_VALUE_MAX))).toBe('x'.repeat(LOG_VALUE_MAX));
    const out = capLogValue('u'.repeat(4900));
    expect(out).toHaveLength(LOG_VALUE_MAX);
    expect(out).toMatch(/^u+…\[cut from 4900 chars\]$/);
    expect(capLogValue('a\u001b[31mb\r\nc')).toBe('a\\x1B[31mb\\r\\nc');
  });

  it('capLogFields caps client fields at 256 and any other string at 2048; other values pass unchanged', () => {
    const long = 'z'.repeat(5000);
    const out = capLogFields({ user: long, detail: long, tls: true, n: 3, nested: { user: 'x' } });
    expect(out.user).toHaveLength(LOG_VALUE_MAX);
    expect(out.detail).toHaveLength(LOG_TEXT_MAX);
    expect(out).toMatchObject({ tls: true, n: 3, nested: { user: 'x' } });
    expect([...CLIENT_LOG_FIELDS]).toEqual(expect.arrayContaining(['user', 'database', 'dbUser', 'source']));
  });
});

describe('the operator logger and the audit sink', () => {
  it('caps user and database in child bindings, merge objects and the message', () => {
    const { logger, records } = lines();
    const name = `n\u0000${'a'.repeat(4900)}`;
    logger
      .child({ remote: '127.0.0.1:5', user: name })
      .child({ database: name })
      .warn({ dbUser: name }, name);
    const [line] = records();
    for (const key of ['user', 'database', 'dbUser']) {
      expect(line?.[key]).toHaveLength(LOG_VALUE_MAX);
      expect(line?.[key]).toMatch(/^n\\x00a+…\[cut from 4902 chars\]$/);
    }
    expect(String(line?.['msg']).length).toBeLessThanOrEqual(LOG_TEXT_MAX);
    expect(JSON.stringify(line).length).toBeLessThan(4 * LOG_VALUE_MAX + LOG_TEXT_MAX + 400);
  });

  it('every sink behind cappedAuditSink gets the event, with its client fields capped', () => {
    const seen: ConnectAttemptEvent[] = [];
    const sink = cappedAuditSink({ emit: (e) => void seen.push(e as ConnectAttemptEvent) });
    const event: ConnectAttemptEvent = {
      type: 'db.connect',
      at: '2026-01-01T00:00:00.000Z',
      requestId: '0123456789abcdef',
      instance: 'demo',
      dbUser: 'u'.repeat(4900),
      database: 'd'.repeat(4900),
      method: 'scram-sha-256',
      source: '127.0.0.1:40000',
      tls: false,
      outcome: 'failure',
      code: 'GH_AUTH_FAILED',
    };
    sink.emit(event);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ ...event, dbUser: expect.any(String), database: expect.any(String) });
    expect(seen[0]?.dbUser).toBe(`${'u'.repeat(LOG_VALUE_MAX - 22)}…[cut from 4900 chars]`);
    expect(seen[0]?.database).toHaveLength(LOG_VALUE_MAX);
  });
});
