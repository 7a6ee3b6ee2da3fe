// Graceful stop for `up` and `serve`: the first SIGINT/SIGTERM closes the gateway, a second one exits at once.
import type { CliIo } from './context.js';
import type { RunningGateway } from './gateway-loader.js';
import { formatCliError } from './output.js';

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** Resolves once the gateway has been closed after a signal (and io.exit has been called). */
export function closeOnSignal(
  gateway: RunningGateway,
  io: Pick<CliIo, 'signals' | 'exit' | 'stderr'>,
): Promise<void> {
  return new Promise((resolve) => {
    let closing = false;
    const handlers = (Object.keys(SIGNAL_EXIT_CODES) as Array<keyof typeof SIGNAL_EXIT_CODES>).map(
      (signal) => {
        const handler = (): void => {
          if (closing) {
            // The operator insists (e.g. a connection will not drain): 128 + signal number, like a shell.
            io.exit(SIGNAL_EXIT_CODES[signal]);
            return;
          }
          closing = true;
          gateway.close().then(
            () => finish(0),
            (e: unknown) => {
              io.stderr.write(formatCliError(e));
              finish(1);
            },
          );
        };
        io.signals.on(signal, handler);
        return [signal, handler] as const;
      },
    );
    const finish = (code: number): void => {
      for (const [signal, handler] of handlers) io.signals.off(signal, handler);
      io.exit(code);
      resolve();
    };
  });
}
