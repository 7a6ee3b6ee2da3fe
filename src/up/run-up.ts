// `gatehouse up`: embedded PostgreSQL, demo instance and users, CA, listeners and API, then "next steps".
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { validateConfig } from '../config/load.js';
import { adminKeyPair } from '../control-plane/access-keys.js';
import type { Clock } from '../core/clock.js';
import {
  DATA_DIR_FILES,
  readCredentials,
  resolveDataDir,
  writeAwsConfig,
  writeCredentials,
} from '../core/data-dir.js';
import { GatehouseError } from '../core/errors.js';
import { type LogRotation, openRotatingLogFile } from '../core/log-file.js';
import { createLogger, type Logger } from '../core/logger.js';
import { type StopOptions, startGateway } from '../gateway.js';
import {
  EMBEDDED_HOST,
  EMBEDDED_PASSWORD_FILE,
  EMBEDDED_USER,
  existingClusterDir,
  findFreePort,
  startEmbeddedStore,
} from '../store/embedded.js';
import {
  DEMO_DATABASE,
  DEMO_INSTANCE,
  ensureDatabase,
  ensureDemoIamUser,
  ensureDemoInstance,
  ensureDemoTable,
  ensureDemoUser,
} from './demo.js';
import { readUpLimits } from './limits.js';
import { nextSteps } from './next-steps.js';
import { readUpState, selfAsOwner, writeUpState } from './owner.js';
import { claimDataDir } from './stale-store.js';
import { UP_STORE_DATABASE } from './store-location.js';

export interface RunUpOptions {
  readonly dataDir: string;
  readonly host: string;
  readonly pgPort: number;
  readonly apiPort: number;
  /** Port of the embedded PostgreSQL (store and demo backend); remembered in <data-dir>/up.json. */
  readonly storePort?: number;
  readonly out: NodeJS.WritableStream;
  readonly clock?: Clock;
  /** Size and number of `gatehouse.log` files (default 10 MB x 5). */
  readonly logRotation?: LogRotation;
}

export interface RunningUp {
  readonly apiUrl: string;
  readonly pgPort: number;
  close(options?: StopOptions): Promise<void>;
}

const DEFAULT_STORE_PORT = 54329;

async function assertPortFree(host: string, port: number, flag: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE' || e.code === 'EACCES'
          ? new GatehouseError('GH_PORT_IN_USE', { host, port, flag })
          : e,
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

async function rememberedStorePort(dataDir: string, requested: number | undefined): Promise<number> {
  const saved = await readUpState(dataDir);
  const port = requested ?? saved.storePort ?? DEFAULT_STORE_PORT;
  await writeUpState(dataDir, { ...saved, storePort: port });
  return port;
}

/** Progress lines while `up` starts, so the first run's initdb is not 10 silent seconds. */
function sayTo(out: NodeJS.WritableStream): (line: string) => void {
  return (line) => out.write(`${line}\n`);
}

function urlFor(base: string, database: string, params = ''): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString() + params;
}

export async function runUp(options: RunUpOptions): Promise<RunningUp> {
  const dataDir = resolveDataDir(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Before anything in the data dir is touched (its log included): a live Gatehouse there is reported first.
  await claimDataDir(dataDir, sayTo(options.out));
  await writeUpState(dataDir, { ...(await readUpState(dataDir)), owner: selfAsOwner() });
  // Rotated by size (pino-roll); `gatehouse.log` is a link to the file being written (docs/operations.md).
  const log = await openRotatingLogFile(join(dataDir, 'gatehouse.log'), options.logRotation);
  try {
    const running = await startUp(options, dataDir, log.path, createLogger({ destination: log.destination }));
    return {
      ...running,
      close: async (o?: StopOptions) => {
        await running.close(o);
        await log.close();
      },
    };
  } catch (e) {
    await log.close();
    throw e;
  }
}

async function startUp(
  options: RunUpOptions,
  dataDir: string,
  logFile: string,
  logger: Logger,
): Promise<RunningUp> {
  await assertPortFree(options.host, options.pgPort, '--pg-port');
  // An instance's listen address is stored, so "any free port" is resolved to a real one now.
  const pgPort = options.pgPort === 0 ? await findFreePort() : options.pgPort;
  await assertPortFree(options.host, options.apiPort, '--api-port');
  const storePort = await rememberedStorePort(dataDir, options.storePort);
  const say = sayTo(options.out);
  say(
    (await existingClusterDir(dataDir)) === null
      ? `Initialising the embedded PostgreSQL in ${join(dataDir, DATA_DIR_FILES.pgData)} (first run, ~10 s)…`
      : `Starting the embedded PostgreSQL on ${EMBEDDED_HOST}:${storePort}…`,
  );
  const embedded = await startEmbeddedStore(dataDir, { port: storePort, logger, portFlag: '--store-port' });
  try {
    await ensureDatabase(embedded.url, UP_STORE_DATABASE);
    await ensureDatabase(embedded.url, DEMO_DATABASE);
    const limits = await readUpLimits(embedded.url);
    const config = validateConfig({
      store: { url: urlFor(embedded.url, UP_STORE_DATABASE) },
      api: { listen: `${options.host}:${options.apiPort}` },
      masterKeyFile: join(dataDir, DATA_DIR_FILES.masterKey),
      listener: { maxSessionsPerInstance: limits.sessionsPerInstance },
      // `aws rds create-db-instance --port N --db-name D` makes D on the embedded PostgreSQL, served on --host:N.
      rds: {
        defaultListenHost: options.host,
        defaultBackendUrl: urlFor(embedded.url, 'postgres', '?sslmode=disable'),
      },
    });
    say('Applying migrations, starting listeners and the management API…');
    const gateway = await startGateway({
      config,
      dataDir,
      logger,
      createMasterKey: true,
      listenerFlag: (id) => (id === DEMO_INSTANCE ? '--pg-port' : undefined),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const close = async (o?: StopOptions) => {
      await gateway.close(o);
      await embedded.stop();
      o?.progress?.('Embedded PostgreSQL stopped');
    };
    try {
      await writeUpState(dataDir, {
        storePort,
        owner: selfAsOwner({ pgEndpoint: `${options.host}:${pgPort}`, apiUrl: gateway.apiUrl }),
      });
      say(`Provisioning the demo instance "${DEMO_INSTANCE}"…`);
      const appUrl = urlFor(embedded.url, DEMO_DATABASE);
      await ensureDemoTable(appUrl);
      await ensureDemoInstance(
        gateway.controlPlane,
        urlFor(embedded.url, DEMO_DATABASE, '?sslmode=disable'),
        options.host,
        pgPort,
      );
      const failure = (await gateway.reconcile()).find((f) => f.instance === DEMO_INSTANCE);
      if (failure) throw failure.error;
      const passwordFile = await ensureDemoUser(gateway.controlPlane, dataDir, appUrl);
      await ensureDemoIamUser(gateway.controlPlane, appUrl);

      const credentialsFile = join(dataDir, DATA_DIR_FILES.credentials);
      const key =
        gateway.bootstrapKey ??
        (readCredentials(credentialsFile, 'default')
          ? null
          : await adminKeyPair(gateway.store, gateway.box, gateway.account));
      if (key) writeCredentials(dataDir, 'default', key);
      const hasCredentials = readCredentials(credentialsFile, 'default') !== null;
      const caFile = join(dataDir, DATA_DIR_FILES.caPem);
      // Same profile as credentials: with both files exported, a plain `aws iam list-users` reaches Gatehouse.
      if (hasCredentials) {
        writeAwsConfig(dataDir, 'default', {
          region: gateway.account.region,
          caBundle: caFile,
          endpointUrl: gateway.apiUrl,
        });
      }

      options.out.write(
        nextSteps({
          dataDir,
          // Compared with ~/.gatehouse, not GATEHOUSE_HOME: the printed lines must work in a fresh shell.
          defaultDataDir: dataDir === resolveDataDir(undefined, {}),
          host: options.host,
          pgPort,
          apiUrl: gateway.apiUrl,
          caFile,
          ...(hasCredentials
            ? { credentialsFile, awsConfigFile: join(dataDir, DATA_DIR_FILES.awsConfig) }
            : {}),
          storeAdmin: {
            user: EMBEDDED_USER,
            address: `${EMBEDDED_HOST}:${storePort}`,
            passwordFile: join(dataDir, EMBEDDED_PASSWORD_FILE),
          },
          region: gateway.account.region,
          passwordFile,
          logFile,
          limits: {
            sessionsPerInstance: config.listener.maxSessionsPerInstance,
            pendingPerSource: config.listener.maxPendingPerSource,
            pendingTotal: config.listener.maxPendingConnections,
            storeAddress: `${EMBEDDED_HOST}:${storePort}`,
            maxConnections: limits.maxConnections,
            sharedBuffers: limits.sharedBuffers,
          },
        }),
      );
      return { apiUrl: gateway.apiUrl, pgPort, close };
    } catch (e) {
      await close();
      throw e;
    }
  } catch (e) {
    await embedded.stop().catch(() => {});
    throw e;
  }
}
