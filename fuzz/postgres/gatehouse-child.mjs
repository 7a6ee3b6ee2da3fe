// The gateway under test, as its own process (started by fuzz/postgres/gatehouse.ts with crash-hooks.mjs
// preloaded): Gatehouse from the built dist/ on the fuzzer's embedded PostgreSQL, with three instances
// (SCRAM password, IAM-enabled, force-SSL), their users, and default listener limits. Logs at error level.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import pg from 'pg';
import { validateConfig } from '../../dist/config/load.js';
import { createLogger } from '../../dist/core/logger.js';
import { startGateway } from '../../dist/gateway.js';
import { findFreePort } from '../../dist/store/embedded.js';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const storeUrl = env('FUZZ_STORE_URL');
const backendUrl = env('FUZZ_BACKEND_URL');
const log = createWriteStream(env('FUZZ_OPERATOR_LOG'), { flags: 'a' });
const AUTH_TIMEOUT_SECONDS = 10;

const config = validateConfig(
  {
    store: { url: storeUrl },
    api: { listen: '127.0.0.1:0' },
    logLevel: 'error',
    // The documented defaults, spelled out so the report states what was fuzzed.
    listener: {
      authTimeoutSeconds: AUTH_TIMEOUT_SECONDS,
      maxStartupPacketBytes: 10_000,
      maxAuthMessageBytes: 65_535,
      maxIamTokenBytes: 8192,
      maxPendingConnections: 1000,
    },
  },
  {},
);
const gateway = await startGateway({
  config,
  dataDir: env('FUZZ_DATA_DIR'),
  logger: createLogger({ level: 'error', destination: log }),
  createMasterKey: true,
});
const cp = gateway.controlPlane;
const backend = `${backendUrl}?sslmode=disable`;
const ports = { password: await findFreePort(), iam: await findFreePort(), forceSsl: await findFreePort() };
await cp.createInstance({
  identifier: 'fuzz',
  engine: 'postgres',
  backendUrl: backend,
  listen: `127.0.0.1:${ports.password}`,
});
await cp.createInstance({
  identifier: 'fuzz-iam',
  engine: 'postgres',
  backendUrl: backend,
  listen: `127.0.0.1:${ports.iam}`,
  enableIamDatabaseAuthentication: true,
});
await cp.createInstance({
  identifier: 'fuzz-ssl',
  engine: 'postgres',
  backendUrl: backend,
  listen: `127.0.0.1:${ports.forceSsl}`,
  forceSsl: true,
});
const password = randomBytes(18).toString('base64url');
await cp.createDbUser({ instance: 'fuzz', username: 'fuzz', auth: 'password', password });
await cp.createDbUser({ instance: 'fuzz-ssl', username: 'fuzz_ssl', auth: 'password', password });
await cp.createDbUser({ instance: 'fuzz-iam', username: 'fuzz_iam', auth: 'iam' });
const admin = new pg.Client({ connectionString: backendUrl });
await admin.connect();
await admin.query('GRANT SELECT ON items TO fuzz, fuzz_ssl, fuzz_iam');
await admin.end();

const credentials = gateway.bootstrapKey;
if (!credentials) throw new Error('no bootstrap admin key: the store is not fresh');

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await gateway.close();
  await new Promise((resolve) => log.end(resolve));
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop()); // the fuzzer went away: do not outlive it
process.on('message', (m) => {
  if (m?.type === 'fuzz:stop') void stop();
});
process.send?.({
  type: 'fuzz:ready',
  info: {
    ports,
    passwordUser: 'fuzz',
    forceSslUser: 'fuzz_ssl',
    password,
    iamUser: 'fuzz_iam',
    database: 'app',
    region: gateway.account.region,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    startupDeadlineMs: AUTH_TIMEOUT_SECONDS * 1000,
  },
});
