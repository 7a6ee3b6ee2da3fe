// Fault injection for embedded PostgreSQL clusters in tests: kill (SIGKILL), freeze (SIGSTOP), thaw, restart.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/store/embedded.js';
import { eventually } from './eventually.js';

/** A cluster the test can break and bring back on the same data directory and port. */
export interface FaultableCluster {
  readonly port: number;
  adminUrl(db?: string): string;
  /** The running postmaster's pid (from <datadir>/postmaster.pid). */
  postmasterPid(): number;
  /**
   * SIGKILL to the postmaster (after a CHECKPOINT, see there). Its server processes notice and exit by themselves (an idle one tells its client
   * 57P01 first); resolves once every one of them is gone, so a restart finds no leftover shared memory.
   */
  kill(): Promise<void>;
  /** SIGSTOP to the postmaster and every server process (a paused VM or container: TCP still accepted). */
  freeze(): void;
  /** SIGCONT to whatever freeze() stopped; safe to call at any time. */
  thaw(): void;
  /** Start postgres again on the same data directory and port (after kill). */
  restart(): Promise<void>;
  /** Thaw, and restart if killed: a running cluster again (for afterEach). */
  heal(): Promise<void>;
  /** Stop the cluster and remove its data directory. */
  stop(): Promise<void>;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Direct children of `pid`, from /proc (Linux): the postmaster's server processes. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) children.push(Number(entry));
  }
  return children;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

async function waitUntilGone(pids: readonly number[], timeoutMs = 15_000): Promise<void> {
  await eventually(
    () => {
      const alive = pids.filter(isAlive);
      if (alive.length > 0) throw new Error(`still alive: ${alive.join(', ')}`);
    },
    { timeoutMs, what: `processes ${pids.join(', ')} to exit` },
  );
}

/** Every frozen pid of every cluster: continued if the test process exits, so no postgres stays stopped. */
const frozenEverywhere = new Set<number>();
process.on('exit', () => {
  for (const pid of frozenEverywhere) signal(pid, 'SIGCONT');
});

/**
 * Wraps a running cluster (a test helper's, or a fresh one) so it can be broken and restarted. The data
 * directory is read from the server (`SHOW data_directory`).
 */
export async function faultable(cluster: EmbeddedCluster): Promise<FaultableCluster> {
  const url = new URL(cluster.adminUrl());
  const password = decodeURIComponent(url.password);
  const admin = new pg.Client({ connectionString: cluster.adminUrl() });
  await admin.connect();
  const databaseDir = (
    await admin.query<{ d: string }>('SELECT current_setting($1) AS d', ['data_directory'])
  ).rows[0]?.d;
  await admin.end();
  if (!databaseDir) throw new Error('no data_directory');

  let current = cluster;
  const restarted: EmbeddedCluster[] = [];
  /** Killed and not started again. */
  let down = false;
  const frozen = new Set<number>();

  const postmasterPid = (): number => {
    const pid = Number.parseInt(
      readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '',
      10,
    );
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no postmaster pid in ${databaseDir}`);
    return pid;
  };

  const self: FaultableCluster = {
    port: cluster.port,
    adminUrl: (db) => cluster.adminUrl(db),
    postmasterPid,
    async kill() {
      // Test clusters run with synchronous_commit=off: without this, the crash would lose the last commits
      // (a user created a moment ago), which a production store (synchronous_commit=on) never does.
      const admin = new pg.Client({ connectionString: cluster.adminUrl() });
      await admin.connect();
      await admin.query('CHECKPOINT').finally(() => admin.end());
      const postmaster = postmasterPid();
      const servers = childrenOf(postmaster);
      down = true;
      signal(postmaster, 'SIGKILL');
      try {
        await waitUntilGone([postmaster, ...servers]);
      } catch (e) {
        // Still ours a moment ago: end them, so that heal() can start the server again.
        for (const pid of [postmaster, ...servers].filter(isAlive)) signal(pid, 'SIGKILL');
        await waitUntilGone([postmaster, ...servers]);
        throw e;
      }
    },
    freeze() {
      // The postmaster first: then it forks nothing new while its children are being stopped.
      const postmaster = postmasterPid();
      signal(postmaster, 'SIGSTOP');
      frozen.add(postmaster);
      frozenEverywhere.add(postmaster);
      for (const pid of childrenOf(postmaster)) {
        signal(pid, 'SIGSTOP');
        frozen.add(pid);
        frozenEverywhere.add(pid);
      }
    },
    thaw() {
      for (const pid of frozen) {
        signal(pid, 'SIGCONT');
        frozenEverywhere.delete(pid);
      }
      frozen.clear();
    },
    async restart() {
      const next = await startEmbeddedCluster({
        databaseDir,
        port: cluster.port,
        password,
        persistent: false,
        initialise: false,
        fast: true,
      });
      restarted.push(next);
      current = next;
      down = false;
    },
    async heal() {
      self.thaw();
      if (down) await self.restart();
    },
    async stop() {
      self.thaw();
      // The newest first: the older handles' postmasters are dead, so theirs only remove the (same) directory.
      await current.stop();
      for (const c of [...restarted, cluster]) if (c !== current) await c.stop();
    },
  };
  return self;
}
