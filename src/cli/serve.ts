// `gatehouse serve --config FILE`: run the gateway from a configuration file (production).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliIo } from './context.js';
import { closeOnSignal } from './shutdown.js';

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the gateway from a configuration file')
    .requiredOption('--config <file>', 'gatehouse.yaml')
    .action(async (f: { config: string }) => {
      const { runServe } = await io.loadGateway();
      const gateway = await runServe({ configPath: resolve(f.config) });
      await closeOnSignal(gateway, io);
    });
}
