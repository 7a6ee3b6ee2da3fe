// Two nodes on one store write one audit chain: thousands of events through both nodes' trails at once (plus
// real logins on the first node) come out numbered 1..N without gaps, every event exactly once, the two nodes'
// batches interleaved, and the chain verifies; digests signed concurrently by both nodes are numbered without
// gaps and each verifies with its node's key.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/core/audit.js';
import { keyIdOf } from '../../../src/core/audit-chain.js';
import { verifyTrail } from '../../../src/core/audit-verify.js';
import { readDigests, readDropped, readHead, trailRows } from '../../../src/store/audit-read.js';
import type { NodeAudit } from '../../../src/wiring/audit.js';
import { waitFor } from '../../support/eventually.js';
import { type SecondNode, startTestGateway, type TestGateway } from '../../support/gateway.js';

/** Concurrent writers per node, and events each writes. */
const WRITERS = 4;
const PER_WRITER = 400;
/** Each writer emits this many events, then commits one and waits for it. */
const COMMIT_EVERY = 5;
/** Login loops on node A while the writers run, and logins each. */
const LOGIN_LOOPS = 3;
const LOGINS_PER_LOOP = 5;

describe('two nodes writing one audit chain', () => {
  let t: TestGateway;
  let second: SecondNode | null = null;
  let port: number;
  let password: string;

  beforeAll(async () => {
    t = await startTestGateway();
    port = await t.createInstance('two');
    password = await t.createUser('two', 'alice');
    second = await t.startSecondNode();
  });
  afterAll(async () => {
    await second?.stop();
    await t?.stop();
  });

  const auditOf = (name: string, audit: NodeAudit | null): NodeAudit => {
    if (!audit) throw new Error(`node ${name} runs without its durable trail`);
    return audit;
  };

  /** A synthetic event marked with its node, writer and index in requestId: `node-a:2:17`. */
  const synthetic = (marker: string, i: number): AuditEvent =>
    i % 2 === 0
      ? {
          type: 'alert',
          at: new Date().toISOString(),
          detector: 'failure-burst',
          subject: 'source 192.0.2.1',
          requestId: marker,
          count: i,
          windowSeconds: 60,
        }
      : {
          type: 'db.connect',
          at: new Date().toISOString(),
          requestId: marker,
          instance: 'synthetic',
          dbUser: 'nobody',
          method: 'none',
          source: '192.0.2.1:5432',
          tls: false,
          outcome: 'failure',
          code: 'GH_AUTH_FAILED',
          reason: 'synthetic',
        };

  async function writer(node: string, audit: NodeAudit, w: number): Promise<void> {
    for (let i = 0; i < PER_WRITER; i++) {
      const event = synthetic(`${node}:${w}:${i}`, i);
      if (i % COMMIT_EVERY === COMMIT_EVERY - 1) await audit.trail.commit(event);
      else audit.trail.emit(event);
    }
  }

  async function login(app: string): Promise<void> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'alice',
      password,
      database: 'app',
      application_name: app,
    });
    client.on('error', () => {});
    await client.connect();
    await client.query('SELECT 1');
    await client.end();
  }

  it('numbers every event of both nodes once, in one chain that verifies, with digests from both nodes', async () => {
    if (!second) throw new Error('no second node');
    const a = auditOf('a', t.gateway.audit);
    const b = auditOf('b', second.gateway.audit);
    const pool = t.gateway.store.pool;
    const started = performance.now();

    const apps: string[] = [];
    await Promise.all([
      ...Array.from({ length: WRITERS }, (_, w) => writer('node-a', a, w)),
      ...Array.from({ length: WRITERS }, (_, w) => writer('node-b', b, w)),
      ...Array.from({ length: LOGIN_LOOPS }, async (_, l) => {
        for (let i = 0; i < LOGINS_PER_LOOP; i++) {
          const app = `two-nodes-${l}-${i}`;
          await login(app);
          apps.push(app);
        }
      }),
    ]);
    // The logins' sessions end asynchronously (db.disconnect is emitted once node A sees the client go).
    const loginIds = await waitFor(
      async () => {
        const r = await pool.query<{ request_id: string; body: string; ended: boolean }>(
          `SELECT c.request_id, c.body,
                  EXISTS (SELECT 1 FROM gh_audit_events d
                           WHERE d.event_name = 'db.disconnect' AND d.request_id = c.request_id) AS ended
             FROM gh_audit_events c WHERE c.event_name = 'db.connect' AND c.outcome = 'success'`,
        );
        const mine = r.rows.filter((x) => apps.includes(JSON.parse(x.body).application));
        return mine.length === apps.length && mine.every((x) => x.ended) && mine.map((x) => x.request_id);
      },
      { timeoutMs: 10_000, what: 'the db.connect and db.disconnect events of every login' },
    );
    await Promise.all([a.trail.flush(), b.trail.flush()]);
    const writeMs = performance.now() - started;

    const rows = (
      await pool.query<{ seq: string; request_id: string | null; event_name: string }>(
        'SELECT seq::text AS seq, request_id, event_name FROM gh_audit_events ORDER BY gh_audit_events.seq',
      )
    ).rows;
    // One total order: 1..N, no gap, no duplicate.
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));

    // Every synthetic event exactly once, and each writer's events in the order it wrote them: its emitted events
    // among themselves and its committed ones among themselves (a commit waiting to admit a login is written
    // ahead of emitted events still queued, so it may come before emits written just before it; decision 49).
    const nodeOf = (r: { request_id: string | null }) => /^(node-[ab]):/.exec(r.request_id ?? '')?.[1];
    const marked = rows.filter((r) => nodeOf(r) !== undefined);
    for (const node of ['node-a', 'node-b']) {
      const mine = marked.filter((r) => nodeOf(r) === node);
      expect(mine).toHaveLength(WRITERS * PER_WRITER);
      expect(new Set(mine.map((r) => r.request_id)).size).toBe(WRITERS * PER_WRITER);
      for (let w = 0; w < WRITERS; w++) {
        const order = mine
          .filter((r) => r.request_id?.startsWith(`${node}:${w}:`))
          .map((r) => Number(r.request_id?.split(':')[2]));
        expect([...order].sort((x, y) => x - y)).toEqual(Array.from({ length: PER_WRITER }, (_, i) => i));
        const committed = (i: number) => i % COMMIT_EVERY === COMMIT_EVERY - 1;
        const emits = order.filter((i) => !committed(i));
        const commits = order.filter(committed);
        expect(emits).toEqual([...emits].sort((x, y) => x - y));
        expect(commits).toEqual([...commits].sort((x, y) => x - y));
        // A commit never comes after an emit its writer made later (it waited for its own write).
        for (const c of commits)
          expect(order.indexOf(c)).toBeLessThan(
            order.indexOf(c + 1) === -1 ? Infinity : order.indexOf(c + 1),
          );
      }
    }
    // Each login's connect and disconnect once.
    for (const id of loginIds) {
      expect(rows.filter((r) => r.request_id === id).map((r) => r.event_name)).toEqual([
        'db.connect',
        'db.disconnect',
      ]);
    }

    // Shared, not one after the other: the nodes' events alternate many times in the chain.
    let runs = 0;
    let previous: string | undefined;
    for (const r of marked) {
      const node = nodeOf(r);
      if (node !== previous) runs++;
      previous = node;
    }
    expect(runs).toBeGreaterThanOrEqual(20);

    // Both nodes sign a digest at the same moment: two consecutive digests, one per node's key.
    const [da, db] = await Promise.all([a.digestNow(), b.digestNow()]);
    if (!da || !db) throw new Error('a forced digest was not written');
    const [first, then] = [da.digestSeq, db.digestSeq].sort((x, y) => (x < y ? -1 : 1));
    expect(then).toBe((first ?? 0n) + 1n);
    expect(JSON.parse(da.body).keyId).toBe(keyIdOf(a.signer.publicKey));
    expect(JSON.parse(db.body).keyId).toBe(keyIdOf(b.signer.publicKey));
    expect(keyIdOf(a.signer.publicKey)).not.toBe(keyIdOf(b.signer.publicKey));
    const digests = await readDigests(pool);
    expect(digests.map((d) => d.digestSeq)).toEqual(digests.map((_, i) => BigInt(i + 1)));
    const newest = JSON.parse(digests[digests.length - 1]?.body ?? '{}') as { toSeq?: string };
    expect(newest.toSeq).toBe(String(rows.length));

    const report = await verifyTrail({
      rows: trailRows(pool),
      head: await readHead(pool),
      digests,
      dropped: await readDropped(pool),
      publicKeys: [a.signer.publicKey, b.signer.publicKey],
    });
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      events: rows.length,
      firstSeq: '1',
      lastSeq: String(rows.length),
      digests: digests.length,
      signaturesChecked: true,
      unsignedTail: 0,
    });
    // With only one node's key, the other node's digest is reported: the keys really are checked.
    const oneKey = await verifyTrail({
      rows: trailRows(pool),
      head: await readHead(pool),
      digests,
      publicKeys: [a.signer.publicKey],
    });
    expect(oneKey.findings).toContainEqual(
      expect.objectContaining({ kind: 'digest-invalid', seq: db.digestSeq.toString() }),
    );

    console.info(
      `two nodes: ${marked.length} synthetic events + ${apps.length} logins (${rows.length} events) in ` +
        `${Math.round(writeMs)} ms; ${runs} runs of one node's events; ${digests.length} digests`,
    );
  });
});
