// `gatehouse serve --config gatehouse.yaml`: production start against an external PostgreSQL store; a rolling restart
// (SIGUSR2, docs/operations.md) starts a successor that takes the listening sockets over before this one drains.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from './config/load.js';
import { createLogger } from './core/logger.js';
import { type StopOptions, startGateway } from './gateway.js';
import { receiveSockets, startSuccessor } from './wiring/handover.js';
import { notifySystemd } from './wiring/systemd-notify.js';

export interface RunningServe {
  /** shutdown.drainSeconds from the configuration, in ms (the --drain-timeout flag overrides it). */
  readonly drainMs: number;
  close(options?: StopOptions): Promise<void>;
  /** Start a successor and hand it every listening socket; resolves with its pid once it serves. */
  handOver(): Promise<{ pid: number }>;
}

export async function runServe(options: { configPath: string }): Promise<RunningServe> {
  const config = await loadConfigFile(options.configPath);
  const logger = createLogger({ level: config.logLevel });
  const dataDir = config.dataDir ?? process.env['GATEHOUSE_HOME'] ?? join(homedir(), '.gatehouse');
  // A successor asks its predecessor for the listening sockets before it listens on anything.
  const inherited = await receiveSockets();
  const gateway = await startGateway({ config, dataDir, logger, ...(inherited ? { inherited } : {}) });
  if (gateway.bootstrapKey) {
    const { writeCredentials } = await import('./core/data-dir.js');
    writeCredentials(dataDir, 'default', gateway.bootstrapKey);
    logger.info(
      { accessKeyId: gateway.bootstrapKey.accessKeyId, file: join(dataDir, 'credentials') },
      'created the bootstrap admin access key; its secret is in the credentials file (mode 0600)',
    );
  }
  if (inherited) {
    // Ready means: every instance's listener accepts on its inherited socket and the store answers.
    await gateway.reconcile();
    inherited.closeUnused();
    await notifySystemd(`MAINPID=${process.pid}`, 'READY=1');
    inherited.ready();
    logger.info({ api: gateway.apiUrl }, 'gatehouse serving (took over from its predecessor)');
  } else {
    await notifySystemd('READY=1');
    logger.info({ api: gateway.apiUrl }, 'gatehouse serving');
  }
  let succeeded = false; // handed over: the successor is the service now, so this stop is not the service's
  return {
    drainMs: config.shutdown.drainSeconds * 1000,
    close: async (o) => {
      if (!succeeded) await notifySystemd('STOPPING=1');
      await gateway.close(o);
    },
    handOver: async () => {
      const successor = await startSuccessor(gateway.listeningSockets());
      succeeded = true;
      return successor;
    },
  };
}
