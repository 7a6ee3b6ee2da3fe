// Benchmark knobs read once from the environment (BENCH_*); defaults and meaning are in bench/README.md.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

function positiveInt(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

/** The run's parameters; pgbench wants clients to be a multiple of threads, so jobs is capped at clients. */
export function readKnobs(env = process.env) {
  const clients = positiveInt(env, 'BENCH_CLIENTS', 16);
  const jobs = Math.min(positiveInt(env, 'BENCH_JOBS', 2), clients);
  if (clients % jobs !== 0)
    throw new Error(`BENCH_CLIENTS (${clients}) must be a multiple of BENCH_JOBS (${jobs})`);
  return {
    seconds: positiveInt(env, 'BENCH_SECONDS', 10),
    // Five rounds: the spread of a ratio between two targets is known only from several paired rounds.
    rounds: positiveInt(env, 'BENCH_ROUNDS', 5),
    warmupSeconds: positiveInt(env, 'BENCH_WARMUP_SECONDS', 3),
    clients,
    jobs,
    scale: positiveInt(env, 'BENCH_SCALE', 10),
    poolSize: positiveInt(env, 'BENCH_POOL_SIZE', 16),
    output: env['BENCH_OUTPUT'] ? resolve(env['BENCH_OUTPUT']) : resolve(REPO_ROOT, 'docs/benchmarks.md'),
    // The audit trail's figures (bench/audit.mjs): events ingested, seconds of fail-closed commits, and the size of
    // the trail LookupEvents is timed over (the acceptance figure is for 10 million).
    auditEvents: positiveInt(env, 'BENCH_AUDIT_EVENTS', 100_000),
    auditCommitSeconds: positiveInt(env, 'BENCH_AUDIT_COMMIT_SECONDS', 10),
    auditLookupEvents: positiveInt(env, 'BENCH_AUDIT_LOOKUP_EVENTS', 10_000_000),
    // A git revision whose policy evaluator is measured beside this one's (policy-baseline.mjs); none when unset.
    policyBaseline: env['BENCH_POLICY_BASELINE'] || null,
  };
}
