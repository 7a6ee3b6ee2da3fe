// Renders the results: a table per workload (tps, latency, ratios) for stdout and docs/benchmarks.md.
import { targetsOf } from './pgbench.mjs';

const fmt = (n, digits) => (n === null || n === undefined ? 'n/a' : n.toFixed(digits));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : 'n/a');

function cell(result) {
  if (!result) return { tps: null, text: 'n/a' };
  if (result.skipped) return { tps: null, text: 'n/a' };
  if (result.error) return { tps: null, text: 'failed' };
  return { tps: result.tps, text: fmt(result.tps, 0) };
}

/** Rows of one workload: each target's median tps and latency, tps relative to direct and to pgbouncer, every round. */
export function tableRows(workload, targets, results) {
  const byId = results.get(workload.id) ?? new Map();
  const direct = cell(byId.get('direct')).tps;
  const bouncer = cell(byId.get('pgbouncer')).tps;
  return targetsOf(workload, targets).map((t) => {
    const r = byId.get(t.id);
    const c = cell(r);
    const ok = r && !r.error && !r.skipped;
    return [
      t.label,
      c.text,
      ok ? fmt(r.latencyMs, 3) : 'n/a',
      ok && r.connectionMs !== null ? fmt(r.connectionMs, 3) : '-',
      ratio(c.tps, direct),
      ratio(c.tps, bouncer),
      ok && r.rounds ? r.rounds.map((n) => n.toFixed(0)).join(' / ') : '-',
    ];
  });
}

export const HEADER = [
  'target',
  'tps (median)',
  'avg latency (ms)',
  'avg connect (ms)',
  'vs direct',
  'vs pgbouncer',
  'tps of each round',
];

export function markdownTable(rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(HEADER), line(HEADER.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function textTable(rows) {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Failures and skips, so a "failed"/"n/a" cell always has its reason written next to the table. */
export function notes(workload, targets, results) {
  const byId = results.get(workload.id) ?? new Map();
  return targetsOf(workload, targets).flatMap((t) => {
    const r = byId.get(t.id);
    if (r?.error) return [`- ${t.label}: ${r.error}`];
    if (r?.skipped) return [`- ${t.label}: ${r.skipped}`];
    if (r?.failed) return [`- ${t.label}: ${r.failed} failed transactions`];
    return [];
  });
}
