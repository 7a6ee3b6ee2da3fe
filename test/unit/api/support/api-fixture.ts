// Starts the management API over HTTPS with an in-memory control plane, a known key and a captured log.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { type Authorize, type RunningApiServer, startApiServer } from '../../../../src/api/server.js';
import { OffsetClock } from '../../../../src/core/clock.js';
import { MemoryControlPlane, MemoryKeys } from './memory-control-plane.js';
import { selfSignedCert, type TestCert } from './self-signed.js';

export const ADMIN_KEY = {
  accessKeyId: 'AKIAADMINADMINADMIN0',
  secretAccessKey: 'adminSecretKeyadminSecretKeyadminSecretK',
};

export interface ApiFixture {
  server: RunningApiServer;
  cp: MemoryControlPlane;
  keys: MemoryKeys;
  cert: TestCert;
  /** Real time, shiftable (offsetMs) to test expiry against requests signed now. */
  clock: OffsetClock;
  /** Every line the API logged, as parsed JSON. */
  logLines(): Array<Record<string, unknown>>;
  logText(): string;
}

let cachedCert: TestCert | undefined;

export async function startApiFixture(
  o: { authorize?: Authorize; region?: string } = {},
): Promise<ApiFixture> {
  cachedCert ??= selfSignedCert();
  const cert = cachedCert;
  const cp = new MemoryControlPlane();
  const keys = new MemoryKeys();
  keys.add(ADMIN_KEY);
  let log = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      log += chunk.toString();
      done();
    },
  });
  const clock = new OffsetClock();
  const server = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    tls: cert,
    controlPlane: cp,
    keys,
    region: o.region ?? 'us-east-1',
    clock,
    logger: pino({ level: 'debug' }, sink),
    ...(o.authorize ? { authorize: o.authorize } : {}),
  });
  return {
    server,
    cp,
    keys,
    cert,
    clock,
    logText: () => log,
    logLines: () =>
      log
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
