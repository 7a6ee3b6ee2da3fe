// The trail writer's promises under failure, against a store double that answers the writer's statements: every
// commit() settles (a waiting login is never left hanging), emitted events survive an outage in order, commits go
// ahead of a backlog, close() refuses what it cannot write, and a batch that keeps failing is set aside.
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/core/audit.js';
import { ManualClock } from '../../../src/core/clock.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { createAuditTrail } from '../../../src/store/audit-trail.js';
import type { Store } from '../../../src/store/pool.js';
import { waitFor } from '../../support/eventually.js';

type Mode = 'up' | 'down' | 'broken';

function storeDouble() {
  const state = { mode: 'up' as Mode, head: 0n, written: [] as string[][] };
  const outage = () =>
    new GatehouseError('GH_STORE_UNAVAILABLE', { reason: 'this is temporary, retry in a few seconds' });
  const client = {
    async query(q: string | { text: string; values?: unknown[] }, values?: unknown[]) {
      const text = typeof q === 'string' ? q : q.text;
      const v = typeof q === 'string' ? values : q.values;
      if (text.includes('FROM gh_audit_head')) {
        return {
          rows: [{ seq: state.head.toString(), hash: Buffer.alloc(32), period: '2026-12' }],
          rowCount: 1,
        };
      }
      if (text.startsWith('INSERT INTO gh_audit_events')) {
        // $2 the sequence numbers, $6 the request ids (src/store/audit-trail.ts writeBatch).
        const seqs = (v?.[1] as string[]) ?? [];
        state.written.push((v?.[5] as string[]) ?? []);
        state.head += BigInt(seqs.length);
      }
      return { rows: [], rowCount: 0 };
    },
  };
  const store = {
    pool: { query: async () => ({ rows: [], rowCount: 0 }) } as unknown as pg.Pool,
    async close() {},
    async withTransaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
      if (state.mode === 'down') throw outage();
      if (state.mode === 'broken') throw new Error('constraint violated (a bug)');
      return fn(client as unknown as pg.PoolClient);
    },
  } as Store;
  return { state, store };
}

const event = (requestId: string): AuditEvent => ({
  type: 'alert',
  at: '2026-12-07T10:00:00.000Z',
  detector: 'failure-burst',
  subject: 'source 10.0.0.1',
  requestId,
});

const setup = (o: { maxBatch?: number } = {}) => {
  const { state, store } = storeDouble();
  const trail = createAuditTrail({
    store,
    clock: new ManualClock(new Date('2026-12-07T10:00:00Z')),
    logger: silentLogger,
    retryMs: 5,
    ...o,
  });
  return { state, trail, requestIds: () => state.written.flat() };
};

describe('audit trail writer', () => {
  it('refuses waiting logins during an outage, keeps emitted events, writes them in order when the store is back', async () => {
    const { state, trail, requestIds } = setup();
    state.mode = 'down';
    trail.emit(event('e1'));
    trail.emit(event('e2'));
    await expect(trail.commit(event('c1'))).rejects.toMatchObject({ code: 'GH_STORE_UNAVAILABLE' });
    await trail.flush(); // answers during the outage rather than waiting it out
    expect(trail.backlog()).toBe(2);
    state.mode = 'up';
    await trail.commit(event('c2')); // the login is the retry
    await trail.flush();
    expect(requestIds()).toEqual(['c2', 'e1', 'e2']);
    expect(trail.backlog()).toBe(0);
    await trail.close();
  });

  it('a commit never waits behind a backlog of emitted events', async () => {
    const { state, trail } = setup({ maxBatch: 10 });
    state.mode = 'down';
    for (let i = 0; i < 500; i++) trail.emit(event(`e${i}`));
    await trail.flush();
    state.mode = 'up';
    await trail.commit(event('login'));
    expect(state.written[0]?.[0]).toBe('login');
    await trail.close();
  });

  it('close() settles every waiting commit when the store is away, and logs the rest as lost', async () => {
    const { state, trail } = setup();
    state.mode = 'down';
    trail.emit(event('e1'));
    const waiting = trail.commit(event('c1'));
    const closing = trail.close();
    await expect(waiting).rejects.toBeDefined();
    await closing;
    await expect(trail.commit(event('late'))).rejects.toThrow(/closed/);
  });

  it('a batch that fails for another reason five times running is set aside and counted', async () => {
    const { state, trail, requestIds } = setup();
    state.mode = 'broken';
    trail.emit(event('poison'));
    for (let i = 0; i < 20 && trail.dropped() === 0; i++) {
      await trail.flush();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(trail.dropped()).toBe(1);
    state.mode = 'up';
    trail.emit(event('after'));
    await waitFor(() => requestIds().length > 0, { timeoutMs: 2000, what: 'the next event written' });
    expect(requestIds()).toEqual(['after']);
    await trail.close();
  });
});
