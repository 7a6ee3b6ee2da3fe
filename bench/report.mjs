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

/**
 * A target against its Node floor (`target.floor`, measured in the same run): the ratio of the medians, and the
 * lowest and highest ratio of one round to the same round of the floor (each round runs every target once).
 */
export function floorRatios(target, byId) {
  const r = byId.get(target.id);
  const f = target.floor ? byId.get(target.floor) : undefined;
  if (!r?.rounds || !f?.rounds || r.error || f.error || r.rounds.length !== f.rounds.length) return null;
  const perRound = r.rounds.map((tps, i) => tps / f.rounds[i]);
  return { median: r.tps / f.tps, min: Math.min(...perRound), max: Math.max(...perRound) };
}

/**
 * Rows of one workload: each target's median tps and latency, tps relative to direct, to pgbouncer and to its Node
 * floor (with the per-round spread), the relay process's CPU per transaction, every round.
 */
export function tableRows(workload, targets, results) {
  const byId = results.get(workload.id) ?? new Map();
  const direct = cell(byId.get('direct')).tps;
  const bouncer = cell(byId.get('pgbouncer')).tps;
  return targetsOf(workload, targets).map((t) => {
    const r = byId.get(t.id);
    const c = cell(r);
    const ok = r && !r.error && !r.skipped;
    const floor = floorRatios(t, byId);
    return [
      t.label,
      c.text,
      ok ? fmt(r.latencyMs, 3) : 'n/a',
      ok && r.connectionMs !== null ? fmt(r.connectionMs, 3) : '-',
      ratio(c.tps, direct),
      ratio(c.tps, bouncer),
      floor ? `${floor.median.toFixed(2)}x (${floor.min.toFixed(2)}–${floor.max.toFixed(2)})` : '-',
      ok && typeof r.cpuUsPerTxn === 'number' ? fmt(r.cpuUsPerTxn, 1) : '-',
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
  'vs Node floor (per-round min–max)',
  'relay CPU µs/txn',
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
