import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import { createOutageMonitor } from '../../../src/store/outage.js';
import { isStoreUnreachable } from '../../../src/store/unreachable.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

describe('createOutageMonitor', () => {
  it('many failed attempts make one warn; the next success one info with duration and count', () => {
    const { logger, lines } = capture();
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    const monitor = createOutageMonitor(logger, clock);
    monitor.succeeded(); // nothing to report while up
    for (let i = 0; i < 25; i++) {
      monitor.failed(`refused ${i}`);
      clock.advance(1000);
    }
    expect(monitor.down).toBe(true);
    monitor.succeeded();
    monitor.succeeded();
    expect(monitor.down).toBe(false);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, code: 'GH_STORE_UNAVAILABLE', reason: 'refused 0' });
    expect(lines[1]).toMatchObject({
      level: 30,
      msg: 'state store reachable again',
      outageMs: 25_000,
      failedAttempts: 25,
      since: '2026-01-01T00:00:00.000Z',
      reason: 'refused 0',
    });
  });

  it('a second outage is reported again', () => {
    const { logger, lines } = capture();
    const monitor = createOutageMonitor(logger, new ManualClock());
    monitor.failed('a');
    monitor.succeeded();
    monitor.failed('b');
    monitor.failed('b');
    monitor.succeeded();
    expect(lines.map((l) => [l['level'], l['failedAttempts']])).toEqual([
      [40, undefined],
      [30, 1],
      [40, undefined],
      [30, 2],
    ]);
  });
});

describe('isStoreUnreachable', () => {
  const pgError = (code: string, message: string, severity = 'ERROR') =>
    Object.assign(new Error(message), { code, severity });
  const errno = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

  it.each([
    ['connection refused', errno('ECONNREFUSED')],
    ['connection reset', errno('ECONNRESET')],
    ['host unreachable', errno('EHOSTUNREACH')],
    ['name not resolved', errno('ENOTFOUND')],
    ['localhost with both families refused', Object.assign(new AggregateError([errno('ECONNREFUSED')]), {})],
    [
      'pg_terminate_backend',
      pgError('57P01', 'terminating connection due to administrator command', 'FATAL'),
    ],
    ['crash shutdown', pgError('57P02', 'terminating connection because of crash of another server process')],
    ['starting up', pgError('57P03', 'the database system is starting up', 'FATAL')],
    ['store database dropped', pgError('3D000', 'database "gatehouse" does not exist', 'FATAL')],
    ['connection exception class', pgError('08006', 'connection failure')],
    [
      'ALLOW_CONNECTIONS false',
      pgError('55000', 'database "gatehouse" is not currently accepting connections', 'FATAL'),
    ],
    ['out of connection slots', pgError('53300', 'sorry, too many clients already', 'FATAL')],
    ['lost connection', new Error('Connection terminated unexpectedly')],
    ['pg connect timeout', new Error('Connection terminated due to connection timeout')],
    ['pg-pool checkout timeout', new Error('timeout exceeded when trying to connect')],
    ['no answer on an open connection (query_timeout)', new Error('Query read timeout')],
    ['dead client', new Error('Client has encountered a connection error and is not queryable')],
  ])('%s: unreachable', (_name, error) => {
    expect(isStoreUnreachable(error)).toBe(true);
  });

  it.each([
    ['unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
    ['syntax error', pgError('42601', 'syntax error at or near "SELEC"')],
    ['other 55000 (lock not available)', pgError('55P03', 'could not obtain lock')],
    ['55000 about something else', pgError('55000', 'cannot alter type because it is in use')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['not an Error', 'ECONNREFUSED'],
  ])('%s: not unreachable', (_name, error) => {
    expect(isStoreUnreachable(error)).toBe(false);
  });
});
