// The verdict of a campaign, its human summary, the one-line JSON record, and the "Fuzzing" section of
// docs/reliability.md (--write-report).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import type { CampaignResult } from './campaign.js';
import type { FuzzConfig } from './config.js';
import type { MemorySample } from './target.js';

export interface Machine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly memTotalMiB: number;
  readonly loadBefore: readonly number[];
  loadAfter: readonly number[];
}

export interface RunInfo {
  readonly target: string;
  readonly command: string;
  readonly startedAt: string;
  readonly machine: Machine;
  readonly config: FuzzConfig;
  memoryBefore: MemorySample | null;
  memoryAfter: MemorySample | null;
  /** CPU seconds the fuzzer itself used while fuzzing (it shares the machine with the gateway). */
  fuzzerCpuSeconds: number | null;
}

/** CPU seconds the gateway used between the two samples. */
export function gatewayCpu(run: RunInfo): number | null {
  const a = run.memoryBefore?.cpuSeconds;
  const b = run.memoryAfter?.cpuSeconds;
  return a == null || b == null ? null : Math.round((b - a) * 10) / 10;
}

export function machineInfo(): Machine {
  const load = loadavg().map((l) => Math.round(l * 100) / 100);
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    memTotalMiB: Math.round(totalmem() / 2 ** 20),
    loadBefore: load,
    loadAfter: load,
  };
}

/** Findings that fail a campaign (suspects only point at the cause of a crash or rejection counted elsewhere). */
const FAILING = new Set(['hang', 'unanswered', 'deadline', 'connect', 'harness']);

export function counts(r: CampaignResult) {
  const of = (k: string) => r.hookEvents.filter((e) => e.kind === k).length;
  const uncaught = of('uncaughtException');
  return {
    crashes: Math.max(r.exit ? 1 : 0, uncaught),
    uncaughtExceptions: uncaught,
    unhandledRejections: of('unhandledRejection'),
    warnings: of('warning'),
    errorLogLines: r.errorLogLines.length,
    failingFindings: r.findings.filter((f) => FAILING.has(f.kind)).length,
  };
}

export function verdict(r: CampaignResult, c: FuzzConfig): string[] {
  const n = counts(r);
  const problems: string[] = [];
  if (n.crashes > 0) problems.push(`${n.crashes} crash(es)`);
  if (n.unhandledRejections > 0) problems.push(`${n.unhandledRejections} unhandled rejection(s)`);
  if (r.goodClient.failed > 0) problems.push(`${r.goodClient.failed} good-client failure(s)`);
  if (n.errorLogLines > 0) problems.push(`${n.errorLogLines} error-level log line(s) from the server`);
  if (n.failingFindings > 0) problems.push(`${n.failingFindings} finding(s) (hang, unanswered, deadline, …)`);
  if (!c.only && r.messages < r.messagesTarget)
    problems.push(`only ${r.messages} of ${r.messagesTarget} messages`);
  return problems;
}

const int = (n: number) => n.toLocaleString('en-US');

/** Names of the SQLSTATEs a pre-auth refusal usually carries (PostgreSQL Appendix A). */
const SQLSTATE_NAMES: Record<string, string> = {
  '08P01': 'protocol violation',
  '08006': 'connection failure',
  '08004': 'connection rejected',
  '28P01': 'invalid password',
  '28000': 'invalid authorization',
  '0A000': 'feature not supported',
  '53300': 'too many connections',
  '53400': 'configuration limit exceeded',
  '57P03': 'cannot connect now',
  '3D000': 'invalid catalog name',
  '22021': 'character not in repertoire',
  '42501': 'insufficient privilege',
  '42704': 'undefined object',
  '54000': 'program limit exceeded',
};

/** `08P01 1,234 (protocol violation), …` for the most frequent codes. */
export function describeCodes(codes: Record<string, number>, top = 10): string {
  const entries = Object.entries(codes).sort((a, b) => b[1] - a[1]);
  const shown = entries
    .slice(0, top)
    .map(([c, n]) => `${c} ${int(n)}${SQLSTATE_NAMES[c] ? ` (${SQLSTATE_NAMES[c]})` : ''}`);
  return entries.length > top ? `${shown.join(', ')}, and ${entries.length - top} more` : shown.join(', ');
}
const mib = (kb: number | null | undefined) => (kb == null ? 'n/a' : `${(kb / 1024).toFixed(1)} MiB`);
const bytesMib = (b: number | null | undefined) => (b == null ? 'n/a' : `${(b / 2 ** 20).toFixed(1)} MiB`);

function reproduce(r: CampaignResult, caseId: string): string {
  return `FUZZ_SEED=${r.seed} npm run fuzz -- --case ${caseId}`;
}

export function formatSummary(r: CampaignResult, run: RunInfo): string {
  const n = counts(r);
  const s = r.durationMs / 1000;
  const ref = r.refusals;
  const mb = run.memoryBefore;
  const ma = run.memoryAfter;
  const slow = ref.slowest[0];
  const lines = [
    `Gatehouse fuzz (${run.target}), seed ${r.seed}`,
    `  messages       ${int(r.messages)} of ${int(r.messagesTarget)} in ${s.toFixed(1)} s (${int(Math.round(r.messages / s))}/s), ${int(r.connections)} connections (${int(r.tlsConnections)} in TLS); stopped by ${r.stoppedBy}`,
    `  of which       ${int(r.postAuthMessages)} post-auth, ${int(r.pipelinedPreAuth)} pre-auth pipelined behind another in one write, ${int(r.splitMessages)} split at every byte`,
    `  crashes        ${n.crashes}${r.exit ? ` (exit code ${r.exit.code}, signal ${r.exit.signal})` : ''}`,
    `  rejections     ${n.unhandledRejections} unhandled; ${n.uncaughtExceptions} uncaught exceptions; ${n.warnings} process warnings; ${n.errorLogLines} error-level log lines`,
    `  good client    ${r.goodClient.passed}/${r.goodClient.checks} checks passed in ${r.goodClient.rounds} rounds (slowest login + select 1: ${r.goodClient.maxMs} ms)`,
    `  refusals       ${int(ref.count)} timed (${int(ref.withErrorResponse)} with an ErrorResponse, ${int(ref.beforeLastByte)} before the last byte); p50 ${ref.p50Ms} ms, p99 ${ref.p99Ms} ms, slowest ${ref.maxMs} ms${slow ? ` (case ${slow.caseId}, ${slow.family})` : ''}`,
    `  codes          ${describeCodes(r.refusals.codes)}`,
    `  awaited        ${int(r.awaitedThenEof)} "await" cases where the server rightly waited for more (closed on EOF)`,
    `  stalls         ${r.stalls.count} stalled starts; slowest close by the deadline ${(r.stalls.maxCloseMs / 1000).toFixed(1)} s`,
    `  gateway RSS    before ${mib(mb?.rssKb)}, after ${mib(ma?.rssKb)} (peak ${mib(ma?.peakRssKb)}); heap after GC ${bytesMib(mb?.heapUsedBytes)} -> ${bytesMib(ma?.heapUsedBytes)}; handles ${mb?.activeHandles ?? 'n/a'} -> ${ma?.activeHandles ?? 'n/a'}; event loop delay max ${ma?.eventLoopDelayMaxMs?.toFixed(1) ?? 'n/a'} ms`,
    `  cpu            gateway ${gatewayCpu(run) ?? 'n/a'} s, fuzzer ${run.fuzzerCpuSeconds ?? 'n/a'} s (embedded PostgreSQL not counted)`,
    `  machine        ${run.machine.nproc} CPUs (${run.machine.cpuModel}), load ${run.machine.loadBefore.join(' ')} before, ${run.machine.loadAfter.join(' ')} after`,
    '  families       connections / messages',
    ...Object.entries(r.families).map(
      ([name, f]) =>
        `    ${name.padEnd(14)} ${int(f.connections).padStart(10)} ${int(f.messages).padStart(12)}`,
    ),
  ];
  for (const e of r.hookEvents.filter((h) => h.kind !== 'warning').slice(0, 5)) {
    lines.push(
      `  ${e.kind}: ${e.message}`,
      ...(e.stack ? [`    ${e.stack.split('\n').slice(0, 6).join('\n    ')}`] : []),
    );
  }
  for (const l of r.errorLogLines.slice(0, 5)) lines.push(`  log: ${l.slice(0, 600)}`);
  for (const f of r.goodClient.failures.slice(0, 10))
    lines.push(`  good client ${f.name} failed (${f.when}): ${f.error}`);
  const clip = (t: string, n: number) => (t.length > n ? `${t.slice(0, n)}… (${t.length} chars)` : t);
  for (const f of r.findings.filter((x) => !x.kind.endsWith('suspect'))) {
    lines.push(
      `  finding ${f.kind}: case ${f.caseId} (${f.family} on ${f.listener}): ${f.detail}`,
      `    reproduce: ${reproduce(r, f.caseId)}`,
      ...f.transcript.slice(0, 40).map((t) => `    ${clip(t, 4000)}`),
    );
  }
  for (const kind of ['crash-suspect', 'rejection-suspect'] as const) {
    const suspects = r.findings.filter((x) => x.kind === kind);
    if (suspects.length === 0) continue;
    lines.push(
      `  ${suspects.length} ${kind}s: the cases in flight or just finished at the time (${suspects[0]?.detail}); the`,
      `  culprit is among them. Each replays alone with ${reproduce(r, '<id>')}; the bytes each sent:`,
    );
    for (const f of suspects.slice(0, 64)) {
      const sent = f.transcript.filter((t) => t.startsWith('c'));
      lines.push(`    ${f.caseId} (${f.family} on ${f.listener}): ${clip(sent.join(' | '), 2000)}`);
    }
  }
  if (slow) {
    lines.push(`  slowest refusal: case ${slow.caseId} (${slow.family} on ${slow.listener}), ${slow.ms} ms`);
    lines.push(
      ...slow.transcript.slice(0, 12).map((t) => `    ${t.length > 400 ? `${t.slice(0, 400)}…` : t}`),
    );
  }
  return lines.join('\n');
}

export function jsonRecord(r: CampaignResult, run: RunInfo, problems: readonly string[]) {
  return {
    fuzz: run.target,
    result: problems.length === 0 ? 'pass' : 'fail',
    problems,
    seed: r.seed,
    messages: r.messages,
    messagesTarget: r.messagesTarget,
    connections: r.connections,
    durationS: Math.round(r.durationMs / 100) / 10,
    ...counts(r),
    goodClient: {
      checks: r.goodClient.checks,
      passed: r.goodClient.passed,
      failed: r.goodClient.failed,
      maxMs: r.goodClient.maxMs,
    },
    refusals: {
      count: r.refusals.count,
      p50Ms: r.refusals.p50Ms,
      p99Ms: r.refusals.p99Ms,
      maxMs: r.refusals.maxMs,
      slowestCase: r.refusals.slowest[0]?.caseId ?? null,
      codes: r.refusals.codes,
    },
    stalls: r.stalls,
    rssKb: {
      before: run.memoryBefore?.rssKb ?? null,
      after: run.memoryAfter?.rssKb ?? null,
      peak: run.memoryAfter?.peakRssKb ?? null,
    },
    heapUsedBytes: {
      before: run.memoryBefore?.heapUsedBytes ?? null,
      after: run.memoryAfter?.heapUsedBytes ?? null,
    },
    cpuSeconds: { gateway: gatewayCpu(run), fuzzer: run.fuzzerCpuSeconds },
    findings: r.findings.map((f) => ({ kind: f.kind, caseId: f.caseId, family: f.family, detail: f.detail })),
    families: r.families,
    machine: run.machine,
    config: run.config,
  };
}

/** Replace (or add) the `## Fuzzing` section of a Markdown file. */
export function writeSection(path: string, section: string): void {
  const intro =
    '# Reliability\n\nHow Gatehouse is tested against hostile and broken input, and what the latest runs measured.\n\n';
  const text = existsSync(path) ? readFileSync(path, 'utf8') : intro;
  const start = text.indexOf('\n## Fuzzing');
  if (start < 0) {
    writeFileSync(path, `${text.trimEnd()}\n\n${section.trimEnd()}\n`);
    return;
  }
  const next = text.indexOf('\n## ', start + 1);
  const rest = next < 0 ? '' : text.slice(next);
  writeFileSync(path, `${text.slice(0, start)}\n${section.trimEnd()}\n${rest}`);
}
