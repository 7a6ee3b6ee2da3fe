// Ctrl-C on `gatehouse up` with a session open: one console line per stage, in order; the session is told 57P01;
// nothing on stderr, and no warning, error or stack in gatehouse.log.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/eventually.js';
import {
  demoClientConfig,
  freeUpPorts,
  makeDataDir,
  removeDataDir,
  startUp,
  type UpPorts,
  type UpProcess,
} from '../../support/up-process.js';

describe('stopping gatehouse up', () => {
  let dataDir: string;
  let ports: UpPorts;
  let up: UpProcess | undefined;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    ports = await freeUpPorts();
    up = await startUp(dataDir, ports);
  });
  afterAll(async () => {
    await up?.stop('SIGTERM', 10_000).catch(() => {});
    if (dataDir) await removeDataDir(dataDir);
  });

  it('Ctrl-C tells the open session 57P01 and prints each stage, with no warning, error or stack', async () => {
    const client = new pg.Client(demoClientConfig(dataDir, ports.pg));
    const errors: Array<Error & { code?: string }> = [];
    client.on('error', (e) => errors.push(e));
    await client.connect();
    await client.query('SELECT 1');
    const blockEnd = (up as UpProcess).output().stdout.length;

    const stopped = await (up as UpProcess).stop('SIGINT');
    up = undefined;
    expect({ code: stopped.code, signal: stopped.signal }).toEqual({ code: 0, signal: null });
    await waitFor(() => errors.length > 0, { what: 'the open session to be told' });
    expect(errors[0]?.code).toBe('57P01');
    expect(stopped.stdout.slice(blockEnd).split('\n').filter(Boolean)).toEqual([
      'Stopping: no longer accepting connections',
      'Draining 1 session (up to 3 s)…',
      'Closed 1 session',
      'Audit trail flushed',
      'Store closed',
      'Embedded PostgreSQL stopped',
      'Stopped',
    ]);
    expect(stopped.stderr).toBe('');
    const log = readFileSync(join(dataDir, 'gatehouse.log'), 'utf8').split('\n').filter(Boolean);
    const levels = log.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(levels.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
    expect(log.filter((l) => l.includes('"stack"'))).toEqual([]);
    await client.end().catch(() => {});
  });
});
