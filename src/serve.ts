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
  /**
   * Start a successor and hand it every listening socket; resolves with its pid once it serves. Closing this
   * process meanwhile cancels the handover: the successor is killed before it serves (HandoverCancelled).
   */
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
    try {
      await gateway.reconcile();
      inherited.closeUnused();
      await notifySystemd(`MAINPID=${process.pid}`, 'READY=1');
      // Throws if the predecessor went away meanwhile: nobody handed the service over, so stop (exit non-zero).
      inherited.ready();
    } catch (e) {
      await gateway.close({ drainMs: 0 }).catch(() => {});
      throw e;
    }
    logger.info({ api: gateway.apiUrl }, 'gatehouse serving (took over from its predecessor)');
  } else {
    await notifySystemd('READY=1');
    logger.info({ api: gateway.apiUrl }, 'gatehouse serving');
  }
  let succeeded = false; // handed over: the successor is the service now, so this stop is not the service's
  // A handover under way: closing cancels it, so a stop asked for meanwhile is not undone by a successor serving on.
  let handingOver: { readonly cancel: AbortController; readonly settled: Promise<void> } | null = null;
  return {
    drainMs: config.shutdown.drainSeconds * 1000,
    close: async (o) => {
      const pending = handingOver;
      if (pending) {
        pending.cancel.abort();
        await pending.settled; // the successor has exited (or, ready just before, serves: succeeded)
      }
      if (!succeeded) await notifySystemd('STOPPING=1');
      await gateway.close(o);
    },
    handOver: () => {
      const cancel = new AbortController();
      const started = startSuccessor(gateway.listeningSockets(), cancel.signal);
      const settled = started.then(
        () => {
          succeeded = true;
        },
        () => undefined,
      );
      const pending = { cancel, settled };
      handingOver = pending;
      void settled.then(() => {
        if (handingOver === pending) handingOver = null;
      });
      return started;
    },
  };
}
