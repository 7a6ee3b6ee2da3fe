// Every admitted session ends with one db.disconnect audit event under its db.connect request id: how long it
// lasted, the bytes each way, and why it ended (the client quit, the backend went away, the gateway shut down).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, SessionEndedEvent } from '../../../src/core/audit.js';
import { waitFor } from '../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';

describe('db.disconnect audit events', () => {
  const events: AuditEvent[] = [];
  let t: TestGateway;
  let port: number;
  let password: string;
  let stopped = false;

  beforeAll(async () => {
    t = await startTestGateway({ audit: { emit: (e) => void events.push(e) } });
    port = await t.createInstance('bye');
    password = await t.createUser('bye', 'bob');
  });
  afterAll(async () => {
    if (!stopped) await t?.stop();
  });

  /** A node-postgres session as bob (no TLS), with the request id of its db.connect event. */
  async function open(): Promise<{ client: pg.Client; requestId: string; errors: Error[] }> {
    const before = events.length;
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'bob', password, database: 'app' });
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    await client.connect();
    const connected = await waitFor(
      () => events.slice(before).find((e) => e.type === 'db.connect' && e.outcome === 'success'),
      { timeoutMs: 5000, what: "the session's db.connect event" },
    );
    return { client, requestId: connected.requestId, errors };
  }

  const ended = (requestId: string) =>
    waitFor(
      () =>
        events.find((e): e is SessionEndedEvent => e.type === 'db.disconnect' && e.requestId === requestId),
      { timeoutMs: 5000, what: `the db.disconnect event of ${requestId}` },
    );

  it('a client that quits: reason client-quit, duration and bytes each way', async () => {
    const { client, requestId } = await open();
    const { rows } = await client.query("SELECT repeat('x', 5000) AS big");
    expect((rows[0] as { big: string }).big).toHaveLength(5000);
    await client.end();
    const e = await ended(requestId);
    expect(e).toEqual(
      expect.objectContaining({
        instance: 'bye',
        dbUser: 'bob',
        database: 'app',
        method: 'scram-sha-256',
        reason: 'client-quit',
      }),
    );
    expect(e.bytesToClient).toBeGreaterThan(5000);
    expect(e.bytesFromClient).toBeGreaterThan('SELECT repeat'.length);
    expect(e.durationMs).toBeGreaterThanOrEqual(0);
    expect(events.filter((x) => x.type === 'db.disconnect' && x.requestId === requestId)).toHaveLength(1);
  });

  it('a backend that goes away (pg_terminate_backend): reason backend-gone', async () => {
    const { client, requestId, errors } = await open();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await t.backendSql('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    expect(await ended(requestId)).toEqual(
      expect.objectContaining({ reason: 'backend-gone', dbUser: 'bob' }),
    );
    await waitFor(() => errors.length > 0, { timeoutMs: 5000, what: 'the client to see its session end' });
    await client.end().catch(() => {});
  });

  it('a gateway that shuts down with a session open: reason shutdown', async () => {
    const { client, requestId } = await open();
    client.on('error', () => {});
    stopped = true;
    await t.stop();
    expect(await ended(requestId)).toEqual(expect.objectContaining({ reason: 'shutdown', dbUser: 'bob' }));
    await client.end().catch(() => {});
  });
});
