// Query cancellation through the gateway: CancelRequest with gateway-issued keys reaches the right backend, only it.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { conninfo, startPsql } from '../../support/psql.js';
import { requireBinary } from '../../support/require-binary.js';
import { sendCancel } from '../../support/send-cancel.js';
import { waitForSleep } from '../../support/wait-for-sleep.js';

const psql = requireBinary('psql');
const INSTANCE = 'cancel';
/** Functional bound: a cancelled pg_sleep(30) must end long before 30 s (not a performance assertion). */
const PROMPT_MS = 10_000;

/** node-postgres keeps the BackendKeyData it received on the client (not in its typings). */
interface KeyedClient {
  readonly processID: number;
  readonly secretKey: number;
}

function keyOf(client: pg.Client): { processId: number; secretKey: Buffer } {
  const { processID, secretKey } = client as unknown as KeyedClient;
  const key = Buffer.alloc(4); // protocol 3.0: a 4-byte secret, which pg-protocol reads as a signed int32
  key.writeInt32BE(secretKey);
  return { processId: processID, secretKey: key };
}

describe('query cancellation through the gateway', () => {
  let t: TestGateway;
  let port: number;
  let password: string;
  let ca: string;
  let admin: pg.Client;

  beforeAll(async () => {
    t = await startTestGateway();
    port = await t.createInstance(INSTANCE);
    password = await t.createUser(INSTANCE, 'carl');
    ca = readFileSync(t.caFile, 'utf8');
    admin = new pg.Client({ connectionString: t.postgres.adminUrl('app') });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end().catch(() => {});
    await t?.stop();
  });

  async function connectClient(applicationName: string): Promise<pg.Client> {
    const client = new pg.Client({
      host: 'localhost',
      port,
      user: 'carl',
      password,
      database: 'app',
      application_name: applicationName,
      ssl: { ca, servername: 'localhost' },
    });
    await client.connect();
    return client;
  }

  it.skipIf(!psql)('psql interrupted with SIGINT cancels pg_sleep(30) promptly with 57014', async () => {
    const info = conninfo({
      host: 'localhost',
      port,
      user: 'carl',
      dbname: 'app',
      sslmode: 'verify-full',
      sslrootcert: t.caFile,
      application_name: 'gh-cancel-psql',
    });
    const run = startPsql(info, 'select pg_sleep(30)', {
      bin: psql!,
      password,
      args: ['-v', 'VERBOSITY=verbose'],
      timeoutMs: 40_000,
    });
    await waitForSleep(admin, 'gh-cancel-psql');
    run.child.kill('SIGINT'); // psql's handler sends a CancelRequest to the gateway
    const r = await run.done;
    expect(r.timedOut).toBe(false);
    expect(r.elapsedMs).toBeLessThan(PROMPT_MS);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERROR: {2}57014: canceling statement due to user request/);
  });

  it('a CancelRequest with the BackendKeyData node-postgres received cancels its pg_sleep with 57014', async () => {
    const client = await connectClient('gh-cancel-node');
    try {
      const started = Date.now();
      const query = client.query('select pg_sleep(30)').then(
        () => null,
        (e: Error & { code?: string }) => e,
      );
      await waitForSleep(admin, 'gh-cancel-node');
      const { processId, secretKey } = keyOf(client);
      expect(await sendCancel(port, processId, secretKey)).toHaveLength(0);
      const error = await query;
      expect(Date.now() - started).toBeLessThan(PROMPT_MS);
      expect(error?.code).toBe('57014');
      expect(error?.message).toBe('canceling statement due to user request');
      // The session survives a cancelled statement.
      expect((await client.query('select 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('a CancelRequest with a wrong secret key does not cancel the query', async () => {
    const client = await connectClient('gh-cancel-wrong');
    try {
      const query = client.query<{ done: string }>("select pg_sleep(1), 'finished' AS done");
      await waitForSleep(admin, 'gh-cancel-wrong');
      const { processId, secretKey } = keyOf(client);
      const wrong = Buffer.from(secretKey);
      wrong[3] = (wrong[3] ?? 0) ^ 0x01;
      expect(await sendCancel(port, processId, wrong)).toHaveLength(0);
      expect(await sendCancel(port, processId ^ 0x01, secretKey)).toHaveLength(0);
      const { rows } = await query;
      expect(rows[0]?.done).toBe('finished');
    } finally {
      await client.end();
    }
  });

  it('a CancelRequest for a session that has ended is harmless', async () => {
    const gone = await connectClient('gh-cancel-gone');
    const stale = keyOf(gone);
    await gone.end();
    const client = await connectClient('gh-cancel-after');
    try {
      const query = client.query<{ done: string }>("select pg_sleep(1), 'finished' AS done");
      await waitForSleep(admin, 'gh-cancel-after');
      expect(await sendCancel(port, stale.processId, stale.secretKey)).toHaveLength(0);
      expect((await query).rows[0]?.done).toBe('finished');
    } finally {
      await client.end();
    }
    const again = await connectClient('gh-cancel-again');
    expect((await again.query('select current_user AS u')).rows).toEqual([{ u: 'carl' }]);
    await again.end();
  });

  it('the gateway issues its own process id, not the real backend pid', async () => {
    const client = await connectClient('gh-cancel-pid');
    try {
      const { processId } = keyOf(client);
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() AS pid');
      const backendPid = rows[0]?.pid;
      expect(Number.isInteger(processId) && processId > 0).toBe(true);
      expect(processId).not.toBe(backendPid);
      // …and the pid the client sees through SQL is the real backend session of this user.
      const activity = await admin.query('select usename from pg_stat_activity where pid = $1', [backendPid]);
      expect(activity.rows).toEqual([{ usename: 'carl' }]);
    } finally {
      await client.end();
    }
  });
});
