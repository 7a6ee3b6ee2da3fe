// Hostile and malformed start-up traffic against a real gateway: every such client is refused (FATAL ErrorResponse
// or a clean close) by the pre-auth deadline, while honest clients keep logging in (ARCHITECTURE.md §4.8).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScramClient } from '../../../src/auth/scram/client.js';
import {
  BufferWriter,
  createSASLInitialResponse,
  createStartupMessage,
  PROTOCOL_3_0,
} from '../../../src/protocol/postgres/index.js';
import { waitFor } from '../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { firstError, RawPgConnection, type ServerMessage } from '../../support/raw-pg-client.js';

const DEADLINE_MS = 2000;
/** The gateway refuses at the deadline and force-closes 2 s later at most; allow scheduling slack on top. */
const HARD_CLOSE_MS = DEADLINE_MS + 2000;
const SLACK_MS = 1000;
/** Malformed input must be refused on sight, long before the deadline. */
const PROMPT_MS = 1000;
const OBSERVE_MS = HARD_CLOSE_MS + 4000;
const REQUEST_ID = /\(request id [0-9a-f]{16}\)$/;

interface Outcome {
  readonly messages: readonly ServerMessage[];
  readonly error: ReadonlyMap<string, string> | null;
  /** Milliseconds from the moment the `since` mark was set (connect, or the last hostile write) to the first 'E'. */
  readonly errorAfterMs: number | null;
  /** Milliseconds from the same mark to the close; null if the server kept the socket open past OBSERVE_MS. */
  readonly closedAfterMs: number | null;
  readonly localPort: number;
}

interface LogLine {
  readonly level: number;
  readonly msg?: string;
  readonly remote?: string;
  readonly code?: string;
}

/** Run one hostile client: `act` writes whatever it wants and returns the time mark to measure from. */
async function hostile(
  port: number,
  act: (conn: RawPgConnection) => Promise<number | undefined>,
): Promise<Outcome> {
  const conn = await RawPgConnection.connect(port);
  const localPort = conn.socket.localPort ?? 0;
  const since = (await act(conn)) ?? conn.openedAt;
  const messages: ServerMessage[] = [];
  let errorAfterMs: number | null = null;
  try {
    for (;;) {
      const m = await conn.readMessage(Math.max(1, since + OBSERVE_MS - Date.now()));
      if (m === null) break;
      messages.push(m);
      if (m.type === 'E' && errorAfterMs === null) errorAfterMs = Date.now() - since;
    }
  } catch {
    conn.close(); // still open (or unparseable) past the observation window: reported as closedAfterMs null
    return { messages, error: firstError(messages), errorAfterMs, closedAfterMs: null, localPort };
  }
  return {
    messages,
    error: firstError(messages),
    errorAfterMs,
    closedAfterMs: Date.now() - since,
    localPort,
  };
}

/** Capture into an Outcome without ever rejecting (scenarios start in beforeAll, before any test awaits them). */
function settle(p: Promise<Outcome>): Promise<Outcome | Error> {
  return p.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
}

function outcome(o: Outcome | Error | undefined): Outcome {
  if (o === undefined) throw new Error('scenario was not started');
  if (o instanceof Error) throw o;
  return o;
}

function expectPromptRefusal(o: Outcome, sqlstate: string, message?: RegExp, withRequestId = true): void {
  expect(o.error?.get('S')).toBe('FATAL');
  expect(o.error?.get('C')).toBe(sqlstate);
  if (withRequestId) expect(o.error?.get('M')).toMatch(REQUEST_ID);
  if (message) expect(o.error?.get('M')).toMatch(message);
  expect(o.errorAfterMs).toBeLessThan(PROMPT_MS);
  expect(o.closedAfterMs).not.toBeNull();
}

function expectDeadlineRefusal(o: Outcome): void {
  expect(o.error?.get('C')).toBe('08P01');
  expect(o.error?.get('M')).toMatch(
    /^authentication timed out: the client did not complete the handshake within 2 seconds \(request id [0-9a-f]{16}\)$/,
  );
  expect(o.errorAfterMs).toBeGreaterThanOrEqual(DEADLINE_MS - 250);
  expect(o.errorAfterMs).toBeLessThanOrEqual(DEADLINE_MS + 2000);
  expect(o.closedAfterMs).not.toBeNull();
  expect(o.closedAfterMs).toBeLessThanOrEqual(HARD_CLOSE_MS + SLACK_MS);
}

const lengthWord = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** A startup-class packet with an arbitrary body and a correct length word. */
const framed = (body: Buffer): Buffer => Buffer.concat([lengthWord(body.length + 4), body]);

/** A 3.0 version code and NUL-terminated strings, with no terminating empty name (callers add what they test). */
const versionAndParams = (...parts: string[]): Buffer =>
  Buffer.concat([lengthWord(PROTOCOL_3_0), ...parts.map((p) => Buffer.from(`${p}\0`))]);

const aliceStartup = createStartupMessage([
  ['user', 'alice'],
  ['database', 'app'],
]);

/** A valid StartupMessage padded to exactly the 10000-byte cap. */
const maxSizeStartup = createStartupMessage([
  ['user', 'alice'],
  ['gh_pad', 'x'.repeat(10_000 - createStartupMessage([['user', 'alice']]).length - 'gh_pad\0\0'.length)],
]);

/** Resolves with the next message; used by scenarios that first play the protocol correctly. */
async function expectMessage(conn: RawPgConnection, type: string): Promise<ServerMessage> {
  const m = await conn.readMessage();
  if (m?.type !== type) throw new Error(`expected '${type}', got ${m ? `'${m.type}'` : 'close'}`);
  return m;
}

const TLS_HANDSHAKE_SCENARIOS = [
  'SSLRequest then no TLS handshake',
  'partial TLS ClientHello then silent',
  'junk TLS record',
];

/** Seeded random blobs: pure noise, noise with a plausible length word, and noise behind a 3.0 version code. */
const RANDOM_BLOBS: readonly Buffer[] = fc.sample(
  fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.uint8Array({ minLength: 4, maxLength: 200 }).map((b) => framed(Buffer.from(b))),
    fc
      .uint8Array({ minLength: 0, maxLength: 120 })
      .map((b) => framed(Buffer.concat([lengthWord(PROTOCOL_3_0), Buffer.from(b)]))),
  ),
  { seed: 0x6a7e, numRuns: 20 },
);

describe('hostile start-up traffic', () => {
  const logs: LogLine[] = [];
  let t: TestGateway;
  let port: number;
  let password: string;
  const scenarios = new Map<string, Promise<Outcome | Error>>();
  let inFlight = 0;

  const start = (name: string, act: (conn: RawPgConnection) => Promise<number | undefined>) => {
    inFlight++;
    scenarios.set(
      name,
      settle(hostile(port, act)).finally(() => {
        inFlight--;
      }),
    );
  };
  const result = async (name: string): Promise<Outcome> => outcome(await scenarios.get(name));

  /** The gateway's log lines for one scenario's connection (the session logs `remote` = our local address). */
  const sessionLog = async (name: string): Promise<LogLine[]> => {
    const remote = `127.0.0.1:${(await result(name)).localPort}`;
    // The client may see the close a moment before the gateway writes its last line. A session writes all its
    // lines before it gives back its admission slot: once none is held, every line of every scenario is in.
    const admission = () => t.gateway.listeners.get('hostile')?.admission;
    await waitFor(() => admission()?.pending === 0 && admission()?.refusing === 0, {
      timeoutMs: OBSERVE_MS,
      what: 'the gateway to finish every start-up session',
    });
    return logs.filter((l) => l.remote === remote);
  };

  const goodLogin = async (): Promise<string> => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'alice',
      password,
      database: 'app',
      ssl: { ca: readFileSync(t.caFile, 'utf8'), servername: 'localhost' },
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>('select name from items');
      return rows[0]?.name ?? '';
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
    );
    t = await startTestGateway({ listener: { authTimeoutSeconds: DEADLINE_MS / 1000 }, logger });
    port = await t.createInstance('hostile');
    password = await t.createUser('hostile', 'alice');

    // Everything below runs at once, so the good-client test overlaps with all of it.
    for (const n of [0, 4, 7, -1]) {
      start(`length ${n}`, async (c) => {
        c.write(lengthWord(n));
        return Date.now();
      });
    }
    start('length 10001, header only', async (c) => {
      c.write(lengthWord(10_001));
      return Date.now();
    });
    start('length 10000, complete', async (c) => {
      c.write(maxSizeStartup);
      return Date.now();
    });
    start('missing final NUL', async (c) => {
      c.write(framed(versionAndParams('user', 'alice')));
      return Date.now();
    });
    start('duplicated parameter', async (c) => {
      c.write(
        framed(Buffer.concat([versionAndParams('user', 'alice', 'user', 'mallory'), Buffer.from([0])])),
      );
      return Date.now();
    });
    start('trailing garbage inside the packet', async (c) => {
      c.write(framed(Buffer.concat([versionAndParams('user', 'alice'), Buffer.from('\0junk')])));
      return Date.now();
    });
    start('garbage after a complete StartupMessage', async (c) => {
      c.write(Buffer.concat([aliceStartup, Buffer.from('GARBAGE GARBAGE GARBAGE')]));
      return Date.now();
    });
    RANDOM_BLOBS.forEach((blob, i) => {
      start(`random ${i}`, async (c) => {
        c.write(blob);
        return undefined;
      });
    });
    start('truncated then silent', async (c) => {
      c.write(aliceStartup.subarray(0, aliceStartup.length - 5));
      return undefined;
    });
    start('slow drip', async (c) => {
      let i = 0;
      const drip = setInterval(() => {
        const at = i++ % aliceStartup.length;
        c.write(aliceStartup.subarray(at, at + 1));
      }, 300);
      void c.closed.then(() => clearInterval(drip));
      return undefined;
    });
    start('silent', async () => undefined);
    start('SSLRequest then no TLS handshake', async (c) => {
      if ((await c.requestSsl()) !== 'S') throw new Error('expected S');
      return undefined;
    });
    start('partial TLS ClientHello then silent', async (c) => {
      c.write(Buffer.from([0x16, 0x03, 0x01]));
      return undefined;
    });
    start('junk TLS record', async (c) => {
      c.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x20]), Buffer.alloc(32, 0xee)]));
      return Date.now();
    });
    start('oversized SASL message', async (c) => {
      c.write(aliceStartup);
      await expectMessage(c, 'R');
      c.write(Buffer.concat([Buffer.from('p'), lengthWord(70_000)])); // header only: the cap applies on sight
      return Date.now();
    });
    start('non-p message during SCRAM', async (c) => {
      c.write(aliceStartup);
      await expectMessage(c, 'R');
      const scram = createScramClient({ password });
      c.write(createSASLInitialResponse(scram.chooseMechanism(['SCRAM-SHA-256']), scram.clientFirst()));
      await expectMessage(c, 'R'); // AuthenticationSASLContinue
      c.write(new BufferWriter().cstring('select 1').frame('Q'));
      return Date.now();
    });
    start('disconnect mid-SCRAM', async (c) => {
      c.write(aliceStartup);
      await expectMessage(c, 'R');
      const scram = createScramClient({ password });
      c.write(createSASLInitialResponse(scram.chooseMechanism(['SCRAM-SHA-256']), scram.clientFirst()));
      await expectMessage(c, 'R');
      c.close();
      return Date.now();
    });
  });
  afterAll(async () => t?.stop());

  it('an honest node-postgres client logs in and queries while all the hostile clients are connected', async () => {
    expect(inFlight).toBeGreaterThan(0);
    expect(await goodLogin()).toBe('espresso');
    expect(inFlight).toBeGreaterThan(0); // the deadline-bound scenarios were still running throughout
  });

  it.each([0, 4, 7, -1])('a length word of %i (< 8) is refused at once with 08P01', async (n) => {
    expectPromptRefusal(await result(`length ${n}`), '08P01', /invalid startup packet length/);
  });

  it('a length word over 10000 is refused as soon as the 4 length bytes arrive, without the body', async () => {
    expectPromptRefusal(await result('length 10001, header only'), '08P01', /message too large: 10001 bytes/);
  });

  it('a StartupMessage of exactly 10000 bytes is accepted (the cap is inclusive, as in PostgreSQL)', async () => {
    expect(maxSizeStartup.length).toBe(10_000);
    const o = await result('length 10000, complete');
    expect(o.messages[0]?.type).toBe('R'); // AuthenticationSASL: start-up was accepted
    expectDeadlineRefusal(o); // and then, answering nothing, it times out like any stalled client
  });

  it('a StartupMessage missing its final NUL is refused with 08P01', async () => {
    expectPromptRefusal(await result('missing final NUL'), '08P01', /protocol violation/);
  });

  it('a duplicated startup parameter is refused with 08P01', async () => {
    expectPromptRefusal(await result('duplicated parameter'), '08P01', /duplicate startup parameter "user"/);
  });

  it('trailing garbage inside the StartupMessage is refused with 08P01', async () => {
    expectPromptRefusal(await result('trailing garbage inside the packet'), '08P01', /trailing bytes/);
  });

  it('garbage after a complete StartupMessage is refused with 08P01 instead of being read as SASL', async () => {
    const o = await result('garbage after a complete StartupMessage');
    expect(o.messages.map((m) => m.type)).toEqual(['R', 'E']);
    expectPromptRefusal(o, '08P01');
  });

  it('each of 20 seeded random blobs is refused (FATAL or clean close) by the deadline, never left hanging', async () => {
    for (let i = 0; i < RANDOM_BLOBS.length; i++) {
      const o = await result(`random ${i}`);
      const context = `blob ${i}: ${RANDOM_BLOBS[i]!.subarray(0, 16).toString('hex')}`;
      expect(o.closedAfterMs, context).not.toBeNull();
      expect(o.closedAfterMs, context).toBeLessThanOrEqual(HARD_CLOSE_MS + SLACK_MS);
      for (const m of o.messages) expect(['R', 'v', 'E'], context).toContain(m.type);
      if (o.error) {
        expect(o.error.get('S'), context).toBe('FATAL');
        expect(['08P01', '0A000', '28000'], context).toContain(o.error.get('C'));
      }
    }
  });

  it('a truncated packet followed by silence is refused at the deadline with the GH_STARTUP_TIMEOUT message', async () => {
    expectDeadlineRefusal(await result('truncated then silent'));
  });

  it('a slow-drip client (one byte every 300 ms) is refused at the deadline', async () => {
    expectDeadlineRefusal(await result('slow drip'));
  });

  it('a client that connects and sends nothing is closed at the deadline', async () => {
    const o = await result('silent');
    expect(o.closedAfterMs).toBeGreaterThanOrEqual(DEADLINE_MS - 250);
    expect(o.closedAfterMs).toBeLessThanOrEqual(HARD_CLOSE_MS + SLACK_MS);
    if (o.error) expectDeadlineRefusal(o);
  });

  it.each(['SSLRequest then no TLS handshake', 'partial TLS ClientHello then silent'])(
    'a stalled TLS handshake (%s) is closed by the deadline',
    async (name) => {
      const o = await result(name);
      expect(o.closedAfterMs).not.toBeNull();
      expect(o.closedAfterMs).toBeGreaterThanOrEqual(DEADLINE_MS - 250);
      expect(o.closedAfterMs).toBeLessThanOrEqual(HARD_CLOSE_MS + SLACK_MS);
    },
  );

  it('a junk TLS record as the first bytes is closed promptly', async () => {
    const o = await result('junk TLS record');
    expect(o.closedAfterMs).not.toBeNull();
    expect(o.closedAfterMs).toBeLessThan(PROMPT_MS);
  });

  it('an oversized SASL message (> 65535 bytes) after start-up is refused on its header with 08P01', async () => {
    expectPromptRefusal(await result('oversized SASL message'), '08P01', /message too large: 70000 bytes/);
  });

  it('a non-SASL message in the middle of the SCRAM exchange is refused with 08P01', async () => {
    expectPromptRefusal(await result('non-p message during SCRAM'), '08P01', /expected SASL response/);
  });

  it('a client that disconnects mid-SCRAM is logged as a normal disconnect, not an error', async () => {
    const mine = await sessionLog('disconnect mid-SCRAM');
    expect(mine.map((l) => l.msg)).toContain('client closed before authentication completed');
    expect(mine.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('no hostile client crashed its session or was logged at error level (TLS handshake failures aside)', async () => {
    const names = [...scenarios.keys()].filter((n) => !TLS_HANDSHAKE_SCENARIOS.includes(n));
    for (const name of names) {
      const mine = await sessionLog(name);
      expect(mine.length, name).toBeGreaterThan(0); // every refusal leaves an operator log line …
      expect(
        mine.filter((l) => l.level >= 50 || l.code === 'GH_INTERNAL'),
        name,
      ).toEqual([]); // … as a client fault
    }
    expect(logs.filter((l) => l.msg === 'session crashed')).toEqual([]);
  });

  // A port scanner or a stalled client is a client fault (PostgreSQL logs "could not accept SSL connection" at
  // COMMERROR): GH_TLS_HANDSHAKE_FAILED or GH_STARTUP_TIMEOUT at warn, never GH_INTERNAL at error level.
  it.each(TLS_HANDSHAKE_SCENARIOS)(
    'a failed or stalled client TLS handshake (%s) is logged as a client fault, not as an internal error',
    async (name) => {
      const mine = await sessionLog(name);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.filter((l) => l.level >= 50 || l.code === 'GH_INTERNAL')).toEqual([]);
    },
  );

  it('after all hostile clients the gateway still serves new logins', async () => {
    await Promise.all(scenarios.values());
    expect(inFlight).toBe(0);
    expect(await goodLogin()).toBe('espresso');
  });
});

describe('the pending-connection cap (maxPendingConnections)', () => {
  let t: TestGateway;
  let port: number;
  let password: string;

  beforeAll(async () => {
    t = await startTestGateway({
      listener: { authTimeoutSeconds: DEADLINE_MS / 1000, maxPendingConnections: 3 },
    });
    port = await t.createInstance('capped');
    password = await t.createUser('capped', 'bob');
  });
  afterAll(async () => t?.stop());

  it('with 3 idle connections pending the 4th is refused with 53300 on its startup packet, and logins work again once they time out', async () => {
    const idle = await Promise.all([0, 1, 2].map(() => RawPgConnection.connect(port)));
    const listener = t.gateway.listeners.get('capped')!;
    // The in-process listener accepts them on a later tick.
    await waitFor(() => listener.admission.pending >= 3, {
      intervalMs: 10,
      what: 'the listener to hold the 3 idle connections as pending',
    });

    // A refused client is told so once it has sent its startup packet (after TLS, had it asked for TLS).
    const fourth = await hostile(port, async (c) => {
      c.write(createStartupMessage([['user', 'bob']]));
      return Date.now();
    });
    expectPromptRefusal(fourth, '53300', /^too many connections in authentication/);

    const closedAt = await Promise.all(idle.map((c) => c.closed));
    for (const ms of closedAt) expect(ms).toBeLessThanOrEqual(HARD_CLOSE_MS + SLACK_MS);

    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'bob',
      password,
      database: 'app',
      ssl: { ca: readFileSync(t.caFile, 'utf8'), servername: 'localhost' },
    });
    await client.connect();
    const { rows } = await client.query('select current_user as u');
    await client.end();
    expect(rows).toEqual([{ u: 'bob' }]);
  });
});
