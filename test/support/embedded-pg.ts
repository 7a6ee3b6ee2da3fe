// Throwaway embedded PostgreSQL for tests: fresh cluster in a temp dir, random password, free port, removed on stop.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGatehouseError } from '../../src/core/errors.js';
import { type EmbeddedCluster, findFreePort, startEmbeddedCluster } from '../../src/store/embedded.js';

export type TestPostgres = EmbeddedCluster;

/**
 * A fresh cluster (PG 18 from npm), user `postgres`, SCRAM auth, fsync off. Call stop() in afterAll.
 * `postgresFlags`: extra `-c name=value` server flags (e.g. `['-c', 'ssl=on']`), applied after the defaults.
 */
export async function startEmbeddedPostgres(
  options: { name?: string; postgresFlags?: readonly string[] } = {},
): Promise<TestPostgres> {
  const prefix = `gatehouse-pg-${(options.name ?? 'test').replace(/[^\w-]/g, '_')}-`;
  // Another process may take the free port before postgres binds it: try a few ports.
  for (let attempt = 1; ; attempt++) {
    const databaseDir = await mkdtemp(join(tmpdir(), prefix));
    try {
      return await startEmbeddedCluster({
        databaseDir,
        port: await findFreePort(),
        password: randomBytes(18).toString('base64url'),
        persistent: false,
        initialise: true,
        fast: true,
        ...(options.postgresFlags ? { postgresFlags: options.postgresFlags } : {}),
      });
    } catch (e) {
      await rm(databaseDir, { recursive: true, force: true });
      if (attempt >= 3 || !(isGatehouseError(e) && e.code === 'GH_PORT_IN_USE')) throw e;
    }
  }
}
