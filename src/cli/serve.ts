// `gatehouse serve --config FILE`: run the gateway from a configuration file (production).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliIo } from './context.js';
import { parseDuration } from './duration.js';
import { closeOnSignal } from './shutdown.js';

/** When neither --drain-timeout nor the configuration says (shutdown.drainSeconds has the same default). */
const SERVE_DRAIN_MS = 10_000;

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the gateway from a configuration file')
    .requiredOption('--config <file>', 'gatehouse.yaml')
    .option(
      '--drain-timeout <duration>',
      'on SIGINT/SIGTERM, how long sessions in a transaction may finish (e.g. 30s; default: shutdown.drainSeconds, 10s)',
      parseDuration,
    )
    .action(async (f: { config: string; drainTimeout?: number }) => {
      const { runServe } = await io.loadGateway();
      const gateway = await runServe({ configPath: resolve(f.config) });
      await closeOnSignal(gateway, io, {
        drainMs: f.drainTimeout === undefined ? undefined : f.drainTimeout * 1000,
        defaultDrainMs: SERVE_DRAIN_MS,
        out: io.stdout,
      });
    });
}
