// Review of issue #13: defects found in `--grant`, the default backend and IAM markers (each test shows one).
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGatehouseError } from '../../src/core/errors.js';
import { encodeMarker } from '../../src/iam/pagination.js';
import { parseGrant } from '../../src/provisioning/grants.js';
import { findFreePort } from '../../src/store/embedded.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

describe('review: --grant canonical text', () => {
  it('a grant on a table of a schema named "schema" is recorded as a whole-schema grant', () => {
    const g = parseGrant('select:"schema".orders');
    expect(g.object).toEqual({ kind: 'table', schema: 'schema', name: 'orders' });
    // The recorded text (what deleteDbUser re-parses to REVOKE) now means something else:
    expect(g.text).toBe('select:schema.orders');
    expect(parseGrant(g.text).object).toEqual({ kind: 'schema', name: 'orders' });
  });
});

describe('review: grants and the default backend (superuser admin, as under gatehouse up)', () => {
  let t: TestGateway;
  let ca: string;
  let port: number;

  beforeAll(async () => {
    t = await startTestGateway({ defaultBackend: true });
    ca = readFileSync(t.caFile, 'utf8');
    port = await findFreePort();
    // As an rds:CreateDBInstance caller would: no BackendUrl (the default backend), a database of its own.
    await t.gateway.controlPlane.createInstance({
      identifier: 'shop',
      engine: 'postgres',
      dbName: 'shop',
      listen: `127.0.0.1:${port}`,
      forceSsl: false,
    });
  }, 120_000);
  afterAll(async () => t?.stop());

  async function login(user: string, password: string, database = 'shop'): Promise<pg.Client> {
    const c = new pg.Client({
      host: 'localhost',
      port,
      user,
      password,
      database,
      ssl: { ca, servername: 'localhost' },
    });
    await c.connect();
    return c;
  }

  it('--grant select:pg_catalog.pg_authid hands a database user every role password hash of the cluster', async () => {
    const r = await t.gateway.controlPlane.createDbUser({
      instance: 'shop',
      username: 'mallory',
      auth: 'password',
      grants: ['select:pg_catalog.pg_authid'],
    });
    const c = await login('mallory', r.generatedPassword as string);
    try {
      const { rows } = await c.query<{ rolname: string; rolpassword: string | null }>(
        "SELECT rolname, rolpassword FROM pg_authid WHERE rolsuper AND rolpassword IS NOT NULL",
      );
      // The superuser's SCRAM secret: normally readable by superusers only.
      expect(rows.length).toBeGreaterThan(0);
      expect(rows[0]?.rolpassword).toMatch(/^SCRAM-SHA-256\$/);
    } finally {
      await c.end();
    }
  });

  it('all:schema.pg_catalog is accepted too (ALL on every system catalog)', async () => {
    const r = await t.gateway.controlPlane.createDbUser({
      instance: 'shop',
      username: 'mallory2',
      auth: 'password',
      grants: ['all:schema.pg_catalog'],
    });
    const c = await login('mallory2', r.generatedPassword as string);
    try {
      const { rows } = await c.query('SELECT count(*)::int AS n FROM pg_authid');
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      await c.end();
    }
  });

  it('a user of an instance on the default backend logs in to the store database by naming it', async () => {
    const r = await t.gateway.controlPlane.createDbUser({ instance: 'shop', username: 'eve', auth: 'password' });
    const c = await login('eve', r.generatedPassword as string, 'gatehouse');
    try {
      const { rows } = await c.query('SELECT current_database() AS db');
      expect(rows[0].db).toBe('gatehouse');
    } finally {
      await c.end();
    }
  });

  it('deleting a user granted on "schema".orders leaves the role (and its privilege) behind', async () => {
    const admin = new pg.Client({ connectionString: t.postgres.adminUrl('shop') });
    await admin.connect();
    try {
      await admin.query('CREATE SCHEMA "schema"; CREATE TABLE "schema".orders (id int)');
      await t.gateway.controlPlane.createDbUser({
        instance: 'shop',
        username: 'bob',
        auth: 'password',
        grants: ['select:"schema".orders'],
      });
      await t.gateway.controlPlane.deleteDbUser('shop', 'bob');
      const { rows } = await admin.query(
        "SELECT has_table_privilege('bob', '\"schema\".orders', 'SELECT') AS can",
      );
      // The role was meant to be dropped; it still exists and still holds SELECT.
      expect(rows[0].can).toBe(true);
    } finally {
      await admin.end();
    }
  });

  it('an IAM marker with an int part beyond int4 is an internal error, not InvalidMarker', async () => {
    const iam = t.gateway.iam.iam;
    const { Policy } = await iam.createPolicy({
      PolicyName: 'p1',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' }],
      }),
    });
    const marker = encodeMarker('policy-versions', ['99999999999']);
    const e = await iam
      .listPolicyVersions({ PolicyArn: Policy.Arn as string, Marker: marker })
      .then(() => null, (x: unknown) => x);
    expect(e).not.toBeNull();
    expect(isGatehouseError(e)).toBe(false);
    expect((e as { code?: string }).code).toBe('22003'); // integer out of range -> HTTP 500
  });
});
