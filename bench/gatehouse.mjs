// Gatehouse in-process from the built dist/ (as test/support/gateway.ts does from src/): a password instance and user,
// and an IAM-authentication instance with an IAM database user whose tokens the bootstrap admin key signs.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { validateConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/core/logger.js';
import { startGateway } from '../dist/gateway.js';
import { generateAuthToken } from '../dist/index.js';
import { findFreePort } from '../dist/store/embedded.js';
import { BENCH_DB, withClient } from './postgres.mjs';
import { stopChild } from './process.mjs';

export const GATEHOUSE_USER = 'bench';
export const IAM_USER = 'bench_iam';
const INSTANCE = 'bench';
const IAM_INSTANCE = 'bench-iam';

/**
 * Store database `gatehouse` on the bench cluster. Instance `bench` relays to database `bench` as the
 * superuser-admin backend URL, password user `bench`; instance `bench-iam` relays to the same database with
 * IAM database authentication on (its own listener, so the password rows measure exactly what they did before),
 * IAM user `bench_iam`. Both users get SELECT on the pgbench tables so `pgbench -S` works.
 */
export async function startBenchGateway({
  userSuffix = '',
  cluster,
  dataDir,
  logFile,
  storeDatabase = 'gatehouse',
  durableAudit = true,
}) {
  await withClient(cluster.adminUrl('postgres'), (c) => c.query(`CREATE DATABASE ${storeDatabase}`));
  const log = createWriteStream(logFile, { flags: 'a' });
  const config = validateConfig(
    { store: { url: cluster.adminUrl(storeDatabase) }, api: { listen: '127.0.0.1:0' }, logLevel: 'warn' },
    {},
  );
  const gateway = await startGateway({
    config,
    dataDir,
    logger: createLogger({ level: 'warn', destination: log }),
    createMasterKey: true,
    durableAudit,
  });
  // Several gateways on one backend cluster must not share role names: each sets the role's secret.
  const user = `${GATEHOUSE_USER}${userSuffix}`;
  const iamUser = `${IAM_USER}${userSuffix}`;
  const close = async () => {
    await gateway.close();
    await new Promise((r) => log.end(r));
  };
  try {
    const backendUrl = `${cluster.adminUrl(BENCH_DB)}?sslmode=disable`;
    const port = await findFreePort();
    await gateway.controlPlane.createInstance({
      identifier: INSTANCE,
      engine: 'postgres',
      backendUrl,
      listen: `127.0.0.1:${port}`,
      forceSsl: false,
    });
    const password = randomBytes(18).toString('base64url');
    await gateway.controlPlane.createDbUser({
      instance: INSTANCE,
      username: user,
      auth: 'password',
      password,
    });

    const iamPort = await findFreePort();
    await gateway.controlPlane.createInstance({
      identifier: IAM_INSTANCE,
      engine: 'postgres',
      backendUrl,
      listen: `127.0.0.1:${iamPort}`,
      forceSsl: false,
    });
    await gateway.controlPlane.modifyInstance({
      identifier: IAM_INSTANCE,
      enableIamDatabaseAuthentication: true,
    });
    await gateway.controlPlane.createDbUser({ instance: IAM_INSTANCE, username: iamUser, auth: 'iam' });
    await withClient(cluster.adminUrl(BENCH_DB), (c) =>
      c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${user}, ${iamUser}`),
    );

    // A fresh store: the bootstrap admin key (policy "*") is handed out on this first start.
    const credentials = gateway.bootstrapKey;
    if (!credentials) throw new Error('the gateway returned no bootstrap admin key (store not fresh?)');
    const region = gateway.account.region;
    /** A new 15-minute token for the IAM user, signed for the instance endpoint 127.0.0.1:PORT. */
    const mintIamToken = () =>
      generateAuthToken({ hostname: '127.0.0.1', port: iamPort, username: iamUser, region, credentials });
    return { port, password, iamPort, region, credentials, mintIamToken, close, user, iamUser };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Gatehouse in its own Node process (bench/gatehouse-process.mjs), as `gatehouse serve` runs: nothing of the
 * bench shares its event loop or heap. Resolves once it serves; `pid` lets the bench read its CPU time.
 */
export async function startGatehouseProcess({
  cluster,
  dataDir,
  logFile,
  storeDatabase,
  durableAudit,
  userSuffix,
}) {
  const script = new URL('./gatehouse-process.mjs', import.meta.url).pathname;
  const settings = {
    adminUrl: cluster.adminUrl('postgres'),
    port: cluster.port,
    dataDir,
    logFile,
    storeDatabase,
    durableAudit,
    userSuffix,
  };
  const child = spawn(process.execPath, [script, JSON.stringify(settings)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
  });
  const info = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve(JSON.parse(line));
    });
    child.once('exit', (code) =>
      reject(new Error(`Gatehouse exited (${code}) before serving: ${stderr.trim()}`)),
    );
  });
  const { port, password, iamPort, region, credentials, user, iamUser } = info;
  const mintIamToken = () =>
    generateAuthToken({ hostname: '127.0.0.1', port: iamPort, username: iamUser, region, credentials });
  const close = () => stopChild(child, 10_000);
  return { port, password, iamPort, region, mintIamToken, pid: child.pid, close, user, iamUser };
}
