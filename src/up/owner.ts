// Who owns an `up` data dir: the Gatehouse process recorded in <data-dir>/up.json, alive or gone (crash recovery).
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readGatewayInfo } from '../core/data-dir.js';
import { GatehouseError } from '../core/errors.js';
import { isAlive } from '../store/embedded-process.js';
import { UP_STATE_FILE } from './store-location.js';

/** The `up` process that runs a data dir, and where it answers (filled in once its listeners are up). */
export interface UpOwner {
  readonly pid: number;
  /** The process's start time (/proc/<pid>/stat field 22), so a reused pid is not mistaken for it. */
  readonly startTicks?: string;
  readonly pgEndpoint?: string;
  readonly apiUrl?: string;
}

/** <data-dir>/up.json: the embedded PostgreSQL's port and the owning process. */
export interface UpState {
  readonly storePort?: number;
  readonly owner?: UpOwner;
}

/** Start time of a process in clock ticks since boot, or null where /proc is not available. */
export function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields are counted after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export async function readUpState(dataDir: string): Promise<UpState> {
  const text = await readFile(join(dataDir, UP_STATE_FILE), 'utf8').catch(() => null);
  if (text === null) return {};
  try {
    const parsed = JSON.parse(text) as UpState;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

export async function writeUpState(dataDir: string, state: UpState): Promise<void> {
  await writeFile(join(dataDir, UP_STATE_FILE), `${JSON.stringify(state)}\n`, { mode: 0o600 });
}

/** This process as the owner of a data dir. */
export function selfAsOwner(extra: Omit<UpOwner, 'pid' | 'startTicks'> = {}): UpOwner {
  const startTicks = processStartTicks(process.pid);
  return { pid: process.pid, ...(startTicks === null ? {} : { startTicks }), ...extra };
}

/** Whether the recorded owner still runs: its pid is alive and, where known, started when it was recorded. */
export function ownerIsAlive(owner: UpOwner): boolean {
  if (owner.pid === process.pid || !isAlive(owner.pid)) return false;
  if (owner.startTicks === undefined) return true;
  const now = processStartTicks(owner.pid);
  return now === null || now === owner.startTicks;
}

/**
 * The live Gatehouse running `dataDir`, or null: the owner in up.json, else (a data dir of an older version)
 * the pid in gateway.json.
 */
export async function liveOwner(dataDir: string): Promise<UpOwner | null> {
  const { owner } = await readUpState(dataDir);
  if (owner !== undefined && typeof owner.pid === 'number') return ownerIsAlive(owner) ? owner : null;
  let info: ReturnType<typeof readGatewayInfo> = null;
  try {
    info = readGatewayInfo(dataDir);
  } catch {
    return null;
  }
  return info !== null && info.pid !== process.pid && isAlive(info.pid) && runsNode(info.pid)
    ? { pid: info.pid, apiUrl: info.apiUrl }
    : null;
}

/** Whether a process runs Node.js (pids are reused: a recorded pid may now be anything); true without /proc. */
export function runsNode(pid: number): boolean {
  try {
    return /node/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self');
  }
}

/** GH_DATA_DIR_IN_USE for the live owner: its pid, where it answers, and how to stop it. */
export function dataDirInUse(dataDir: string, owner: UpOwner): GatehouseError {
  const where = [
    owner.pgEndpoint === undefined ? null : `PostgreSQL listener ${owner.pgEndpoint}`,
    owner.apiUrl === undefined ? null : `management API ${owner.apiUrl}`,
  ].filter((s) => s !== null);
  return new GatehouseError('GH_DATA_DIR_IN_USE', {
    dataDir,
    pid: owner.pid,
    where: where.length ? where.join(', ') : 'still starting',
  });
}
