import { lstat, mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../src/core/errors.js';
import { findFreePort, ROOT_CLUSTER_BASE, startEmbeddedStore } from '../../../src/store/embedded.js';
import { isAlive } from '../../../src/store/embedded-process.js';
import { startEmbeddedPostgres } from '../../support/embedded-pg.js';

/** The GatehouseError a promise rejects with (failing the test if it resolves or throws something else). */
async function caught(p: Promise<unknown>): Promise<GatehouseError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GatehouseError);
  return e as GatehouseError;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'gh-embedded-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function postmasterPid(databaseDir: string): Promise<number> {
  return Number.parseInt((await readFile(join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n')[0]!, 10);
}

describe('startEmbeddedStore', () => {
  it('keeps its data and password across restarts, listens on 127.0.0.1 only, and stop() ends postgres', async () => {
    const dir = await dataDir();
    const port = await findFreePort();
    const first = await startEmbeddedStore(dir, { port });
    cleanups.push(() => first.stop());
    const pid = await postmasterPid(join(dir, 'pgdata'));
    await query(first.url, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$still here$$)');
    const [live] = await query<{ listen: string; sockets: string }>(
      first.url,
      "SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets",
    );
    expect(live).toEqual({ listen: '127.0.0.1', sockets: '' });
    const password = await readFile(join(dir, 'pgdata.password'), 'utf8');
    expect((await stat(join(dir, 'pgdata.password'))).mode & 0o777).toBe(0o600);
    expect(first.url).toContain(encodeURIComponent(password.trim()));
    if (process.getuid?.() === 0) {
      const owner = (await stat(join(dir, 'pgdata'))).uid;
      expect(owner).not.toBe(0);
    }

    await first.stop();
    expect(isAlive(pid)).toBe(false);

    const second = await startEmbeddedStore(dir, { port });
    cleanups.push(() => second.stop());
    expect(second.url).toBe(first.url);
    expect(await readFile(join(dir, 'pgdata.password'), 'utf8')).toBe(password);
    expect(await query<{ v: string }>(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
    await second.stop();
  });

  it('says the store is already running when a second start finds its own postgres on the data dir', async () => {
    const dir = await dataDir();
    const port = await findFreePort();
    const running = await startEmbeddedStore(dir, { port });
    cleanups.push(() => running.stop());
    for (const p of [port, await findFreePort()]) {
      const e = await caught(startEmbeddedStore(dir, { port: p }));
      expect(e.code).toBe('GH_STORE_UNAVAILABLE');
      expect(e.message).toMatch(/already running \(pid \d+, port \d+\)/);
    }
    // The refused attempts did not disturb the running one.
    expect(await query<{ one: number }>(running.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await running.stop();
  });

  it('a port held by another program is GH_PORT_IN_USE and nothing is started', async () => {
    const dir = await dataDir();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => blocker.close(r)));
    const port = (blocker.address() as { port: number }).port;
    const e = await caught(startEmbeddedStore(dir, { port, portFlag: '--store-port' }));
    expect(e).toMatchObject({
      code: 'GH_PORT_IN_USE',
      params: { port, host: '127.0.0.1', flag: '--store-port' },
    });
  });
  it.runIf(process.getuid?.() === 0)(
    'as root, a data dir the postgres OS user cannot reach (like ~/.gatehouse under /root) gets its cluster in ROOT_CLUSTER_BASE behind a pgdata symlink, and a restart finds it',
    async () => {
      const locked = await dataDir(); // mkdtemp: 0700, owned by root, like /root
      const home = join(locked, 'home');
      const first = await startEmbeddedStore(home, { port: await findFreePort() });
      cleanups.push(() => first.stop());
      await query(first.url, 'CREATE TABLE kept (x int)');
      await first.stop();
      const link = await lstat(join(home, 'pgdata'));
      expect(link.isSymbolicLink()).toBe(true);
      const target = await readlink(join(home, 'pgdata'));
      expect(target.startsWith(`${ROOT_CLUSTER_BASE}/`)).toBe(true);
      cleanups.push(() => rm(target, { recursive: true, force: true }));
      const again = await startEmbeddedStore(home, { port: await findFreePort() });
      cleanups.push(() => again.stop());
      const rows = await query<{ n: string }>(
        again.url,
        "SELECT count(*) AS n FROM pg_tables WHERE tablename = 'kept'",
      );
      expect(rows[0]?.n).toBe('1');
    },
  );
});

describe('startEmbeddedPostgres (test helper)', () => {
  it('starts a throwaway SCRAM-only cluster and stop() ends postgres and removes its directory', async () => {
    const server = await startEmbeddedPostgres({ name: 'helper' });
    cleanups.push(() => server.stop());
    const [row] = await query<{ dir: string; enc: string }>(
      server.url,
      "SELECT current_setting('data_directory') AS dir, current_setting('password_encryption') AS enc",
    );
    expect(row?.enc).toBe('scram-sha-256');
    const bad = server.url.replace(/:[^:@/]+@/, ':wrong@');
    await expect(query(bad, 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    const pid = await postmasterPid(row!.dir);
    await server.stop();
    await server.stop(); // idempotent
    expect(isAlive(pid)).toBe(false);
    await expect(stat(row!.dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
