// Gatehouse in-process from the built dist/ (as test/support/gateway.ts does from src/): one instance, one user.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { validateConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/core/logger.js';
import { startGateway } from '../dist/gateway.js';
import { findFreePort } from '../dist/store/embedded.js';
import { BENCH_DB, withClient } from './postgres.mjs';

export const GATEHOUSE_USER = 'bench';
const INSTANCE = 'bench';

/**
 * Store database `gatehouse` on the bench cluster; instance `bench` relays to database `bench` as the
 * superuser-admin backend URL; user `bench` gets SELECT on the pgbench tables so `pgbench -S` works.
 */
export async function startBenchGateway({ cluster, dataDir, logFile }) {
  await withClient(cluster.adminUrl('postgres'), (c) => c.query('CREATE DATABASE gatehouse'));
  const log = createWriteStream(logFile, { flags: 'a' });
  const config = validateConfig(
    { store: { url: cluster.adminUrl('gatehouse') }, api: { listen: '127.0.0.1:0' }, logLevel: 'warn' },
    {},
  );
  const gateway = await startGateway({
    config,
    dataDir,
    logger: createLogger({ level: 'warn', destination: log }),
    createMasterKey: true,
  });
  const close = async () => {
    await gateway.close();
    await new Promise((r) => log.end(r));
  };
  try {
    const port = await findFreePort();
    await gateway.controlPlane.createInstance({
      identifier: INSTANCE,
      engine: 'postgres',
      backendUrl: `${cluster.adminUrl(BENCH_DB)}?sslmode=disable`,
      listen: `127.0.0.1:${port}`,
      forceSsl: false,
    });
    const password = randomBytes(18).toString('base64url');
    await gateway.controlPlane.createDbUser({
      instance: INSTANCE,
      username: GATEHOUSE_USER,
      auth: 'password',
      password,
    });
    await withClient(cluster.adminUrl(BENCH_DB), (c) =>
      c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${GATEHOUSE_USER}`),
    );
    return { port, password, close };
  } catch (e) {
    await close();
    throw e;
  }
}
