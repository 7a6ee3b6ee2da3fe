// Runs the real psql against a conninfo string (no psqlrc, unaligned tuples only, stop on error) for integration tests.
import { type ChildProcess, spawn } from 'node:child_process';

export interface PsqlOptions {
  /** Path of the psql binary (from requireBinary('psql')); defaults to `psql` on PATH. */
  readonly bin?: string;
  /** Sent as PGPASSWORD; psql never prompts (-w). */
  readonly password?: string;
  /** The process is killed (SIGKILL) after this long; default 20 s. */
  readonly timeoutMs?: number;
  /** Extra psql arguments, e.g. ['-v', 'VERBOSITY=verbose']. */
  readonly args?: readonly string[];
}

export interface PsqlResult {
  /** Exit code (0 ok, 1 SQL error with ON_ERROR_STOP, 2 connection failure); null when killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly elapsedMs: number;
}

export interface PsqlRun {
  readonly child: ChildProcess;
  readonly done: Promise<PsqlResult>;
}

/**
 * The caller's PG* variables (PGHOST, PGSSLMODE, PGSERVICE, …) would silently change what the conninfo
 * says, so they are dropped; only PGPASSWORD (and PGCONNECT_TIMEOUT as a safety net) are set.
 */
function cleanEnv(password: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env['PGCONNECT_TIMEOUT'] = '15';
  if (password !== undefined) env['PGPASSWORD'] = password;
  return env;
}

/** Start psql with one `-c` per statement; the caller may signal `child` (e.g. SIGINT to cancel). */
export function startPsql(
  conninfo: string,
  sql: string | readonly string[],
  options: PsqlOptions = {},
): PsqlRun {
  const statements = typeof sql === 'string' ? [sql] : sql;
  const args = [
    '-X',
    '-A',
    '-t',
    '-w',
    '-v',
    'ON_ERROR_STOP=1',
    ...(options.args ?? []),
    ...statements.flatMap((s) => ['-c', s]),
    conninfo,
  ];
  const started = Date.now();
  const child = spawn(options.bin ?? 'psql', args, {
    env: cleanEnv(options.password),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<PsqlResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 20_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, elapsedMs: Date.now() - started });
    });
  });
  return { child, done };
}

/** Run psql to completion. */
export function runPsql(
  conninfo: string,
  sql: string | readonly string[],
  options: PsqlOptions = {},
): Promise<PsqlResult> {
  return startPsql(conninfo, sql, options).done;
}

/** A libpq conninfo string from key/value pairs, quoting values as libpq requires. */
export function conninfo(params: Readonly<Record<string, string | number>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}='${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
    .join(' ');
}
