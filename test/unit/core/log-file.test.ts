// `<data-dir>/gatehouse.log` rotates by size (pino-roll): numbered files, the newest `maxFiles` kept, and
// `gatehouse.log` a link to the file being written. Each test writes until the fact it waits for holds (no sleeps).
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openRotatingLogFile, type RotatingLogFile } from '../../../src/core/log-file.js';
import { createLogger } from '../../../src/core/logger.js';

const MAX_BYTES = 2048;
const LINE_PAD = 'p'.repeat(150);
const yieldOnce = () => new Promise<void>((r) => setImmediate(r));

let dir: string;
let opened: RotatingLogFile[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-log-'));
  opened = [];
});
afterEach(async () => {
  for (const f of opened) await f.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(maxFiles = 3): Promise<{ file: RotatingLogFile; log: ReturnType<typeof createLogger> }> {
  const file = await openRotatingLogFile(join(dir, 'gatehouse.log'), { maxBytes: MAX_BYTES, maxFiles });
  opened.push(file);
  return { file, log: createLogger({ level: 'info', destination: file.destination }) };
}

const numbered = () =>
  readdirSync(dir)
    .filter((n) => /^gatehouse\.\d+\.log$/.test(n))
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));

/** Log lines one at a time, letting the stream rotate between them, until `done()` holds (at most 2,000 lines). */
async function writeUntil(log: ReturnType<typeof createLogger>, done: () => boolean): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i >= 2000) throw new Error(`still not done after ${i} lines: ${readdirSync(dir).join(' ')}`);
    log.info({ i, pad: LINE_PAD }, 'line');
    await yieldOnce();
  }
}

describe('rotating log file', () => {
  it('rolls over past the configured size; gatehouse.log links to the file being written', async () => {
    const { file, log } = await open();
    expect(file.path).toBe(join(dir, 'gatehouse.log'));
    expect(readlinkSync(file.path)).toBe('gatehouse.1.log');
    await writeUntil(log, () => existsSync(join(dir, 'gatehouse.2.log')));
    expect(statSync(join(dir, 'gatehouse.1.log')).size).toBeGreaterThanOrEqual(MAX_BYTES);
    // The link follows the rotation: what users read through gatehouse.log is the newest line.
    await writeUntil(log, () => readlinkSync(file.path) === 'gatehouse.2.log');
    log.info({ marker: 'newest' }, 'after rotation');
    expect(readFileSync(file.path, 'utf8').trimEnd().split('\n').at(-1)).toContain('"marker":"newest"');
    expect(file.current()).toBe(join(dir, 'gatehouse.2.log'));
  });

  it('keeps at most maxFiles files, each near maxBytes, however much is written', async () => {
    const { log } = await open(3);
    await writeUntil(log, () => existsSync(join(dir, 'gatehouse.8.log')));
    // pino-roll deletes old files just after it rotates: wait for that, writing nothing more.
    await vi.waitFor(() => expect(numbered()).toHaveLength(3));
    expect(numbered()).toEqual(['gatehouse.6.log', 'gatehouse.7.log', 'gatehouse.8.log']);
    for (const name of numbered()) expect(statSync(join(dir, name)).size).toBeLessThan(MAX_BYTES + 400);
    expect(lstatSync(join(dir, 'gatehouse.log')).isSymbolicLink()).toBe(true);
  });

  it('a restart continues the highest number, and a plain gatehouse.log from an earlier version becomes .0', async () => {
    writeFileSync(join(dir, 'gatehouse.log'), '{"msg":"written by an earlier version"}\n');
    const first = await open();
    expect(readFileSync(join(dir, 'gatehouse.0.log'), 'utf8')).toContain('earlier version');
    expect(readlinkSync(first.file.path)).toBe('gatehouse.1.log');
    await writeUntil(first.log, () => existsSync(join(dir, 'gatehouse.2.log')));
    await first.file.close();

    const second = await open();
    expect(readlinkSync(second.file.path)).toBe('gatehouse.2.log');
    second.log.info('after restart');
    expect(readFileSync(second.file.path, 'utf8')).toContain('after restart');
    // The earlier version's file is the oldest of the set and goes first.
    await writeUntil(second.log, () => !existsSync(join(dir, 'gatehouse.0.log')));
  });

  it('lines written after close are dropped, not thrown', async () => {
    const { file, log } = await open();
    log.info('before close');
    await file.close();
    expect(() => log.info('after close')).not.toThrow();
    expect(readFileSync(join(dir, 'gatehouse.1.log'), 'utf8')).not.toContain('after close');
  });
});
