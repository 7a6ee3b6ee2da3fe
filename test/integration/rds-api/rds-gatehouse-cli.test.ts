// `gatehouse rds create-db-instance` with only RDS-style flags (--port, --db-name) on a gateway with a default
// backend, `modify-db-instance --db-port-number`, and `--query` picking the DbiResourceId a policy needs.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { findFreePort } from '../../../src/store/embedded.js';
import { testIo } from '../../unit/cli/support/cli-io.js';
import { type RdsGateway, startRdsGateway } from './support/rds-harness.js';

describe('gatehouse rds with RDS-style flags on a gateway with a default backend', () => {
  let d: RdsGateway;
  let env: Record<string, string>;

  const cli = async (args: string[]) => {
    const io = testIo({ env });
    const code = await runCli(['--data-dir', d.t.dataDir, ...args], io.io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };

  beforeAll(async () => {
    d = await startRdsGateway({ defaultBackend: true });
    env = {
      GATEHOUSE_ACCESS_KEY_ID: d.admin.accessKeyId,
      GATEHOUSE_SECRET_ACCESS_KEY: d.admin.secretAccessKey,
      GATEHOUSE_ENDPOINT_URL: d.t.gateway.apiUrl,
    };
  });
  afterAll(async () => d?.stop());

  it('create-db-instance --port --db-name needs no --backend-url or --listen; the database is created', async () => {
    const port = await findFreePort();
    const created = await cli([
      'rds',
      'create-db-instance',
      '--db-instance-identifier',
      'cli-orders',
      '--engine',
      'postgres',
      '--port',
      String(port),
      '--db-name',
      'cli_orders',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const instance = JSON.parse(created.stdout).DBInstance;
    expect(instance).toMatchObject({
      DBInstanceIdentifier: 'cli-orders',
      Endpoint: { Address: '127.0.0.1', Port: port },
    });
    // The backend database exists now (created through the default backend's admin connection).
    const admin = new pg.Client({ connectionString: d.t.postgres.adminUrl('postgres') });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', ['cli_orders']);
      expect(rows).toHaveLength(1);
    } finally {
      await admin.end();
    }

    const id = await cli([
      'rds',
      'describe-db-instances',
      '--db-instance-identifier',
      'cli-orders',
      '--query',
      'DBInstances[0].DbiResourceId',
      '--output',
      'text',
    ]);
    expect(id.code, id.stderr).toBe(0);
    expect(id.stdout).toBe(`${instance.DbiResourceId}\n`);
    expect(id.stdout).toMatch(/^db-[A-Z0-9]{26}\n$/);

    const moved = await findFreePort();
    const modified = await cli([
      'rds',
      'modify-db-instance',
      '--db-instance-identifier',
      'cli-orders',
      '--db-port-number',
      String(moved),
    ]);
    expect(modified.code, modified.stderr).toBe(0);
    expect(JSON.parse(modified.stdout).DBInstance.Endpoint).toEqual({ Address: '127.0.0.1', Port: moved });
  });
});
