// Standing fault suite (issue 10): the state store and a backend killed (SIGKILL) and frozen (SIGSTOP) under a
// running gateway. For each fault: what a session opened before it sees, the exact code a new login gets, and
// recovery (restart on the same data dir and port, or SIGCONT) without restarting the gateway.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient } from '../../../src/cli/api-client.js';
import { startEmbeddedPostgres } from '../../support/embedded-pg.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { type FaultableCluster, faultable } from '../../support/pg-faults.js';

/** backend.connectTimeoutSeconds here: a frozen backend is reported after this long. */
const BACKEND_DEADLINE_S = 1;
/** The store pool's connect and query deadlines (src/store/pool.ts): a silent store is unreachable after this. */
const STORE_DEADLINE_MS = 5_000;
/** listener.authTimeoutSeconds (the default): the store's deadline must answer before this one cuts the login. */
const LOGIN_DEADLINE_MS = 10_000;
/** Timer slack: a deadline may fire a few ms before the elapsed time measured around it. */
const SLACK_MS = 50;
const REQUEST_ID = '\\(request id [0-9a-f]{16}\\)';
const STORE_TEMPORARY = new RegExp(
  `^cannot reach the state store: this is temporary, retry in a few seconds ${REQUEST_ID}$`,
);
const BACKEND_UNREACHABLE = new RegExp(`^could not connect to the backend of instance "shop" ${REQUEST_ID}$`);
const BACKEND_SILENT = new RegExp(
  `^the backend of instance "shop" did not answer within ${BACKEND_DEADLINE_S * 1000} ms ${REQUEST_ID}$`,
);

interface Outcome {
  user?: string;
  code?: string;
  message?: string;
  elapsedMs: number;
}

/** A session opened before the fault, with everything node-postgres reported on it. */
interface LiveSession {
  readonly client: pg.Client;
  /** 'error' events (code and message) in order. */
  readonly errors: Array<{ code: string | undefined; message: string }>;
  readonly ended: () => boolean;
  /** The backend's pid for this session (from the backend itself, through the gateway). */
  readonly backendPid: number;
}

describe('faults under a running gateway', () => {
  let t: TestGateway;
  let store: FaultableCluster;
  let backend: FaultableCluster;
  let port: number;
  let ca: string;
  const password = 'password-of-sam-faults';
  const opened: pg.Client[] = [];

  beforeAll(async () => {
    // The store is the test gateway's cluster; the backend is a cluster of its own, so each can fail alone.
    const [gateway, backendCluster] = await Promise.all([
      startTestGateway({ backendConnectTimeoutSeconds: BACKEND_DEADLINE_S }),
      startEmbeddedPostgres({ name: 'faults-backend' }),
    ]);
    t = gateway;
    [store, backend] = await Promise.all([faultable(t.postgres), faultable(backendCluster)]);
    ca = readFileSync(t.caFile, 'utf8');
    port = await t.createInstance('shop', { backendUrl: `${backend.adminUrl('postgres')}?sslmode=disable` });
    expect(
      t.gateway.listeners.get('shop'),
      `the listener of "shop" could not bind port ${port}`,
    ).toBeDefined();
    await t.gateway.controlPlane.createDbUser({
      instance: 'shop',
      username: 'sam',
      auth: 'password',
      password,
    });
  });
  afterEach(async () => {
    // Never leave a stopped or dead postgres behind, whatever the test did before it failed.
    await Promise.all(opened.splice(0).map((c) => c.end().catch(() => {})));
    await Promise.all([store?.heal(), backend?.heal()]);
  });
  afterAll(async () => {
    await t?.gateway.close();
    await backend?.stop();
    await store?.stop();
    await t?.stop();
  });

  const newClient = () => {
    const client = new pg.Client({
      host: 'localhost',
      port,
      user: 'sam',
      password,
      database: 'postgres',
      ssl: { ca, servername: 'localhost' },
    });
    opened.push(client);
    return client;
  };

  async function login(): Promise<Outcome> {
    const client = newClient();
    const started = Date.now();
    try {
      await client.connect();
      const { rows } = await client.query<{ u: string }>('SELECT current_user AS u');
      return { user: rows[0]?.u ?? '', elapsedMs: Date.now() - started };
    } catch (e) {
      const err = e as Error & { code?: string };
      return { code: err.code, message: err.message, elapsedMs: Date.now() - started };
    } finally {
      await client.end().catch(() => {});
    }
  }

  async function openSession(): Promise<LiveSession> {
    const client = newClient();
    const errors: LiveSession['errors'] = [];
    let ended = false;
    client.on('error', (e: Error & { code?: string }) => errors.push({ code: e.code, message: e.message }));
    client.on('end', () => {
      ended = true;
    });
    await client.connect();
    return { client, errors, ended: () => ended, backendPid: await backendPidOf(client) };
  }

  async function backendPidOf(client: pg.Client): Promise<number> {
    return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
  }

  /** A management API call that reads the store (signed with the bootstrap admin key). */
  async function listUsers(): Promise<{
    status: number;
    gatehouseCode?: string;
    body?: string;
    elapsedMs: number;
  }> {
    const credentials = t.gateway.bootstrapKey;
    if (!credentials) throw new Error('the test gateway created no bootstrap key');
    const client = createApiClient({
      endpoint: new URL(t.gateway.apiUrl),
      region: t.gateway.account.region,
      credentials,
      caPem: ca,
    });
    const started = Date.now();
    try {
      const body = JSON.stringify(await client.call('ListDBUsers', { DBInstanceIdentifier: 'shop' }));
      return { status: 200, body, elapsedMs: Date.now() - started };
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      return { status: e.status, gatehouseCode: e.gatehouseCode, elapsedMs: Date.now() - started };
    }
  }

  /** Recovery, same gateway process: the very first login works, and so does the management API. */
  async function expectRecovered(live?: LiveSession): Promise<void> {
    expect(await login()).toMatchObject({ user: 'sam' });
    const api = await listUsers();
    expect(api.status).toBe(200);
    expect(api.body).toContain('"sam"');
    if (live) {
      // The session opened before the fault is still the same backend session, untouched.
      expect(await backendPidOf(live.client)).toBe(live.backendPid);
      expect(live.errors).toEqual([]);
    }
  }

  describe('the state store', () => {
    it('a store killed with SIGKILL: a live session keeps working, a new login gets 08006 GH_STORE_UNAVAILABLE at once and the API 503; after it restarts on the same data dir the first login succeeds, no gateway restart', async () => {
      const live = await openSession();
      await expectRecovered(); // control: login and API work before the fault

      await store.kill();

      // The data plane relays to the backend: the store is not on a live session's path.
      expect(await backendPidOf(live.client)).toBe(live.backendPid);
      const refused = await login();
      expect(refused).toMatchObject({ code: '08006' });
      expect(refused.message).toMatch(STORE_TEMPORARY);
      expect(refused.elapsedMs).toBeLessThan(STORE_DEADLINE_MS); // refused at once, not a deadline
      expect(await listUsers()).toMatchObject({ status: 503, gatehouseCode: 'GH_STORE_UNAVAILABLE' });

      await store.restart();
      await expectRecovered(live);
    });

    it('a login while the store is frozen (SIGSTOP) gets 08006 GH_STORE_UNAVAILABLE within the 5 s store deadline, before the 10 s login deadline, and the API 503; a live session keeps working, and the first login after SIGCONT succeeds', async () => {
      const live = await openSession();
      await expectRecovered(); // control, and it leaves an idle pooled store connection for the freeze to hang

      store.freeze();

      expect(await backendPidOf(live.client)).toBe(live.backendPid);
      // Both at once: one may hang on a pooled connection (query deadline), the other on a new one (connect deadline).
      const [refused, api] = await Promise.all([login(), listUsers()]);
      expect(refused).toMatchObject({ code: '08006' });
      expect(refused.message).toMatch(STORE_TEMPORARY);
      expect(refused.elapsedMs).toBeGreaterThanOrEqual(STORE_DEADLINE_MS - SLACK_MS); // the store's deadline answered…
      expect(refused.elapsedMs).toBeLessThan(LOGIN_DEADLINE_MS); // …not the login's, which would say nothing
      expect(api).toMatchObject({ status: 503, gatehouseCode: 'GH_STORE_UNAVAILABLE' });
      expect(api.elapsedMs).toBeLessThan(LOGIN_DEADLINE_MS);
      expect(await backendPidOf(live.client)).toBe(live.backendPid);

      store.thaw();
      await expectRecovered(live);
    });
  });

  describe('a backend', () => {
    it("a backend whose postmaster is killed (SIGKILL): an idle live session gets the backend's FATAL 57P01 relayed verbatim, one in the middle of a query only sees the connection close (no SQLSTATE), a new login gets 08006 GH_BACKEND_UNREACHABLE; after a restart the first login succeeds", async () => {
      const idle = await openSession();
      const busy = await openSession();
      const inFlight = busy.client.query('SELECT pg_sleep(60)').then(
        () => ({ code: 'none', message: 'the query finished' }),
        (e: Error & { code?: string }) => ({ code: e.code, message: e.message }),
      );
      // Wait for the fact: the backend is running that query.
      await vi.waitFor(
        async () => {
          const admin = new pg.Client({ connectionString: backend.adminUrl('postgres') });
          await admin.connect();
          try {
            const { rows } = await admin.query<{ state: string }>(
              'SELECT state FROM pg_stat_activity WHERE pid = $1',
              [busy.backendPid],
            );
            expect(rows[0]?.state).toBe('active');
          } finally {
            await admin.end();
          }
        },
        { timeout: 10_000, interval: 50 },
      );

      await backend.kill();

      // Idle: the server process notices its postmaster is gone and says so before exiting; the gateway relays
      // that FATAL unchanged, then closes the client's connection.
      await vi.waitFor(() => expect(idle.ended()).toBe(true), { timeout: 10_000, interval: 20 });
      expect(idle.errors[0]).toEqual({
        code: '57P01',
        message: 'terminating connection due to unexpected postmaster exit',
      });
      // Mid-query (pg_sleep exits at once on postmaster death, without a message): the gateway sends nothing
      // either, so the client has no SQLSTATE, as with a direct connection to a crashed server.
      expect(await inFlight).toEqual({ code: undefined, message: 'Connection terminated unexpectedly' });
      await vi.waitFor(() => expect(busy.ended()).toBe(true), { timeout: 10_000, interval: 20 });
      expect(busy.errors.every((e) => e.code === undefined)).toBe(true);

      const refused = await login();
      expect(refused).toMatchObject({ code: '08006' });
      expect(refused.message).toMatch(BACKEND_UNREACHABLE);

      await backend.restart();
      await expectRecovered();
    });

    it("a login while the backend is frozen (SIGSTOP) gets 08001 GH_BACKEND_TIMEOUT at the 1 s backend deadline; a live session's query just waits (no error, no gateway deadline) and completes after SIGCONT, as does the first new login", async () => {
      const live = await openSession();
      await expectRecovered(); // control

      backend.freeze();

      let settled = false;
      const pending = live.client.query<{ x: number }>('SELECT 42 AS x').finally(() => {
        settled = true;
      });
      const refused = await login();
      expect(refused).toMatchObject({ code: '08001' });
      expect(refused.message).toMatch(BACKEND_SILENT);
      expect(refused.elapsedMs).toBeGreaterThanOrEqual(BACKEND_DEADLINE_S * 1000 - SLACK_MS);
      expect(refused.elapsedMs).toBeLessThan(LOGIN_DEADLINE_MS);
      // By now the backend deadline has passed once: the live session was neither answered nor cut.
      expect(settled).toBe(false);
      expect(live.errors).toEqual([]);

      backend.thaw();
      expect((await pending).rows).toEqual([{ x: 42 }]);
      await expectRecovered(live);
    });
  });
});
