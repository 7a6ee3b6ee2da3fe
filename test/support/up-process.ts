// Runs the built `gatehouse` binary (dist/cli/main.js) as a user would: `up` as a child process, and CLI calls.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../../src/store/embedded.js';
import { waitFor } from './eventually.js';

/** The built entry point (package.json "bin"); `npm run build` (or `npm test`'s pretest) produces it. */
export const CLI_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const CLI_TIMEOUT_MS = 30_000;
/** The last line of the "Gatehouse is up." block (src/up/next-steps.ts): the whole block has been written. */
const BLOCK_END = /Ctrl-C stops everything[^\n]*\n/;

export interface UpPorts {
  readonly pg: number;
  readonly api: number;
  readonly store: number;
}

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface UpProcess {
  readonly dataDir: string;
  readonly ports: UpPorts;
  readonly pid: number;
  /** The printed `Management API` URL. */
  readonly apiUrl: string;
  /** The first printed `PGPASSWORD=… psql "…" -c '…'` line, verbatim (without indentation): the IAM token one. */
  readonly psqlLine: string;
  /** Everything `up` printed so far. */
  output(): ProcessResult;
  /** Send the signal and wait for the exit; `elapsedMs` is signal-to-exit time. SIGKILLs after `timeoutMs`. */
  stop(
    signal?: 'SIGINT' | 'SIGTERM' | 'SIGKILL',
    timeoutMs?: number,
  ): Promise<ProcessResult & { elapsedMs: number }>;
}

/** The environment of a fresh shell: nothing that would redirect the CLI, psql or the AWS SDK elsewhere. */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(PG|GATEHOUSE_|AWS_)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

function assertBuilt(): void {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run \`npm run build\` first`);
}

export async function freeUpPorts(): Promise<UpPorts> {
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await findFreePort());
  const [pg, api, store] = [...ports] as [number, number, number];
  return { pg, api, store };
}

export function upArgs(dataDir: string, ports: UpPorts): string[] {
  return [
    ...['--data-dir', dataDir, 'up'],
    ...['--pg-port', String(ports.pg), '--api-port', String(ports.api), '--store-port', String(ports.store)],
  ];
}

function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  return { stdout: () => out, stderr: () => err };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function diagnostics(dataDir: string, out: string, err: string): Promise<string> {
  const log = await readFile(join(dataDir, 'gatehouse.log'), 'utf8').catch((e: Error) => `(${e.message})`);
  return `--- stdout ---\n${out}\n--- stderr ---\n${err}\n--- ${dataDir}/gatehouse.log (tail) ---\n${log.slice(-6000)}`;
}

/**
 * Start `gatehouse up` (with `extraArgs` after the port flags); resolves once the "Gatehouse is up." block is
 * printed, rejects with diagnostics.
 */
export async function startUp(
  dataDir: string,
  ports: UpPorts,
  extraArgs: readonly string[] = [],
  options: { dataDirFromEnv?: boolean } = {},
): Promise<UpProcess> {
  assertBuilt();
  // dataDirFromEnv: the data dir comes from GATEHOUSE_HOME instead of --data-dir.
  const args = options.dataDirFromEnv ? upArgs(dataDir, ports).slice(2) : upArgs(dataDir, ports);
  const child = spawn(process.execPath, [CLI_MAIN, ...args, ...extraArgs], {
    env: userEnv(options.dataDirFromEnv ? { GATEHOUSE_HOME: dataDir } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const io = collect(child);
  const exit = exited(child);
  const stop: UpProcess['stop'] = async (signal = 'SIGTERM', timeoutMs = 20_000) => {
    const started = Date.now();
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    const first = await Promise.race([exit, timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') child.kill('SIGKILL');
    const end = await exit;
    return { ...end, stdout: io.stdout(), stderr: io.stderr(), elapsedMs: Date.now() - started };
  };

  // Up, or exited, or the deadline: which one is told apart below (with diagnostics for the last two).
  await waitFor(() => BLOCK_END.test(io.stdout()) || (child.exitCode ?? child.signalCode) !== null, {
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 100,
    what: 'the "Gatehouse is up." block or an exit',
  }).catch(() => {});
  if (!BLOCK_END.test(io.stdout())) {
    const state = child.exitCode ?? child.signalCode;
    if (state === null) await stop('SIGTERM', 10_000);
    const why = state === null ? `not up within ${READY_TIMEOUT_MS / 1000} s` : `exited (${state})`;
    throw new Error(`gatehouse up ${why}\n${await diagnostics(dataDir, io.stdout(), io.stderr())}`);
  }
  const text = io.stdout();
  const psqlLine = /^\s*(PGPASSWORD=.*\bpsql .*)$/m.exec(text)?.[1];
  const apiUrl = /^\s*Management API\s+(\S+)/m.exec(text)?.[1];
  if (psqlLine === undefined || apiUrl === undefined) {
    await stop();
    throw new Error(`the "Gatehouse is up." block lacks the psql line or the API URL:\n${text}`);
  }
  return {
    dataDir,
    ports,
    pid: child.pid as number,
    apiUrl,
    psqlLine,
    output: () => ({
      code: child.exitCode,
      signal: child.signalCode,
      stdout: io.stdout(),
      stderr: io.stderr(),
    }),
    stop,
  };
}

/** Run the built CLI with `--data-dir <dataDir>` and `args`, feeding `stdin`; kills it after 30 s (or `timeoutMs`). */
export async function runCli(
  dataDir: string,
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI_MAIN, '--data-dir', dataDir, ...args], {
    env: userEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const io = collect(child);
  let stdioClosed = false;
  child.once('close', () => {
    stdioClosed = true;
  });
  child.stdin?.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? CLI_TIMEOUT_MS);
  const end = await exited(child);
  clearTimeout(timer);
  // The last stdio chunks may arrive after 'exit'; 'close' comes once stdout and stderr have ended.
  await waitFor(() => stdioClosed, { what: `stdout and stderr of gatehouse ${args.join(' ')} to close` });
  return { ...end, stdout: io.stdout(), stderr: io.stderr() };
}

/** `gatehouse up` expected to fail: runs it to its exit (killed after `timeoutMs`). */
export function runUpToExit(
  dataDir: string,
  ports: UpPorts,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<ProcessResult> {
  return runCli(dataDir, upArgs(dataDir, ports).slice(2), { timeoutMs });
}

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function makeDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'gatehouse-up-'));
}

/** The embedded cluster's directory: `<dataDir>/pgdata`, or its target when (as root) it is a symlink. */
export async function clusterDir(dataDir: string): Promise<string> {
  const link = join(dataDir, 'pgdata');
  const info = await lstat(link).catch(() => null);
  return info?.isSymbolicLink() ? realpath(link).catch(() => link) : link;
}

function pgrep(pattern: string): Promise<string[]> {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new Promise((resolve, reject) => {
    execFile('pgrep', ['-a', '-f', '--', escaped], (e, stdout) => {
      // pgrep exits 1 when nothing matches.
      if (e && (e as { code?: unknown }).code !== 1) reject(e);
      else resolve(stdout.split('\n').filter((l) => l.trim() !== ''));
    });
  });
}

/** Processes whose command line names the data dir or its cluster directory (`pid command…` lines). */
export async function processesOf(dataDir: string): Promise<string[]> {
  const lines: string[] = [];
  // One pgrep at a time: run together, each would match the other's command line.
  for (const pattern of new Set([dataDir, await clusterDir(dataDir)])) lines.push(...(await pgrep(pattern)));
  return [...new Set(lines)];
}

/** Whether process `pid` has exited (a zombie its parent has not reaped yet counts as exited). */
function hasExited(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    // "pid (comm) state …": comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true; // gone between the two looks
  }
}

/** Remove a data dir and, when it is a symlink target elsewhere, its cluster; ends a postmaster left behind. */
export async function removeDataDir(dataDir: string): Promise<void> {
  const cluster = await clusterDir(dataDir);
  const pidText = await readFile(join(cluster, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(pidText.split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0) {
    let signalled = true;
    try {
      process.kill(pid, 'SIGQUIT'); // immediate shutdown: a failed test must not leak a server
    } catch {
      signalled = false; // already gone
    }
    if (signalled) {
      await waitFor(() => hasExited(pid), {
        timeoutMs: 15_000,
        what: `postmaster ${pid} to exit on SIGQUIT`,
      });
    }
  }
  if (cluster !== join(dataDir, 'pgdata')) await rm(cluster, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
}

/** node-postgres settings for the `demo` user of an `up` data dir, over verified TLS (the demo is ForceSsl). */
export function demoClientConfig(dataDir: string, pgPort: number, connectionTimeoutMillis = 15_000) {
  return {
    host: '127.0.0.1',
    port: pgPort,
    user: 'demo',
    password: readFileSync(join(dataDir, 'demo-password'), 'utf8').trim(),
    database: 'app',
    ssl: { ca: readFileSync(join(dataDir, 'ca.pem'), 'utf8') },
    connectionTimeoutMillis,
  };
}
