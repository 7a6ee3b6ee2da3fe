// `gatehouse up`: embedded PostgreSQL, demo instance and users, CA, listeners and API, then "next steps".
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { validateConfig } from '../config/load.js';
import { adminKeyPair } from '../control-plane/access-keys.js';
import type { Clock } from '../core/clock.js';
import { DATA_DIR_FILES, readCredentials, resolveDataDir, writeCredentials } from '../core/data-dir.js';
import { GatehouseError } from '../core/errors.js';
import { type LogRotation, openRotatingLogFile } from '../core/log-file.js';
import { createLogger, type Logger } from '../core/logger.js';
import { startGateway } from '../gateway.js';
import { EMBEDDED_HOST, findFreePort, startEmbeddedStore } from '../store/embedded.js';
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
import { UP_STATE_FILE, UP_STORE_DATABASE } from './store-location.js';

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
  close(): Promise<void>;
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
  const file = join(dataDir, UP_STATE_FILE);
  const saved = await readFile(file, 'utf8')
    .then((t) => JSON.parse(t) as { storePort?: number })
    .catch(() => ({}));
  const port = requested ?? (saved as { storePort?: number }).storePort ?? DEFAULT_STORE_PORT;
  await writeFile(file, `${JSON.stringify({ storePort: port })}\n`, { mode: 0o600 });
  return port;
}

function urlFor(base: string, database: string, params = ''): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString() + params;
}

export async function runUp(options: RunUpOptions): Promise<RunningUp> {
  const dataDir = resolveDataDir(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Rotated by size (pino-roll); `gatehouse.log` is a link to the file being written (docs/operations.md).
  const log = await openRotatingLogFile(join(dataDir, 'gatehouse.log'), options.logRotation);
  try {
    const running = await startUp(options, dataDir, log.path, createLogger({ destination: log.destination }));
    return {
      ...running,
      close: async () => {
        await running.close();
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
    });
    const gateway = await startGateway({
      config,
      dataDir,
      logger,
      createMasterKey: true,
      listenerFlag: (id) => (id === DEMO_INSTANCE ? '--pg-port' : undefined),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const close = async () => {
      await gateway.close();
      await embedded.stop();
    };
    try {
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

      options.out.write(
        nextSteps({
          dataDir,
          defaultDataDir: dataDir === resolveDataDir(undefined),
          host: options.host,
          pgPort,
          apiUrl: gateway.apiUrl,
          caFile: join(dataDir, DATA_DIR_FILES.caPem),
          ...(hasCredentials ? { credentialsFile } : {}),
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
