// What the numbers were measured on: cores, CPU model, memory, kernel and tool versions.
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg, release, totalmem, type } from 'node:os';
import { PGBENCH_BIN } from './postgres.mjs';
import { runCommand } from './process.mjs';

async function cpuModel() {
  const info = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown';
}

/** Load average (1/5/15 min) as text: taken before the bench starts, it shows what else was using the cores. */
export function loadAverageText() {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}

export async function describeMachine({ postgresVersion, pgbouncerVersion, loadBefore, loadAfter }) {
  const pgbench = await runCommand(PGBENCH_BIN, ['--version']);
  return {
    cores: availableParallelism(),
    cpu: await cpuModel(),
    loadBefore,
    loadAfter,
    memoryGiB: (totalmem() / 2 ** 30).toFixed(1),
    kernel: `${type()} ${release()}`,
    node: process.version,
    postgres: postgresVersion,
    pgbench: pgbench.stdout.trim(),
    pgbouncer: pgbouncerVersion ?? 'not installed',
  };
}
