// Policy evaluation of this checkout beside an earlier commit's (BENCH_POLICY_BASELINE=<rev>), in one run: the
// earlier commit is checked out into a temporary git worktree and built, then each tree's own
// bench/policy-eval.mjs runs as its own Node process on the same CPU, the two alternating round by round, so
// a change to src/policy is judged by a ratio measured side by side rather than against another day's figures.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.mjs';
import { runCommand } from './process.mjs';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const TASKSET = '/usr/bin/taskset';

async function must(command, args, what) {
  const r = await runCommand(command, args);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code ?? r.signal}): ${r.stderr.trim()}`);
  return r.stdout.trim();
}

function firstAllowedCpu() {
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const m = /^Cpus_allowed_list:\s*(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** The two figures policy-eval.mjs prints: repeated pairs, and every resource new. */
function parseRates(stdout) {
  const number = (re) => {
    const m = re.exec(stdout);
    if (!m) throw new Error(`unexpected policy-eval output: ${stdout.trim()}`);
    return Number(m[1].replaceAll(',', ''));
  };
  return {
    hot: number(/^policy-eval: ([\d,]+) evaluations\/s/m),
    cold: number(/^policy-eval \(every resource new[^)]*\): ([\d,]+) evaluations\/s/m),
  };
}

async function evalIn(tree, seconds, cpu) {
  const script = join(tree, 'bench/policy-eval.mjs');
  const env = { POLICY_BENCH_SECONDS: String(seconds) };
  const r =
    cpu === null
      ? await runCommand(process.execPath, [script], { env })
      : await runCommand(TASKSET, ['-c', String(cpu), process.execPath, script], { env });
  if (r.code !== 0) throw new Error(`policy-eval in ${tree} failed: ${r.stderr.trim()}`);
  return parseRates(r.stdout);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Builds `rev` in a temporary worktree and measures both trees `rounds` times, alternating; medians returned. */
export async function runPolicyBaseline({ rev, seconds, rounds, log }) {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-baseline-'));
  onCleanup('baseline worktree', async () => {
    await runCommand('git', ['-C', REPO_ROOT, 'worktree', 'remove', '--force', dir]);
    await rm(dir, { recursive: true, force: true });
  });
  await must('git', ['-C', REPO_ROOT, 'worktree', 'add', '--detach', dir, rev], `git worktree add ${rev}`);
  const baselineSha = await must('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], 'git rev-parse');
  const currentSha = await must('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'], 'git rev-parse');
  const dirty =
    (await must('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src'], 'git status')) !== '';
  await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  log(`building ${rev} (${baselineSha}) for the policy baseline`);
  const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  await must(process.execPath, [tsc, '-p', join(dir, 'tsconfig.build.json')], `building ${rev}`);
  const cpu = existsSync(TASKSET) ? firstAllowedCpu() : null;
  const current = [];
  const baseline = [];
  for (let i = 0; i < rounds; i++) {
    log(`policy evaluation, round ${i + 1}/${rounds}: this build, then ${baselineSha}`);
    current.push(await evalIn(REPO_ROOT, seconds, cpu));
    baseline.push(await evalIn(dir, seconds, cpu));
  }
  const summary = (rs) => ({ hot: median(rs.map((r) => r.hot)), cold: median(rs.map((r) => r.cold)) });
  return {
    rev,
    baselineSha,
    currentSha: dirty ? `${currentSha} + uncommitted changes` : currentSha,
    rounds,
    seconds,
    pinnedCpu: cpu,
    current: summary(current),
    baseline: summary(baseline),
  };
}
