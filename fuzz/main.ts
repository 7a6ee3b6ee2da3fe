// `npm run fuzz`: builds, starts an embedded PostgreSQL and Gatehouse (in a child process), runs the campaign
// against its PostgreSQL listeners, prints a summary and a JSON line, and with --write-report updates the
// "Fuzzing" section of docs/reliability.md. Exit code 0 only if nothing crashed, hung or failed.
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type CampaignResult, runCampaign } from './campaign.js';
import { KNOBS, readConfig } from './config.js';
import { startGatehouse } from './postgres/gatehouse.js';
import { formatSummary, jsonRecord, machineInfo, type RunInfo, verdict, writeSection } from './report.js';
import { renderFuzzingSection } from './report-doc.js';
import type { MemorySample, TargetProcess } from './target.js';

const REPORT = fileURLToPath(new URL('../docs/reliability.md', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** After the campaign: wait (≤ 15 s) for lingering sockets to close, then sample memory. */
async function settledMemory(proc: TargetProcess, before: MemorySample | null): Promise<MemorySample | null> {
  if (proc.exited) return null;
  let sample = await proc.memory();
  for (let i = 0; i < 15 && before?.activeHandles != null; i++) {
    if ((sample.activeHandles ?? 0) <= before.activeHandles + 2) break;
    await sleep(1000);
    sample = await proc.memory();
  }
  return sample;
}

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write('npm run fuzz [-- --write-report] [-- --case ID]\n');
    for (const [name, [def, what]] of Object.entries(KNOBS))
      process.stdout.write(`  ${name} (default ${def}): ${what}\n`);
    return 0;
  }
  const config = readConfig(process.env, process.argv.slice(2));
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    process.stdout.write('\ninterrupted: finishing the cases in flight\n');
  });
  process.stdout.write(
    `fuzz: seed ${config.seed} (FUZZ_SEED=${config.seed} reproduces), ${config.messages} messages, concurrency ${config.concurrency}\n`,
  );
  const run: RunInfo = {
    target: 'postgres',
    command: 'npm run fuzz',
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
    config,
    memoryBefore: null,
    memoryAfter: null,
    fuzzerCpuSeconds: null,
  };
  let cpuAtStart = process.cpuUsage();
  const system = await startGatehouse();
  process.stdout.write(
    `fuzz: Gatehouse pid ${system.proc.pid}, listeners ${system.target.listeners.map((l) => `${l.name}=${l.host}:${l.port}`).join(' ')}\n`,
  );
  let result: CampaignResult;
  try {
    result = await runCampaign(system.target, system.proc, {
      ...config,
      progress: (line) => process.stdout.write(`${line}\n`),
      interrupted: () => interrupted,
      beforeFuzz: async () => {
        run.memoryBefore = await system.proc.memory();
        cpuAtStart = process.cpuUsage();
      },
    });
    const cpu = process.cpuUsage(cpuAtStart);
    run.fuzzerCpuSeconds = Math.round((cpu.user + cpu.system) / 1e5) / 10;
    run.memoryAfter = await settledMemory(system.proc, run.memoryBefore);
  } finally {
    run.machine.loadAfter = loadavg().map((l) => Math.round(l * 100) / 100);
    if (system.proc.exited)
      process.stdout.write(`\nlast output of the gateway:\n${system.proc.outputTail()}\n`);
    await system.stop();
  }
  const problems = verdict(result, config);
  process.stdout.write(`\n${formatSummary(result, run)}\n`);
  process.stdout.write(`RESULT: ${problems.length === 0 ? 'PASS' : `FAIL (${problems.join('; ')})`}\n`);
  if (config.writeReport && !config.only) {
    writeSection(REPORT, renderFuzzingSection(result, run, problems));
    process.stdout.write(`wrote the Fuzzing section of ${REPORT}\n`);
  }
  process.stdout.write(`${JSON.stringify(jsonRecord(result, run, problems))}\n`);
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`fuzz: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
