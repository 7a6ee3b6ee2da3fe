// The measuring schedule: per workload, a warm-up per target, then rounds that rotate the target order; median kept.

import { readFileSync } from 'node:fs';
import { isStopping } from './cleanup.mjs';
import { commandLine, pgbenchArgs, runPgbench, targetsOf } from './pgbench.mjs';

/** CPU seconds (user + system) a process has used so far, from /proc; null when it cannot be read. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** One measured run, with the relay process's CPU per transaction when the target names its process. */
async function measuredRun(target, workload, knobs) {
  const before = target.pid ? cpuSeconds(target.pid) : null;
  const result = await runPgbench(target, workload, knobs, knobs.seconds);
  const after = target.pid ? cpuSeconds(target.pid) : null;
  if (before === null || after === null || result.error || !result.transactions) return result;
  return { ...result, cpuUsPerTxn: ((after - before) * 1e6) / result.transactions };
}

const log = (message) => console.error(`[bench] ${message}`);

function checkNotStopping() {
  if (isStopping()) throw new Error('interrupted');
}

/** The run with the median tps (lower middle for an even count): its latency is reported with it. */
export function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.tps - b.tps);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Folds one target's rounds into a table cell; one failed round fails the cell (with its reason). */
export function summarise(runs) {
  const failed = runs.find((r) => r.error);
  if (failed) return { error: failed.error };
  const median = medianRun(runs);
  const cpu = runs.map((r) => r.cpuUsPerTxn).filter((x) => x !== undefined);
  return {
    ...median,
    rounds: runs.map((r) => r.tps),
    cpuUsPerTxn:
      cpu.length === runs.length ? [...cpu].sort((a, b) => a - b)[Math.floor((cpu.length - 1) / 2)] : null,
    failed: runs.reduce((n, r) => n + (r.failed ?? 0), 0),
  };
}

async function warmUp(workload, target, knobs) {
  log(`${workload.id} / ${target.label}: warm-up ${knobs.warmupSeconds} s`);
  const warm = await runPgbench(target, workload, knobs, knobs.warmupSeconds);
  // A warm-up too short to finish a transaction is harmless; pgbench refused (bad login, crash) is not.
  return warm.error && warm.exitCode !== 0 ? `warm-up failed, not measured: ${warm.error}` : null;
}

/**
 * Every workload against every runnable target. Round r starts with target r (mod n), so no target
 * always runs first or right after another's load; machine noise spreads over all of them.
 */
export async function measure(knobs, targets, workloads) {
  const results = new Map();
  const commands = [];
  for (const workload of workloads) {
    const byTarget = new Map();
    results.set(workload.id, byTarget);
    const runs = new Map();
    for (const target of targetsOf(workload, targets)) {
      if (target.skipped) {
        byTarget.set(target.id, { skipped: target.skipped });
        continue;
      }
      checkNotStopping();
      commands.push(`# ${target.label}, ${workload.id}`);
      commands.push(commandLine(target, pgbenchArgs(target, workload, knobs, knobs.seconds)));
      const failure = await warmUp(workload, target, knobs);
      if (failure) byTarget.set(target.id, { error: failure });
      else runs.set(target.id, []);
    }
    const live = targetsOf(workload, targets).filter((t) => runs.has(t.id));
    for (let round = 0; round < knobs.rounds; round++) {
      for (let i = 0; i < live.length; i++) {
        const target = live[(i + round) % live.length];
        checkNotStopping();
        const result = await measuredRun(target, workload, knobs);
        runs.get(target.id).push(result);
        const outcome = result.error ? `FAILED ${result.error}` : `${result.tps.toFixed(0)} tps`;
        log(`${workload.id} / ${target.label} round ${round + 1}/${knobs.rounds}: ${outcome}`);
      }
    }
    for (const [id, list] of runs) byTarget.set(id, summarise(list));
  }
  return { results, commands };
}
