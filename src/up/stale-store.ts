// Crash recovery for `up`: who holds the data dir, and an embedded PostgreSQL a killed Gatehouse left running.
import { GatehouseError } from '../core/errors.js';
import { existingClusterDir } from '../store/embedded.js';
import { parentPid, runningPostmaster, stopOrphanedPostmaster } from '../store/embedded-process.js';
import { dataDirInUse, liveOwner, runsNode, type UpOwner } from './owner.js';

/**
 * Refuse a data dir a live Gatehouse runs (GH_DATA_DIR_IN_USE, before any port is looked at), then stop its
 * embedded PostgreSQL if the Gatehouse that started it is gone (`kill -9`: postgres outlives its parent), so
 * the data is reused. `say` reports progress to the user.
 */
export async function claimDataDir(dataDir: string, say: (line: string) => void): Promise<void> {
  const owner = await liveOwner(dataDir);
  if (owner !== null) throw dataDirInUse(dataDir, owner);
  const cluster = await existingClusterDir(dataDir);
  const running = cluster === null ? null : await runningPostmaster(cluster);
  if (cluster === null || running === null) return;
  // Belt and braces: a postmaster whose parent is still a live Gatehouse (Node.js) is not stale.
  const parent = parentPid(running.pid);
  if (parent !== null && parent !== 1 && parent !== process.pid && runsNode(parent)) {
    throw dataDirInUse(dataDir, { pid: parent } satisfies UpOwner);
  }
  say(
    `Stopping the embedded PostgreSQL left running by a Gatehouse that is gone (postgres pid ${running.pid}, port ${running.port})…`,
  );
  const started = Date.now();
  let how: string;
  try {
    how = await stopOrphanedPostmaster(running.pid, cluster);
  } catch (e) {
    throw new GatehouseError('GH_STORE_UNAVAILABLE', {
      reason: `${(e as Error).message}: stop it (kill -KILL ${running.pid}) and run up again`,
    });
  }
  say(`  stopped (${how}) after ${((Date.now() - started) / 1000).toFixed(1)} s; its data is reused.`);
}
