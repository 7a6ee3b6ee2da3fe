// The statement observer between the follower and the audit sink, on stand-in sockets: which statements become
// events (classes, parse errors, unknown statements), redaction whatever the literals setting for secrets, SQL
// EXECUTE, gaps, and that a fault stops the observing (one gap event, one log line) without ever throwing into
// the relay.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import type { StatementEvent } from '../../../src/core/audit.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { Logger } from '../../../src/core/logger.js';
import type { StatementClass } from '../../../src/core/types.js';
import { loadSqlParser, type SqlParser } from '../../../src/engines/postgres/sql-statements.js';
import { observeStatements } from '../../../src/engines/postgres/statement-audit.js';
import { waitFor } from '../../support/eventually.js';

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const cstr = (s: string) => Buffer.from(`${s}\0`);
const frame = (type: string, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
};
const Q = (sql: string) => frame('Q', cstr(sql));
const C = (tag: string) => frame('C', cstr(tag));
const Z = frame('Z', Buffer.from('I'));
const error = (code: string) =>
  frame('E', Buffer.from('S'), cstr('ERROR'), Buffer.from('C'), cstr(code), Buffer.from([0]));

function observe(
  classes: StatementClass[],
  options: { literals?: boolean; parser?: () => Promise<SqlParser>; maxPending?: number } = {},
) {
  const client = new EventEmitter() as unknown as Socket;
  const backend = new EventEmitter() as unknown as Socket;
  const events: StatementEvent[] = [];
  const logger = { warn: vi.fn(), error: vi.fn() };
  observeStatements(
    client,
    backend,
    {
      settings: { classes, literals: options.literals ?? false, resultDigest: false },
      session: {
        requestId: 'req-1',
        instance: 'db1',
        dbUser: 'bob',
        database: 'app',
        principalArn: 'arn:aws:iam::123456789012:user/bob',
        source: '10.0.0.1:5000',
      },
      audit: { emit: (e) => void events.push(e as StatementEvent) },
      clock: new ManualClock(new Date('2026-01-01T00:00:00Z')),
      logger: logger as unknown as Logger,
      ...(options.parser ? { parser: options.parser } : {}),
      ...(options.maxPending !== undefined ? { limits: { maxPending: options.maxPending } } : {}),
    },
    { fromBackend: Buffer.alloc(0), fromClient: Buffer.alloc(0) },
  );
  return {
    client: (b: Buffer) => (client as unknown as EventEmitter).emit('data', b),
    backend: (b: Buffer) => (backend as unknown as EventEmitter).emit('data', b),
    close: () => (backend as unknown as EventEmitter).emit('close'),
    listeners: () =>
      (client as unknown as EventEmitter).listenerCount('data') +
      (backend as unknown as EventEmitter).listenerCount('data'),
    events,
    logger,
    settled: (n: number) => waitFor(() => events.length >= n && events, { what: `${n} statement events` }),
  };
}

describe('statement observer', () => {
  it('records the configured classes with the session’s identity; other classes count but are not recorded', async () => {
    const o = observe(['WRITE']);
    o.client(Q('SELECT 1; DELETE FROM items WHERE id = 7'));
    o.backend(Buffer.concat([C('SELECT 1'), C('DELETE 1'), Z]));
    const [e] = await o.settled(1);
    expect(e).toEqual({
      type: 'db.statement',
      at: '2026-01-01T00:00:00.000Z',
      requestId: 'req-1',
      instance: 'db1',
      dbUser: 'bob',
      database: 'app',
      principalArn: 'arn:aws:iam::123456789012:user/bob',
      source: '10.0.0.1:5000',
      class: 'WRITE',
      command: 'DELETE',
      statement: 'DELETE FROM items WHERE id = $1',
      rows: 1,
      outcome: 'success',
      statementIndex: 2,
      durationMs: expect.any(Number),
    });
  });

  it('a statement that does not parse, or whose text is unknown, is recorded whatever the classes, without its text', async () => {
    const o = observe(['WRITE']);
    o.client(Q("SELEC 'secret'"));
    o.backend(Buffer.concat([error('42601'), Z]));
    o.client(frame('E', cstr('declared_in_sql'), int32(0)));
    o.client(frame('S'));
    o.backend(Buffer.concat([C('FETCH 1'), Z]));
    await o.settled(2);
    expect(
      o.events.map((e) => [e.class, e.command, e.statement, e.parseError, e.statementUnknown, e.outcome]),
    ).toEqual([
      ['MISC', 'UNKNOWN', '', true, undefined, 'failure'],
      ['MISC', 'FETCH', '', undefined, true, 'success'],
    ]);
  });

  it('EXECUTE takes the class of the statement PREPARE named', async () => {
    const o = observe(['WRITE']);
    o.client(Q("PREPARE w AS INSERT INTO items VALUES ($1, 'x')"));
    o.backend(Buffer.concat([C('PREPARE'), Z]));
    o.client(Q('EXECUTE w(5)'));
    o.backend(Buffer.concat([C('INSERT 0 1'), Z]));
    o.client(Q('DEALLOCATE w'));
    o.backend(Buffer.concat([C('DEALLOCATE'), Z]));
    o.client(Q('EXECUTE w(6)'));
    o.backend(Buffer.concat([error('26000'), Z]));
    await o.settled(2);
    expect(o.events.map((e) => [e.command, e.statement])).toEqual([
      ['PREPARE', 'PREPARE w AS INSERT INTO items VALUES ($1, $2)'],
      ['INSERT', 'EXECUTE w($1)'],
    ]);
  });

  it('literals are kept when asked, except in statements that may carry a secret', async () => {
    const o = observe(['READ', 'ROLE'], { literals: true });
    o.client(Q("SELECT 'shown'; ALTER ROLE bob PASSWORD 'hunter2'"));
    o.backend(Buffer.concat([C('SELECT 1'), C('ALTER ROLE'), Z]));
    await o.settled(2);
    expect(o.events.map((e) => e.statement)).toEqual(["SELECT 'shown'", 'ALTER ROLE bob PASSWORD $1']);
  });

  it('a gap is one event: command UNKNOWN, outcome unknown, the reason', async () => {
    const o = observe(['READ'], { maxPending: 1 });
    o.client(Buffer.concat([Q('SELECT 1'), Q('SELECT 2'), Q('SELECT 3')]));
    o.backend(Buffer.concat([C('SELECT 1'), Z, C('SELECT 1'), Z, C('SELECT 1'), Z]));
    o.client(Q('SELECT 4'));
    o.backend(Buffer.concat([C('SELECT 1'), Z]));
    await o.settled(2);
    expect(o.events.map((e) => [e.command, e.gap, e.outcome, e.statement])).toEqual([
      ['UNKNOWN', 'pending-limit', 'unknown', ''],
      ['SELECT', undefined, 'success', 'SELECT $1'],
    ]);
  });

  it('statements unanswered when the session ends are recorded with outcome unknown', async () => {
    const o = observe(['WRITE']);
    o.client(Q('DELETE FROM a; DELETE FROM b'));
    o.close();
    await o.settled(2);
    expect(o.events.map((e) => [e.statement, e.outcome, e.durationMs])).toEqual([
      ['DELETE FROM a', 'unknown', undefined],
      ['DELETE FROM b', 'unknown', undefined],
    ]);
  });

  it('a fault in the observer stops it for the session: one gap event, one log line, taps removed, nothing thrown', async () => {
    let calls = 0;
    const broken: SqlParser = {
      parse: () => {
        calls++;
        throw new Error('bug');
      },
    };
    const o = observe(['READ'], { parser: async () => broken });
    o.client(Q('SELECT 1'));
    o.backend(Buffer.concat([C('SELECT 1'), Z]));
    await o.settled(1);
    expect(o.events).toEqual([
      expect.objectContaining({
        command: 'UNKNOWN',
        gap: 'observer-error',
        outcome: 'unknown',
        statementIndex: 0,
      }),
    ]);
    expect(o.logger.warn).toHaveBeenCalledTimes(1);
    expect(o.listeners()).toBe(0);
    expect(() => o.client(Q('SELECT 2'))).not.toThrow();
    expect(calls).toBe(1);
  });

  it('a stream it cannot frame (a length under 4) stops it the same way, without throwing into the relay', async () => {
    const o = observe(['READ'], { parser: loadSqlParser });
    expect(() => o.client(Buffer.from([0x51, 0, 0, 0, 1]))).not.toThrow();
    await o.settled(1);
    expect(o.events.map((e) => e.gap)).toEqual(['observer-error']);
    expect(o.listeners()).toBe(0);
  });

  it('a parser that cannot load stops it the same way', async () => {
    const o = observe(['READ'], { parser: () => Promise.reject(new Error('no wasm')) });
    o.client(Q('SELECT 1'));
    o.backend(Buffer.concat([C('SELECT 1'), Z]));
    await o.settled(1);
    expect(o.events.map((e) => e.gap)).toEqual(['observer-error']);
  });
});
