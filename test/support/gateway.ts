// Starts a real Gatehouse in-process against a throwaway embedded PostgreSQL (store + backend) for tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { validateConfig } from '../../src/config/load.js';
import type { AuditSink } from '../../src/core/audit.js';
import { OffsetClock } from '../../src/core/clock.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import type { EngineDefinition } from '../../src/engines/common/engine.js';
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
  createInstance(
    identifier: string,
    options?: { forceSsl?: boolean; backendUrl?: string; iam?: boolean; endpointAliases?: string[] },
  ): Promise<number>;
  /** Create a password user (with SELECT on the demo table) and return its password. */
  createUser(instance: string, username: string, password?: string): Promise<string>;
  /** Create an IAM database user (--auth iam, with SELECT on the demo table). */
  createIamDbUser(instance: string, username: string): Promise<void>;
  /** Create an IAM user with one inline policy and an access key; returns the key. */
  createIamPrincipal(userName: string, policy: object | null): Promise<AccessKeyPair>;
  /**
   * Start another node on the same store and master key, with its own data directory (its CA is
   * `<dataDir>/ca.pem`). On one machine it cannot bind the instances' addresses too: its listener starts fail and
   * are logged (silently). Stop it before this gateway.
   */
  startSecondNode(): Promise<SecondNode>;
  /** SQL as the backend's superuser in the instances' `app` database, directly (not through Gatehouse). */
  backendSql(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

export interface SecondNode {
  readonly gateway: Gateway;
  readonly dataDir: string;
  /** Close the node and remove its data directory. */
  stop(): Promise<void>;
}

export interface AccessKeyPair {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface TestGatewayOptions {
  readonly listener?: Partial<{
    authTimeoutSeconds: number;
    maxPendingConnections: number;
    maxPendingPerSource: number;
    maxTlsRefusals: number;
    maxSessionsPerInstance: number;
  }>;
  /** backend.connectTimeoutSeconds (default 5). */
  readonly backendConnectTimeoutSeconds?: number;
  readonly logger?: Logger;
  /**
   * Refusal lines written per client address and code per window (config `log.refusalBurst`). Default: a
   * million, so tests can find the line of every refusal from 127.0.0.1; log-growth tests pass the real default.
   */
  readonly refusalBurst?: number;
  /** Receives every audit event (connection attempts, revoked sessions). */
  readonly audit?: AuditSink;
  /** Engines registered besides the built-in ones (a test's own protocol). */
  readonly engines?: readonly EngineDefinition[];
  /**
   * Config `rds.defaultBackendUrl` (what CreateDBInstance without BackendUrl fronts): the test cluster's superuser
   * on its `postgres` database, as `gatehouse up` sets it. Default: none.
   */
  readonly defaultBackend?: boolean;
}

/** A policy allowing rds-db:connect on every DB user of every instance (the common "connect" grant). */
export const CONNECT_ANYWHERE = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: 'arn:aws:rds-db:*:*:dbuser:*/*' }],
};

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
        ...(options.listener?.maxPendingPerSource !== undefined
          ? { maxPendingPerSource: options.listener.maxPendingPerSource }
          : {}),
        ...(options.listener?.maxTlsRefusals !== undefined
          ? { maxTlsRefusals: options.listener.maxTlsRefusals }
          : {}),
        ...(options.listener?.maxSessionsPerInstance !== undefined
          ? { maxSessionsPerInstance: options.listener.maxSessionsPerInstance }
          : {}),
      },
      log: { refusalBurst: options.refusalBurst ?? 1_000_000 },
      ...(options.defaultBackend
        ? { rds: { defaultBackendUrl: `${postgres.adminUrl('postgres')}?sslmode=disable` } }
        : {}),
      ...(options.backendConnectTimeoutSeconds !== undefined
        ? { backend: { connectTimeoutSeconds: options.backendConnectTimeoutSeconds } }
        : {}),
    },
    {},
  );
  const gateway = await startGateway({
    config,
    dataDir,
    clock,
    logger: options.logger ?? silentLogger,
    createMasterKey: true,
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.engines ? { engines: options.engines } : {}),
  });
  const backendSql = async (sql: string, params: unknown[] = []): Promise<pg.QueryResult> => {
    const client = new pg.Client({ connectionString: postgres.adminUrl('app') });
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  };
  const grantSelect = async (username: string) => {
    await backendSql(`GRANT SELECT ON items TO ${pg.escapeIdentifier(username)}`);
  };

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
        ...(o.iam !== undefined ? { enableIamDatabaseAuthentication: o.iam } : {}),
        // Clients here connect to "localhost" (the name the test CA certifies) while the listener is 127.0.0.1.
        ...(o.endpointAliases !== undefined || o.iam
          ? { endpointAliases: o.endpointAliases ?? [`localhost:${port}`] }
          : {}),
      });
      return port;
    },
    async createIamDbUser(instance, username) {
      await gateway.controlPlane.createDbUser({ instance, username, auth: 'iam' });
      await grantSelect(username);
    },
    async createIamPrincipal(userName, policy) {
      const iam = gateway.iam.iam;
      await iam.createUser({ UserName: userName });
      if (policy !== null) {
        await iam.putPrincipalPolicy('User', userName, {
          PolicyName: 'connect',
          PolicyDocument: JSON.stringify(policy),
        });
      }
      const caller = {
        arn: `arn:aws:iam::${gateway.account.accountId}:user/admin`,
        accountId: gateway.account.accountId,
        userId: 'AIDAADMIN',
        accessKeyId: gateway.bootstrapKey?.accessKeyId ?? 'AKIAADMIN',
      };
      const { AccessKey } = await iam.createAccessKey({ UserName: userName }, caller);
      return { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey };
    },
    async createUser(instance, username, password) {
      const result = await gateway.controlPlane.createDbUser({
        instance,
        username,
        auth: 'password',
        ...(password === undefined ? {} : { password }),
      });
      await grantSelect(username);
      return password ?? (result.generatedPassword as string);
    },
    backendSql,
    async startSecondNode() {
      const nodeDir = await mkdtemp(join(tmpdir(), 'gatehouse-node-b-'));
      const node = await startGateway({
        config: validateConfig(
          {
            store: { url: postgres.adminUrl('gatehouse') },
            api: { listen: '127.0.0.1:0' },
            masterKeyFile: join(dataDir, 'master.key'),
            logLevel: 'silent',
          },
          {},
        ),
        dataDir: nodeDir,
        logger: silentLogger,
      });
      return {
        gateway: node,
        dataDir: nodeDir,
        async stop() {
          await node.close();
          await rm(nodeDir, { recursive: true, force: true });
        },
      };
    },
    async stop() {
      await gateway.close();
      await postgres.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
