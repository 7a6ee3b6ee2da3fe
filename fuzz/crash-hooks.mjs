// Preloaded into the process under test (`node --import ./fuzz/crash-hooks.mjs`): appends every uncaught
// exception, unhandled rejection and process warning to $FUZZ_HOOK_LOG as a JSON line, and answers the
// fuzzer's memory probe over IPC. An uncaught exception still kills the process (the monitor hook does not
// handle it); an unhandled rejection is recorded and the process keeps serving, so a campaign can count them
// all (without this hook Node's default, --unhandled-rejections=throw, would end the process at the first).
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.FUZZ_HOOK_LOG;

function record(kind, error) {
  if (!file) return;
  const line = {
    kind,
    at: new Date().toISOString(),
    message: String(error?.message ?? error),
    ...(error?.stack ? { stack: String(error.stack) } : {}),
  };
  try {
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  } catch {
    // nothing sensible to do: the fuzzer also sees the process exit
  }
}

process.on('uncaughtExceptionMonitor', (error) => record('uncaughtException', error));
process.on('unhandledRejection', (reason) => record('unhandledRejection', reason));
process.on('warning', (warning) => record('warning', warning));

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

process.on('message', (message) => {
  if (message?.type !== 'fuzz:memory' || !process.send) return;
  // Two full collections so the heap figure is what is really retained.
  globalThis.gc?.();
  globalThis.gc?.();
  const resources = process.getActiveResourcesInfo();
  process.send({
    type: 'fuzz:memory',
    id: message.id,
    heapUsed: process.memoryUsage().heapUsed,
    activeHandles: resources.filter((r) => r !== 'Timeout' && r !== 'Immediate').length,
    loopMaxMs: loopDelay.max / 1e6,
    loopP99Ms: loopDelay.percentile(99) / 1e6,
  });
  loopDelay.reset();
});
