// The durable audit trail against a real store: real logins are written as one hash chain with their fields, the
// untouched trail and its signed digests verify, each kind of tampering done with SQL on the store is named, and
// a login whose "allowed" event cannot be committed is refused (fail closed) unless the instance says otherwise.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash } from '../../../src/core/audit-chain.js';
import { type VerifyReport, verifyTrail } from '../../../src/core/audit-verify.js';
import {
  type Queryable,
  readDigests,
  readDropped,
  readHead,
  trailRows,
} from '../../../src/store/audit-read.js';
import { eventually, waitFor } from '../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';

describe('the durable audit trail', () => {
  let t: TestGateway;
  let port: number;
  let password: string;

  beforeAll(async () => {
    t = await startTestGateway();
    port = await t.createInstance('aud');
    password = await t.createUser('aud', 'alice');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const trail = () => {
    const audit = t.gateway.audit;
    if (!audit) throw new Error('the gateway runs without its durable trail');
    return audit;
  };

  async function login(pw: string, applicationName = 'trail-test', user = 'alice'): Promise<void> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user,
      password: pw,
      database: 'app',
      application_name: applicationName,
      ssl: { rejectUnauthorized: false },
    });
    client.on('error', () => {});
    await client.connect();
    await client.query('SELECT 1');
    await client.end();
  }

  async function verify(q: Queryable): Promise<VerifyReport> {
    return verifyTrail({
      rows: trailRows(q),
      head: await readHead(q),
      digests: await readDigests(q),
      dropped: await readDropped(q),
      publicKeys: [trail().signer.publicKey],
    });
  }

  /** Tamper inside a transaction, verify what the transaction sees, roll back. */
  async function tampered(sql: (c: pg.PoolClient) => Promise<unknown>): Promise<VerifyReport> {
    const c = await t.gateway.store.pool.connect();
    try {
      await c.query('BEGIN');
      await sql(c);
      return await verify(c);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  }

  const rows = async () =>
    (
      await t.gateway.store.pool.query<{
        seq: string;
        event_name: string;
        username: string | null;
        outcome: string | null;
        error_code: string | null;
        request_id: string | null;
        body: string;
      }>(
        'SELECT seq::text AS seq, event_name, username, outcome, error_code, request_id, body FROM gh_audit_events ORDER BY gh_audit_events.seq',
      )
    ).rows;

  it('writes each login, refusal and disconnect with its fields, in one chain that verifies with its digest', async () => {
    await login(password);
    await expect(login('wrong-password-123')).rejects.toThrow(/password authentication failed/);
    await trail().trail.flush();
    const all = await rows();
    const admitted = all.find((r) => r.event_name === 'db.connect' && r.outcome === 'success');
    const refused = all.find((r) => r.event_name === 'db.connect' && r.outcome === 'failure');
    expect(admitted).toMatchObject({ username: 'alice' });
    expect(JSON.parse(admitted?.body ?? '{}')).toMatchObject({
      type: 'db.connect',
      instance: 'aud',
      engine: 'postgres',
      dbUser: 'alice',
      database: 'app',
      method: 'scram-sha-256',
      tls: true,
      tlsVersion: expect.stringMatching(/^TLSv1\.[23]$/),
      tlsCipher: expect.any(String),
      application: 'trail-test',
      source: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      backendPid: expect.any(Number),
    });
    expect(refused).toMatchObject({ username: 'alice', error_code: 'GH_AUTH_FAILED' });
    expect(JSON.parse(refused?.body ?? '{}').reason).toEqual(expect.any(String));
    const disconnect = all.find((r) => r.event_name === 'db.disconnect');
    expect(disconnect?.request_id).toBe(admitted?.request_id);
    expect(all.map((r) => Number(r.seq))).toEqual(all.map((_, i) => i + 1));

    const digest = await trail().digestNow();
    expect(digest).not.toBeNull();
    const report = await verify(t.gateway.store.pool);
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, signaturesChecked: true, unsignedTail: 0 });
    expect(report.events).toBe(all.length);
  });

  it('names a modified, deleted, inserted or reordered event, and deleted newest events', async () => {
    for (let i = 0; i < 3; i++) await login(password);
    await trail().trail.flush();
    await trail().digestNow();
    const all = await rows();
    const n = all.length;
    expect(n).toBeGreaterThan(8);
    expect((await verify(t.gateway.store.pool)).ok).toBe(true);

    const modified = await tampered((c) =>
      c.query(`UPDATE gh_audit_events SET body = replace(body, '"alice"', '"mallory"') WHERE seq = 3`),
    );
    expect(modified.findings[0]).toMatchObject({ kind: 'modified', seq: '3' });

    const deleted = await tampered((c) => c.query('DELETE FROM gh_audit_events WHERE seq = 4'));
    expect(deleted.findings[0]).toMatchObject({ kind: 'deleted', seq: '4' });

    const swapped = await tampered(async (c) => {
      await c.query('UPDATE gh_audit_events SET seq = -1 WHERE seq = 5');
      await c.query('UPDATE gh_audit_events SET seq = 5 WHERE seq = 6');
      await c.query('UPDATE gh_audit_events SET seq = 6 WHERE seq = -1');
    });
    expect(swapped.findings[0]).toMatchObject({ kind: 'reordered', seq: '5' });

    // A forged event that chains correctly after event 2, the rest renumbered to make room.
    const inserted = await tampered(async (c) => {
      await c.query('UPDATE gh_audit_events SET seq = -seq - 1 WHERE seq > 2');
      await c.query('UPDATE gh_audit_events SET seq = -seq WHERE seq < 0');
      const two = (
        await c.query<{ hash: Buffer; body: string; period: string }>(
          'SELECT hash, body, period FROM gh_audit_events WHERE seq = 2',
        )
      ).rows[0];
      if (!two) throw new Error('no event 2');
      const body = two.body.replace('"alice"', '"mallory"');
      await c.query(
        `INSERT INTO gh_audit_events (period, seq, event_id, event_time, event_name, request_id, principal, username,
           access_key_id, source_ip, resource, outcome, error_code, body, prev_hash, hash)
         SELECT period, 3, event_id, event_time, event_name, request_id, principal, 'mallory', access_key_id,
                source_ip, resource, outcome, error_code, $1, $2, $3 FROM gh_audit_events WHERE seq = 2`,
        [body, two.hash, chainHash(two.hash, 3n, two.period, body)],
      );
    });
    expect(inserted.findings[0]).toMatchObject({ kind: 'inserted', seq: '3' });

    const truncated = await tampered((c) => c.query('DELETE FROM gh_audit_events WHERE seq > $1', [n - 3]));
    expect(truncated.findings[0]).toMatchObject({ kind: 'truncated', seq: String(n - 2) });

    // Head rewound too: the signed digest still names the deleted events.
    const rewound = await tampered(async (c) => {
      await c.query('DELETE FROM gh_audit_events WHERE seq > $1', [n - 3]);
      await c.query(
        'UPDATE gh_audit_head SET seq = $1, hash = (SELECT hash FROM gh_audit_events WHERE seq = $1)',
        [n - 3],
      );
    });
    expect(rewound.findings[0]).toMatchObject({ kind: 'truncated', seq: String(n - 2) });
    expect(rewound.findings[0]?.message).toContain('signed digest');

    // Nothing was committed: the trail still verifies.
    expect((await verify(t.gateway.store.pool)).ok).toBe(true);
  });

  it('refuses a login whose allowed event cannot be committed, admits it on an AuditFailOpen instance, and writes the refusal later', async () => {
    const store = t.gateway.store.pool;
    await store.query('ALTER TABLE gh_audit_head RENAME TO gh_audit_head_away');
    try {
      const refused = await login(password).then(
        () => null,
        (e: unknown) => e as { code?: string; message: string },
      );
      expect(refused?.code).toBe('57P03');
      expect(refused?.message).toMatch(/cannot record this login in the audit trail/);

      await t.gateway.controlPlane.modifyInstance({ identifier: 'aud', auditFailOpen: true });
      await eventually(() => login(password), {
        timeoutMs: 10_000,
        what: 'a fail-open login while the trail is away',
      });
      await t.gateway.controlPlane.modifyInstance({ identifier: 'aud', auditFailOpen: false });
    } finally {
      await store.query('ALTER TABLE gh_audit_head_away RENAME TO gh_audit_head');
    }
    // The queued events (the refusal, the fail-open login) are written once the store takes them again.
    await waitFor(
      async () =>
        (await rows()).find((r) => r.event_name === 'db.connect' && r.error_code === 'GH_AUDIT_UNAVAILABLE'),
      { timeoutMs: 10_000, what: 'the GH_AUDIT_UNAVAILABLE refusal in the trail' },
    );
    await trail().trail.flush();
    expect((await verify(store)).findings).toEqual([]);
  });

  it('raises a new-network alert into the trail for a login from a network the user never logged in from', async () => {
    const carolPassword = await t.createUser('aud', 'carol');
    // Carol's history: one earlier admitted login from 10.1.2.3 (written through the trail like any other).
    await trail().trail.commit({
      type: 'db.connect',
      at: new Date(Date.now() - 86_400_000).toISOString(),
      requestId: 'history00000001',
      instance: 'aud',
      dbUser: 'carol',
      database: 'app',
      method: 'scram-sha-256',
      source: '10.1.2.3:40000',
      tls: true,
      outcome: 'success',
    });
    await login(carolPassword, 'trail-test', 'carol');
    const alertRow = await waitFor(
      async () => (await rows()).find((r) => r.event_name === 'alert' && r.outcome === 'new-network'),
      { timeoutMs: 10_000, what: "the new-network alert for carol's login from 127.0.0.1" },
    );
    expect(JSON.parse(alertRow.body)).toMatchObject({
      detector: 'new-network',
      subject: 'database user aud/carol',
      network: '127.0.0.0/24',
      instance: 'aud',
    });
    // From that network again: no second alert.
    await login(carolPassword, 'trail-test', 'carol');
    await trail().trail.flush();
    expect(
      (await rows()).filter((r) => r.event_name === 'alert' && r.outcome === 'new-network'),
    ).toHaveLength(1);
  });
});
