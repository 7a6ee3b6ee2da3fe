// `gatehouse serve --config gatehouse.yaml`: production start against an external PostgreSQL store.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from './config/load.js';
import { createLogger } from './core/logger.js';
import { startGateway } from './gateway.js';

export async function runServe(options: { configPath: string }): Promise<{ close(): Promise<void> }> {
  const config = await loadConfigFile(options.configPath);
  const logger = createLogger({ level: config.logLevel });
  const dataDir = config.dataDir ?? process.env['GATEHOUSE_HOME'] ?? join(homedir(), '.gatehouse');
  const gateway = await startGateway({ config, dataDir, logger });
  if (gateway.bootstrapKey) {
    const { writeCredentials } = await import('./core/data-dir.js');
    writeCredentials(dataDir, 'default', gateway.bootstrapKey);
    logger.info(
      { accessKeyId: gateway.bootstrapKey.accessKeyId, file: join(dataDir, 'credentials') },
      'created the bootstrap admin access key; its secret is in the credentials file (mode 0600)',
    );
  }
  logger.info({ api: gateway.apiUrl }, 'gatehouse serving');
  return gateway;
}
