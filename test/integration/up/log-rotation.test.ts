// `gatehouse up` writes <data-dir>/gatehouse.log rotated by size (--log-max-size / --log-max-files): the "Log"
// path it prints is the link to the file being written, and old files are deleted. Waits for facts, never sleeps.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RawPgConnection, startup, verifiedTls } from '../../support/raw-pg-client.js';
import {
  freeUpPorts,
  makeDataDir,
  removeDataDir,
  startUp,
  type UpProcess,
} from '../../support/up-process.js';

const numbered = (dataDir: string) => readdirSync(dataDir).filter((n) => /^gatehouse\.\d+\.log$/.test(n));

describe('gatehouse up log rotation', () => {
  let dataDir: string;
  let up: UpProcess;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    up = await startUp(dataDir, await freeUpPorts(), ['--log-max-size', '2k', '--log-max-files', '2']);
  });
  afterAll(async () => {
    await up?.stop();
    if (dataDir) await removeDataDir(dataDir);
  });

  it('the printed Log path is gatehouse.log, a link to the numbered file being written', () => {
    const printed = /^\s*Log\s+(\S+)$/m.exec(up.output().stdout)?.[1];
    expect(printed).toBe(join(dataDir, 'gatehouse.log'));
    expect(lstatSync(printed as string).isSymbolicLink()).toBe(true);
    expect(readlinkSync(printed as string)).toMatch(/^gatehouse\.\d+\.log$/);
    expect(readFileSync(printed as string, 'utf8')).not.toBe('');
  });

  it('refused logins past 2 KiB roll the file over; at most 2 files are kept; the link names the newest file and no line is lost', async () => {
    const link = join(dataDir, 'gatehouse.log');
    const first = readlinkSync(link);
    const refusedLogin = async (user: string) => {
      // Over verified TLS: the demo instance has ForceSsl, so a plaintext startup would be refused before the
      // login (and its audit line) this test counts on.
      const conn = await RawPgConnection.connectDirectTls(
        up.ports.pg,
        verifiedTls(join(dataDir, 'ca.pem'), { ALPNProtocols: ['postgresql'] }),
      );
      try {
        const r = await startup(conn, { user, database: 'app', password: 'wrong' });
        expect(r.error?.get('C')).toMatch(/^28/);
      } finally {
        conn.close();
      }
    };
    // Each refused login writes an audit line (and, within the burst, a refusal line): write until two
    // rotations have happened, i.e. the link has moved past the next file.
    for (let i = 0; Number(readlinkSync(link).split('.')[1]) < Number(first.split('.')[1]) + 2; i++) {
      expect(i, `no rotation after ${i} refused logins: ${readdirSync(dataDir).join(' ')}`).toBeLessThan(200);
      await refusedLogin(`nobody_${i}`);
    }
    // pino-roll deletes the oldest files just after a rotation.
    await vi.waitFor(() => expect(numbered(dataDir).length).toBeLessThanOrEqual(2), { timeout: 10_000 });
    // One more attempt: its audit line lands in the file being written, which the link names. If that line
    // itself fills the file, pino-roll opens the next one and moves the link: either way the line is in a
    // kept file and the link names the newest numbered file (never an older one).
    await refusedLogin('the_last_one');
    // The log is written by pino-roll's worker thread: the audit line lands shortly after the refusal.
    await vi.waitFor(
      () => {
        const kept = numbered(dataDir).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
        expect(readlinkSync(link)).toBe(kept.at(-1));
        const withLine = kept.filter((n) =>
          readFileSync(join(dataDir, n), 'utf8').includes('"dbUser":"the_last_one"'),
        );
        expect(withLine).toHaveLength(1);
        // The line is in the newest file, or in the one before it when the line itself rolled the file over.
        expect(kept.slice(-2)).toContain(withLine[0]);
      },
      { timeout: 10_000 },
    );
  });
});
