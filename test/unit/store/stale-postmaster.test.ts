// `up` stops an embedded PostgreSQL a killed Gatehouse left running; it must only ever signal the postmaster
// of its own cluster, never a process that took the pid over (another PostgreSQL, say the system's own).
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runningPostmaster, stopOrphanedPostmaster } from '../../../src/store/embedded-process.js';

describe.skipIf(process.platform !== 'linux')('runningPostmaster: whose postmaster.pid is this', () => {
  let dir: string;
  let cluster: string;
  let elsewhere: string;
  const children: ChildProcess[] = [];

  /** A real process whose name (comm) is "postgres", running in `cwd`: `sleep` copied under that name. */
  async function fakePostgres(cwd: string): Promise<number> {
    const child = spawn(join(dir, 'postgres'), ['60'], { cwd, stdio: 'ignore' });
    children.push(child);
    const pid = child.pid as number;
    // exec has happened once the kernel names the process after the new image.
    await vi.waitFor(async () => {
      expect((await readFile(`/proc/${pid}/comm`, 'utf8')).trim()).toBe('postgres');
    });
    return pid;
  }

  const pidFile = (pid: number) =>
    writeFile(join(cluster, 'postmaster.pid'), `${pid}\n${cluster}\n0\n54329\n`);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-postmaster-'));
    cluster = await mkdtemp(join(dir, 'cluster-'));
    elsewhere = await mkdtemp(join(dir, 'other-'));
    await copyFile('/bin/sleep', join(dir, 'postgres'));
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("names a live postgres whose working directory is this cluster (the killed Gatehouse's postmaster)", async () => {
    const pid = await fakePostgres(cluster);
    await pidFile(pid);
    expect(await runningPostmaster(cluster)).toEqual({ pid, port: 54329 });
  });

  it('ignores a postgres process of another cluster that reuses the pid', async () => {
    await pidFile(await fakePostgres(elsewhere));
    expect(await runningPostmaster(cluster)).toBeNull();
  });

  it('ignores a live process that is not postgres, and a pid that is gone', async () => {
    await pidFile(process.pid);
    expect(await runningPostmaster(cluster)).toBeNull();
    const gone = spawn('/bin/true');
    await new Promise((resolve) => gone.once('exit', resolve));
    await pidFile(gone.pid as number);
    expect(await runningPostmaster(cluster)).toBeNull();
  });
});

describe.skipIf(process.platform !== 'linux')('stopOrphanedPostmaster: signals only its own cluster', () => {
  let dir: string;
  let cluster: string;
  let elsewhere: string;
  const children: ChildProcess[] = [];

  /**
   * A real process named "postgres" running in `cwd` that ignores SIGINT (a postmaster slow to shut down): a copy
   * of sh under that name. A line on its stdin makes it change its directory to `moveTo` (a process that is not
   * this cluster's postmaster from then on, as a pid reused by another PostgreSQL would be).
   */
  async function stubbornPostgres(cwd: string, moveTo: string): Promise<ChildProcess & { pid: number }> {
    const child = spawn(join(dir, 'postgres'), ['-c', `trap '' INT; read x; cd '${moveTo}'; read y`], {
      cwd,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    children.push(child);
    const pid = child.pid as number;
    await vi.waitFor(async () => {
      expect((await readFile(`/proc/${pid}/comm`, 'utf8')).trim()).toBe('postgres');
      // The trap is set once SIGINT (bit 2) is in its ignored set.
      const sigIgn = /SigIgn:\s*([0-9a-f]+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
      expect(BigInt(`0x${sigIgn}`) & 2n).toBe(2n);
    });
    return child as ChildProcess & { pid: number };
  }

  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => c.once('exit', () => resolve()));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-postmaster-stop-'));
    cluster = await mkdtemp(join(dir, 'cluster-'));
    elsewhere = await mkdtemp(join(dir, 'other-'));
    await copyFile('/bin/sh', join(dir, 'postgres'));
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('escalates to SIGQUIT when its own postmaster outlives the SIGINT deadline', async () => {
    const pg = await stubbornPostgres(cluster, cluster);
    expect(await stopOrphanedPostmaster(pg.pid, cluster, 100)).toBe('immediate shutdown');
    await exited(pg);
    expect(pg.signalCode).toBe('SIGQUIT');
  });

  it('never signals a pid that is not (or no longer) the postmaster of this cluster', async () => {
    const kill = vi.spyOn(process, 'kill');
    try {
      // Another cluster's postgres holds the pid from the start: no signal at all.
      const other = await stubbornPostgres(elsewhere, elsewhere);
      await stopOrphanedPostmaster(other.pid, cluster, 60_000);
      expect(kill.mock.calls.filter(([p, s]) => p === other.pid && s !== 0)).toEqual([]);

      // Ours gets SIGINT, then the pid stops being this cluster's postmaster before the deadline: no SIGQUIT.
      const pg = await stubbornPostgres(cluster, elsewhere);
      const stopping = stopOrphanedPostmaster(pg.pid, cluster, 60_000);
      await vi.waitFor(() => expect(kill).toHaveBeenCalledWith(pg.pid, 'SIGINT'));
      pg.stdin?.write('\n');
      expect(await stopping).toBe('fast shutdown');
      expect(kill.mock.calls.filter(([p, s]) => p === pg.pid && s !== 0)).toEqual([[pg.pid, 'SIGINT']]);
      expect(pg.exitCode === null && pg.signalCode === null).toBe(true); // still running: it was never SIGQUIT
    } finally {
      kill.mockRestore();
    }
  });
});
