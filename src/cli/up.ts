// `gatehouse up`: a complete local gateway (embedded PostgreSQL, demo instance, admin key, TLS) in one command.
import { type Command, Option } from 'commander';
import { resolveDataDir } from '../core/data-dir.js';
import { DEFAULT_LOG_ROTATION, MIN_LOG_FILE_BYTES } from '../core/log-rotation.js';
import { type CliIo, globalsOf } from './context.js';
import { parseDuration, parsePort } from './duration.js';
import { closeOnSignal } from './shutdown.js';
import { parseCount, parseSize } from './size.js';

interface UpFlags {
  host: string;
  pgPort: number;
  apiPort: number;
  storePort?: number;
  logMaxSize: number;
  logMaxFiles: number;
  drainTimeout: number;
}

/** `up` is a laptop gateway: a short drain (serve's default is 10 s). */
const UP_DRAIN_SECONDS = 3;

export function registerUp(program: Command, io: CliIo): void {
  program
    .command('up')
    .description('start a local gateway with an embedded PostgreSQL, a demo instance and an admin key')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--pg-port <port>', 'PostgreSQL listener port (0 = any free port)', parsePort, 5433)
    .option('--api-port <port>', 'management API port (0 = any free port)', parsePort, 8433)
    .option(
      '--store-port <port>',
      'embedded PostgreSQL port (default: the last one used, else 54329)',
      parsePort,
    )
    .addOption(
      new Option('--log-max-size <size>', 'size at which <data-dir>/gatehouse.log rotates (e.g. 512k, 10m)')
        .argParser((t: string) => parseSize(t, MIN_LOG_FILE_BYTES))
        .default(DEFAULT_LOG_ROTATION.maxBytes, '10m'),
    )
    .option(
      '--log-max-files <n>',
      'log files kept, the current one included',
      parseCount,
      DEFAULT_LOG_ROTATION.maxFiles,
    )
    .option(
      '--drain-timeout <duration>',
      'on Ctrl-C, how long sessions in a transaction may finish (e.g. 10s)',
      parseDuration,
      UP_DRAIN_SECONDS,
    )
    .action(async (f: UpFlags, cmd: Command) => {
      const { runUp } = await io.loadGateway();
      const gateway = await runUp({
        dataDir: resolveDataDir(globalsOf(cmd).dataDir, io.env),
        host: f.host,
        pgPort: f.pgPort,
        apiPort: f.apiPort,
        ...(f.storePort === undefined ? {} : { storePort: f.storePort }),
        out: io.stdout,
        logRotation: { maxBytes: f.logMaxSize, maxFiles: f.logMaxFiles },
      });
      await closeOnSignal(gateway, io, {
        drainMs: f.drainTimeout * 1000,
        defaultDrainMs: UP_DRAIN_SECONDS * 1000,
        out: io.stdout,
      });
    });
}
