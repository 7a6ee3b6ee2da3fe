// A `gatehouse serve` config file on a test gateway's store and data dir (the rolling-restart tests start real
// `serve` processes on it), with its own API port and drain period.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findFreePort } from '../../../../src/store/embedded.js';
import type { TestGateway } from '../../../support/gateway.js';

export async function writeServeConfig(
  t: TestGateway,
  drainSeconds: number,
): Promise<{ configFile: string; apiPort: number }> {
  const apiPort = await findFreePort();
  const configFile = join(t.dataDir, 'gatehouse.yaml');
  await writeFile(
    configFile,
    [
      'store:',
      `  url: ${t.postgres.adminUrl('gatehouse')}`,
      'api:',
      `  listen: 127.0.0.1:${apiPort}`,
      `dataDir: ${t.dataDir}`,
      `masterKeyFile: ${join(t.dataDir, 'master.key')}`,
      'shutdown:',
      `  drainSeconds: ${drainSeconds}`,
      '',
    ].join('\n'),
  );
  return { configFile, apiPort };
}
