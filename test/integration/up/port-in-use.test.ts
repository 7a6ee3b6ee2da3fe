// `gatehouse up` with a port already taken: a clear error naming the port and the flag, and nothing left running.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freeUpPorts,
  makeDataDir,
  portIsFree,
  processesOf,
  removeDataDir,
  runUpToExit,
  type UpPorts,
} from '../../support/up-process.js';

function hold(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('gatehouse up when a port is taken', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function upWithPortHeld(
    which: 'pg' | 'api',
  ): Promise<{ ports: UpPorts; code: number | null; stderr: string; dataDir: string }> {
    const dataDir = await makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const ports = await freeUpPorts();
    const server = await hold(ports[which]);
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    const result = await runUpToExit(dataDir, ports, 60_000);
    return { ports, code: result.code, stderr: result.stderr, dataDir };
  }

  for (const [which, flag] of [
    ['pg', '--pg-port'],
    ['api', '--api-port'],
  ] as const) {
    it(`with the ${flag} port held, up exits 1 naming the port and ${flag}, leaving nothing running`, async () => {
      const { ports, code, stderr, dataDir } = await upWithPortHeld(which);
      expect(code).toBe(1);
      expect(stderr).toContain(`port ${ports[which]}`);
      expect(stderr).toContain(flag);
      expect(stderr).toContain('[GH_PORT_IN_USE]');
      expect(await processesOf(dataDir)).toEqual([]);
      const others = (['pg', 'api', 'store'] as const).filter((p) => p !== which);
      for (const p of others) expect(await portIsFree(ports[p])).toBe(true);
    });
  }
});
