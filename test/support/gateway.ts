// Starts a real Gatehouse in-process against a throwaway embedded PostgreSQL (store + backend) for tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { validateConfig } from '../../src/config/load.js';
import { OffsetClock } from '../../src/core/clock.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { type Gateway, startGateway } from '../../src/gateway.js';
import { findFreePort } from '../../src/store/embedded.js';
import { startEmbeddedPostgres, type TestPostgres } from './embedded-pg.js';

export interface TestGateway {
  readonly gateway: Gateway;
  readonly postgres: TestPostgres;
  readonly dataDir: string;
  readonly caFile: string;
  readonly clock: OffsetClock;
  /** Register an instance whose backend is the test cluster's `app` database; returns its port. */
  createInstance(identifier: string, options?: { forceSsl?: boolean; backendUrl?: string }): Promise<number>;
  /** Create a password user (with SELECT on the demo table) and return its password. */
  createUser(instance: string, username: string, password?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  readonly listener?: Partial<{ authTimeoutSeconds: number; maxPendingConnections: number }>;
  readonly logger?: Logger;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const postgres = await startEmbeddedPostgres({ name: 'gateway' });
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-test-'));
  const admin = new pg.Client({ connectionString: postgres.adminUrl('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE gatehouse');
  await admin.query('CREATE DATABASE app');
  await admin.end();
  const app = new pg.Client({ connectionString: postgres.adminUrl('app') });
  await app.connect();
  await app.query(
    "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'espresso')",
  );
  await app.end();

  const clock = new OffsetClock();
  const config = validateConfig(
    {
      store: { url: postgres.adminUrl('gatehouse') },
      api: { listen: '127.0.0.1:0' },
      logLevel: 'silent',
      listener: {
        authTimeoutSeconds: options.listener?.authTimeoutSeconds ?? 10,
        maxStartupPacketBytes: 10_000,
        maxAuthMessageBytes: 65_535,
        maxPendingConnections: options.listener?.maxPendingConnections ?? 1000,
      },
    },
    {},
  );
  const gateway = await startGateway({
    config,
    dataDir,
    clock,
    logger: options.logger ?? silentLogger,
    createMasterKey: true,
  });

  return {
    gateway,
    postgres,
    dataDir,
    caFile: join(dataDir, 'ca.pem'),
    clock,
    async createInstance(identifier, o = {}) {
      const port = await findFreePort();
      await gateway.controlPlane.createInstance({
        identifier,
        engine: 'postgres',
        backendUrl: o.backendUrl ?? `${postgres.adminUrl('app')}?sslmode=disable`,
        listen: `127.0.0.1:${port}`,
        forceSsl: o.forceSsl ?? false,
      });
      return port;
    },
    async createUser(instance, username, password) {
      const result = await gateway.controlPlane.createDbUser({
        instance,
        username,
        auth: 'password',
        ...(password === undefined ? {} : { password }),
      });
      const grant = new pg.Client({ connectionString: postgres.adminUrl('app') });
      await grant.connect();
      await grant.query(`GRANT SELECT ON items TO ${pg.escapeIdentifier(username)}`);
      await grant.end();
      return password ?? (result.generatedPassword as string);
    },
    async stop() {
      await gateway.close();
      await postgres.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
