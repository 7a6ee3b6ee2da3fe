// `up` stops an embedded PostgreSQL a killed Gatehouse left running; it must only ever signal the postmaster
// of its own cluster, never a process that took the pid over (another PostgreSQL, say the system's own).
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runningPostmaster } from '../../../src/store/embedded-process.js';

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
