// Graceful stop for `up` and `serve`: the first SIGINT/SIGTERM drains and closes the gateway, telling each stage on
// the console; a second one exits at once. SIGUSR2 (`serve` only) hands over to a successor, then drains.
// SIGINT/SIGTERM during a handover cancels it (closing `serve` kills a successor not yet ready): the operator asked
// to stop, so no successor serves on. Once a successor serves, this process only drains: a SIGINT/SIGTERM then
// says so (the successor is the service to stop) and the drain goes on; a further one exits at once.
import type { CliIo } from './context.js';
import type { RunningGateway } from './gateway-loader.js';
import { formatCliError } from './output.js';

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
const RESTART_SIGNAL = 'SIGUSR2';

export interface StopSettings {
  /** The drain period; undefined: the gateway's configured one, else `defaultDrainMs`. */
  readonly drainMs: number | undefined;
  readonly defaultDrainMs: number;
  /** Where the stage lines go. */
  readonly out: NodeJS.WritableStream;
}

/** Resolves once the gateway has been closed after a signal (and io.exit has been called). */
export function closeOnSignal(
  gateway: RunningGateway,
  io: Pick<CliIo, 'signals' | 'exit' | 'stderr'>,
  settings: StopSettings,
): Promise<void> {
  const say = (line: string) => settings.out.write(`${line}\n`);
  const drainMs = settings.drainMs ?? gateway.drainMs ?? settings.defaultDrainMs;
  return new Promise((resolve) => {
    let closing = false;
    let handingOver = false;
    /** The successor that serves now (this process only drains), until the operator has been told once. */
    let successorToTell: number | null = null;
    const stop = () => {
      closing = true;
      gateway.close({ drainMs, progress: say }).then(
        () => {
          say('Stopped');
          finish(0);
        },
        (e: unknown) => {
          io.stderr.write(formatCliError(e));
          finish(1);
        },
      );
    };
    const handlers: Array<readonly [NodeJS.Signals, () => void]> = (
      Object.keys(SIGNAL_EXIT_CODES) as Array<keyof typeof SIGNAL_EXIT_CODES>
    ).map((signal) => {
      const handler = (): void => {
        if (closing && successorToTell !== null) {
          say(
            `The successor (pid ${successorToTell}) serves now: this process only drains its sessions; stop the service with kill -TERM ${successorToTell}`,
          );
          successorToTell = null;
          return;
        }
        if (closing) {
          // The operator insists (e.g. a connection will not drain): 128 + signal number, like a shell.
          io.exit(SIGNAL_EXIT_CODES[signal]);
          return;
        }
        if (handingOver) say('Rolling restart cancelled: stopping the successor process');
        stop();
      };
      return [signal, handler] as const;
    });
    const handOver = gateway.handOver?.bind(gateway);
    if (handOver) {
      handlers.push([
        RESTART_SIGNAL,
        () => {
          if (closing || handingOver) return;
          handingOver = true;
          say('Rolling restart: starting a successor process');
          handOver().then(
            ({ pid }) => {
              handingOver = false;
              say(`Successor ready (pid ${pid}): it accepts connections now`);
              if (!closing) {
                successorToTell = pid;
                stop();
                return;
              }
              // Stopping already (the signal came as it became ready, too late to cancel): it serves on.
              say(
                `The successor (pid ${pid}) serves now: this process only drains its sessions; stop the service with kill -TERM ${pid}`,
              );
            },
            (e: unknown) => {
              handingOver = false;
              if (closing) {
                // Cancelled by the stop (or failed meanwhile): no successor serves; this process goes on stopping.
                const why = e instanceof Error ? e.message : String(e);
                say(`${why.charAt(0).toUpperCase()}${why.slice(1)}`);
                return;
              }
              io.stderr.write(formatCliError(e));
              say('Rolling restart abandoned: still serving');
            },
          );
        },
      ]);
    }
    for (const [signal, handler] of handlers) io.signals.on(signal, handler);
    const finish = (code: number): void => {
      for (const [signal, handler] of handlers) io.signals.off(signal, handler);
      io.exit(code);
      resolve();
    };
  });
}
