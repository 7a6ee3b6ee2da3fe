// pgbench runs against one target (host/port/user/sslmode) and parsing of its summary.
import { PGBENCH_BIN } from './postgres.mjs';
import { runCommand } from './process.mjs';

export const WORKLOADS = [
  { id: 'select', title: 'Select-only, persistent connections (`-S`)', flags: ['-S'] },
  {
    id: 'select-connect',
    title: 'Select-only, one new connection per transaction (`-S -C`)',
    flags: ['-S', '-C'],
  },
];

/** The targets measured in a workload: a target may name the workloads it takes part in (`only`). */
export function targetsOf(workload, targets) {
  return targets.filter((t) => !t.only || t.only.includes(workload.id));
}

/** pgbench arguments for one measured (or warm-up) run; `-n` skips the vacuum pgbench -S has no need of. */
export function pgbenchArgs(target, workload, knobs, seconds) {
  return [
    '-n',
    ...workload.flags,
    '-T',
    String(seconds),
    '-c',
    String(knobs.clients),
    '-j',
    String(knobs.jobs),
    '-h',
    target.host,
    '-p',
    String(target.port),
    '-U',
    target.user,
    target.database,
  ];
}

/** The command line as a user would type it, with the password left in the environment (or how to mint it). */
export function commandLine(target, args) {
  return `PGSSLMODE=${target.sslmode} PGPASSWORD=${target.passwordText ?? '…'} pgbench ${args.join(' ')}`;
}

const number = (text, re) => {
  const m = re.exec(text);
  return m ? Number(m[1]) : null;
};

/**
 * Reads pgbench's summary (PostgreSQL 14+ wording): "tps = N (without initial connection time)" or,
 * with -C, "tps = N (including reconnection times)"; "latency average = N ms"; with -C also
 * "average connection time = N ms".
 */
export function parsePgbench(stdout) {
  const tps = number(stdout, /^tps = ([\d.]+)/m);
  if (tps === null) return null;
  return {
    tps,
    latencyMs: number(stdout, /^latency average = ([\d.]+) ms/m),
    connectionMs: number(stdout, /^average connection time = ([\d.]+) ms/m),
    transactions: number(stdout, /^number of transactions actually processed: (\d+)/m),
    failed: number(stdout, /^number of failed transactions: (\d+)/m) ?? 0,
  };
}

/** One pgbench run; resolves to parsed figures or `{ error }` (never throws for a failed run). */
export async function runPgbench(target, workload, knobs, seconds) {
  const args = pgbenchArgs(target, workload, knobs, seconds);
  // A function password is minted just before the run (an IAM auth token: valid 15 minutes from now).
  const password = typeof target.password === 'function' ? await target.password() : target.password;
  const result = await runCommand(PGBENCH_BIN, args, {
    env: { PGPASSWORD: password, PGSSLMODE: target.sslmode, PGCONNECT_TIMEOUT: '10' },
    // pgbench only checks -T between transactions: a hung connection would otherwise hang the bench.
    timeoutMs: (seconds + 60) * 1000,
  });
  const parsed = parsePgbench(result.stdout);
  const tail = (text) => text.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  const exitCode = result.code;
  if (result.timedOut)
    return { exitCode, error: `pgbench hung: killed after ${seconds + 60} s (${tail(result.stderr)})` };
  if (result.code !== 0) {
    const partial = parsed ? ' (run aborted, figures partial)' : '';
    return {
      exitCode,
      error: `pgbench exit ${result.code ?? result.signal}${partial}: ${tail(result.stderr)}`,
    };
  }
  if (parsed === null) {
    return { exitCode, error: `pgbench printed no tps (no transaction completed?): ${tail(result.stdout)}` };
  }
  return parsed;
}
