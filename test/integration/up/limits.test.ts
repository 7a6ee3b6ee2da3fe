// `gatehouse up` sizes its embedded PostgreSQL for the demo and says so; the gateway's own session limit answers
// before the backend runs out of connection slots.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demoClientConfig,
  freeUpPorts,
  makeDataDir,
  removeDataDir,
  startUp,
  type UpPorts,
  type UpProcess,
} from '../../support/up-process.js';

const SESSIONS = 350;
/** Logins in flight at once: well under the 64-per-address pre-auth limit. */
const PARALLEL = 16;

describe('gatehouse up: connection limits of the demo', () => {
  let dataDir: string;
  let ports: UpPorts;
  let up: UpProcess | undefined;
  const sessions: pg.Client[] = [];

  /** A direct connection to the embedded PostgreSQL as its superuser (not through the gateway). */
  const store = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: ports.store,
      user: 'postgres',
      password: readFileSync(join(dataDir, 'pgdata.password'), 'utf8').trim(),
      database: 'postgres',
    });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };

  /** A demo session through the gateway; resolves with the client, or the refusal. */
  const demoSession = async (): Promise<pg.Client | (Error & { code?: string })> => {
    const client = new pg.Client(demoClientConfig(dataDir, ports.pg, 30_000));
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch (e) {
      return e as Error & { code?: string };
    }
  };

  beforeAll(async () => {
    dataDir = await makeDataDir();
    ports = await freeUpPorts();
    up = await startUp(dataDir, ports);
  });

  afterAll(async () => {
    await Promise.all(sessions.map((c) => c.end().catch(() => {})));
    await up?.stop('SIGTERM', 20_000).catch(() => {});
    if (dataDir) await removeDataDir(dataDir);
  });

  it('up prints the session limit and the embedded PostgreSQL sizing', () => {
    const out = (up as UpProcess).output().stdout;
    expect(out).toContain(
      '  Limits                350 sessions at once on "demo", 64 logins in progress per client address (1000 in all)\n',
    );
    expect(out).toContain(
      `  Embedded PostgreSQL   127.0.0.1:${ports.store}, max_connections 400, shared_buffers 128MB\n`,
    );
  });

  it('the embedded PostgreSQL runs with max_connections 400 and shared_buffers 128MB', async () => {
    const settings = await store(async (c) => {
      const { rows } = await c.query<{ name: string; setting: string }>(
        "select name, current_setting(name) as setting from pg_settings where name in ('max_connections', 'shared_buffers') order by name",
      );
      return rows;
    });
    expect(settings).toEqual([
      { name: 'max_connections', setting: '400' },
      { name: 'shared_buffers', setting: '128MB' },
    ]);
  });

  it(`${SESSIONS} demo sessions all log in; the next is refused by the gateway (53300, its own message) while the backend has room`, async () => {
    const failures: string[] = [];
    for (let opened = 0; opened < SESSIONS; opened += PARALLEL) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(PARALLEL, SESSIONS - opened) }, demoSession),
      );
      for (const r of batch) {
        if (r instanceof pg.Client) sessions.push(r);
        else failures.push(`${r.code}: ${r.message}`);
      }
      if (failures.length > 0) break;
    }
    expect(failures).toEqual([]);
    expect(sessions).toHaveLength(SESSIONS);
    const { rows } = await sessions.at(-1)!.query<{ n: number }>('select count(*)::int as n from items');
    expect(rows[0]!.n).toBe(3);

    const next = await demoSession();
    expect(next).not.toBeInstanceOf(pg.Client);
    const refusal = next as Error & { code?: string };
    expect(refusal.code).toBe('53300');
    expect(refusal.message).toMatch(
      /^too many sessions on instance "demo": this Gatehouse node allows 350 at once \(request id [0-9a-f]{16}\)$/,
    );
    // The backend was not asked: it still has free slots, and holds exactly the 350 demo sessions.
    const backend = await store(async (c) => {
      const { rows: r } = await c.query<{ demo: number; total: number }>(
        "select count(*) filter (where usename = 'demo')::int as demo, count(*)::int as total from pg_stat_activity where backend_type = 'client backend'",
      );
      return r[0]!;
    });
    expect(backend.demo).toBe(SESSIONS);
    expect(backend.total).toBeLessThan(400 - 3);
  });
});
