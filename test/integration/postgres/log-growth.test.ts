// Unauthenticated clients cannot grow the operator log without bound (issue 10, point 3): start-up user and
// database names are capped in every line and audit event, and repeated refusal lines from one source are
// rate-limited with a count of what was left out, while every refused attempt still gets its audit event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/core/audit.js';
import { createLogger } from '../../../src/core/logger.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { RawPgConnection, startup } from '../../support/raw-pg-client.js';

/** What one loopback client sent in the report: 4,900-byte names (about 10 KB of log per connection). */
const NAME_BYTES = 4900;
const CONNECTIONS = 100;
/**
 * The bound: the audit line (about 750 bytes with both names cut to 256 characters) plus a share of the ten
 * refusal lines written (about 2.9 KB each, the operator detail quoting the user up to 2,048 characters). Before
 * the fix one such connection cost about 15 KB (both names in full in the audit line, the user again in the
 * refusal line).
 */
const MAX_BYTES_PER_REFUSED_CONNECTION = 1500;
/** Refusal lines written per source and code in one window: the defaults (config `log`, checked in refusal-log.test.ts). */
const BURST = 10;
const WINDOW_MS = 60_000;

interface Line {
  readonly msg: string;
  readonly audit?: boolean;
  readonly type?: string;
  readonly code?: string;
  readonly dbUser?: string;
  readonly database?: string;
  readonly user?: string;
  readonly source?: string;
  readonly suppressed?: number;
}

describe('log growth from unauthenticated clients', () => {
  const raw: string[] = [];
  const events: AuditEvent[] = [];
  let t: TestGateway;
  let port: number;
  const bytesLogged = () => raw.reduce((n, l) => n + Buffer.byteLength(l), 0);
  const lines = () => raw.map((l) => JSON.parse(l) as Line);

  /** One refused login with oversized names; resolves once the gateway's refusal has arrived. */
  const refusedLogin = async (): Promise<string | undefined> => {
    const conn = await RawPgConnection.connect(port);
    try {
      const r = await startup(conn, {
        user: 'u'.repeat(NAME_BYTES),
        database: 'd'.repeat(NAME_BYTES),
        password: 'not-the-password',
      });
      return r.error?.get('C');
    } finally {
      conn.close();
    }
  };

  beforeAll(async () => {
    const logger = createLogger({ level: 'info', destination: { write: (l: string) => void raw.push(l) } });
    // The test gateway writes every refusal line unless told otherwise; here the production default applies.
    t = await startTestGateway({ logger, audit: { emit: (e) => void events.push(e) }, refusalBurst: BURST });
    port = await t.createInstance('growth');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('many refused connections with 4,900-byte names: bounded bytes each, every attempt audited with capped names', async () => {
    const before = bytesLogged();
    const linesBefore = raw.length;
    for (let i = 0; i < CONNECTIONS; i++) expect(await refusedLogin()).toBe('28P01');
    // The gateway writes the refusal line and the audit event before the client can read the refusal.
    const perConnection = (bytesLogged() - before) / CONNECTIONS;
    console.info(`log bytes per refused connection: ${Math.round(perConnection)}`);
    expect(perConnection).toBeLessThan(MAX_BYTES_PER_REFUSED_CONNECTION);

    const mine = lines().slice(linesBefore);
    const audited = mine.filter((l) => l.audit === true && l.type === 'db.connect');
    expect(audited).toHaveLength(CONNECTIONS);
    for (const a of audited) {
      expect(a).toMatchObject({
        code: 'GH_AUTH_FAILED',
        source: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      });
      expect(a.dbUser).toMatch(new RegExp(`^u+…\\[cut from ${NAME_BYTES} chars\\]$`));
      expect(a.database).toMatch(new RegExp(`^d+…\\[cut from ${NAME_BYTES} chars\\]$`));
      expect(a.dbUser?.length).toBeLessThanOrEqual(256);
    }
    const recorded = events.filter((e) => e.type === 'db.connect').slice(-CONNECTIONS);
    expect(recorded.map((e) => e.dbUser)).toEqual(audited.map((a) => a.dbUser));

    const refusals = mine.filter((l) => l.audit !== true && l.code === 'GH_AUTH_FAILED');
    expect(refusals).toHaveLength(BURST);
    // No line carries a name in full: client fields are cut to 256 characters, and server sentences that quote
    // one (the message, the operator detail) to 2,048.
    for (const l of mine) {
      for (const [key, value] of Object.entries(l)) {
        const cap = key === 'msg' || key === 'detail' ? 2048 : 256;
        if (typeof value === 'string') expect(value.length, key).toBeLessThanOrEqual(cap);
      }
    }
  });

  it('once the window has passed, one line says how many refusals from the source were left out', async () => {
    t.clock.offsetMs += WINDOW_MS + 1000;
    const linesBefore = raw.length;
    expect(await refusedLogin()).toBe('28P01');
    const summary = lines()
      .slice(linesBefore)
      .filter((l) => l.msg.startsWith('suppressed'));
    expect(summary).toEqual([
      expect.objectContaining({
        msg: `suppressed ${CONNECTIONS - BURST} refusals from 127.0.0.1 (GH_AUTH_FAILED)`,
        source: '127.0.0.1',
        code: 'GH_AUTH_FAILED',
        suppressed: CONNECTIONS - BURST,
      }),
    ]);
    // The new window writes the refusal line again, after the summary.
    const refusals = lines()
      .slice(linesBefore)
      .filter((l) => l.audit !== true && l.code === 'GH_AUTH_FAILED' && !l.msg.startsWith('suppressed'));
    expect(refusals).toHaveLength(1);
  });
});
