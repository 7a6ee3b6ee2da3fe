// The PostgreSQL relay's frame tracker: message boundaries on the backend's stream, and "idle" (ReadyForQuery 'I'
// with no Query/Sync/FunctionCall outstanding, neither side mid-message) whatever way the bytes are split.
import { describe, expect, it } from 'vitest';
import { PgFrameTracker } from '../../../src/engines/postgres/frames.js';
import {
  createErrorResponse,
  createQuery,
  createReadyForQuery,
} from '../../../src/protocol/postgres/index.js';

/** A backend message of `type` with `body`. */
function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

const commandComplete = (tag: string) => message('C', Buffer.from(`${tag}\0`));
const sync = () => message('S', Buffer.alloc(0));
const parse = (sql: string) => message('P', Buffer.from(`\0${sql}\0\0\0`));

/** Feed `bytes` to the backend side in two pieces cut at `at`. */
function feedSplit(t: PgFrameTracker, bytes: Buffer, at: number): void {
  t.feed(bytes.subarray(0, at));
  t.feed(bytes.subarray(at));
}

describe('PgFrameTracker', () => {
  it('a fresh session is idle (the welcome ended with ReadyForQuery I)', () => {
    expect(new PgFrameTracker().idle).toBe(true);
  });

  it('a query is outstanding until its ReadyForQuery, split at every byte', () => {
    const reply = Buffer.concat([commandComplete('SELECT 1'), createReadyForQuery('I')]);
    for (let at = 0; at <= reply.length; at++) {
      const t = new PgFrameTracker();
      t.fromClient(createQuery('SELECT 1'));
      expect(t.idle).toBe(false);
      t.feed(reply.subarray(0, at));
      expect(t.idle).toBe(at === reply.length);
      t.feed(reply.subarray(at));
      expect(t.idle, `split at ${at}`).toBe(true);
      expect(t.atBoundary).toBe(true);
    }
  });

  it('inside a transaction block (T) or a failed one (E) the session is not idle; after COMMIT it is', () => {
    for (const status of ['T', 'E'] as const) {
      const t = new PgFrameTracker();
      t.fromClient(createQuery('BEGIN'));
      feedSplit(t, Buffer.concat([commandComplete('BEGIN'), createReadyForQuery(status)]), 7);
      expect(t.idle).toBe(false);
      t.fromClient(createQuery('COMMIT'));
      t.feed(Buffer.concat([commandComplete('COMMIT'), createReadyForQuery('I')]));
      expect(t.idle).toBe(true);
    }
  });

  it('pipelined extended-protocol requests: idle only after the ReadyForQuery of the last Sync', () => {
    const t = new PgFrameTracker();
    const requests = Buffer.concat([parse('SELECT 1'), sync(), parse('SELECT 2'), sync()]);
    for (let i = 0; i < requests.length; i++) t.fromClient(requests.subarray(i, i + 1)); // byte by byte
    t.feed(createReadyForQuery('I'));
    expect(t.idle).toBe(false);
    t.feed(Buffer.concat([createErrorResponse({ severity: 'ERROR', code: '42P01', message: 'x' })]));
    t.feed(createReadyForQuery('I'));
    expect(t.idle).toBe(true);
  });

  it('Parse/Bind/Execute sent without their Sync yet (a pipeline, a slow client) is work in progress, not idle', () => {
    for (const kinds of [['P', 'B', 'E'], ['B', 'E'], ['P', 'D'], ['E', 'H'], ['C']]) {
      const t = new PgFrameTracker();
      for (const k of kinds) t.fromClient(message(k, Buffer.from('\0\0\0\0\0')));
      // The backend may answer part of it before the Sync (ParseComplete, BindComplete, rows).
      t.feed(message('1', Buffer.alloc(0)));
      t.feed(message('2', Buffer.alloc(0)));
      expect(t.idle, kinds.join('')).toBe(false);
      t.fromClient(sync());
      expect(t.idle, `${kinds.join('')}S`).toBe(false);
      t.feed(createReadyForQuery('I'));
      expect(t.idle, `${kinds.join('')}S then Z`).toBe(true);
    }
  });

  it('a client half-way through a message is not idle', () => {
    const t = new PgFrameTracker();
    const q = createQuery('SELECT 1');
    t.fromClient(q.subarray(0, 3));
    expect(t.idle).toBe(false);
  });

  it('stopAtBoundary returns the bytes up to the end of the current message', () => {
    const t = new PgFrameTracker();
    const first = commandComplete('SELECT 1');
    const both = Buffer.concat([first, createReadyForQuery('I')]);
    t.feed(both.subarray(0, 3));
    expect(t.atBoundary).toBe(false);
    expect(t.feed(both.subarray(3), true)).toBe(first.length - 3);
    expect(t.atBoundary).toBe(true);
  });
});
