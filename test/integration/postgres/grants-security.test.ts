// --grant on a backend whose admin is a superuser (the default backend, as under `gatehouse up`): reserved schemas
// are refused, the recorded grants are revoked exactly, and a failed create or delete leaves the backend as it was.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../src/store/embedded.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';

describe('--grant against a superuser admin (the default backend)', () => {
  let t: TestGateway;
  let admin: pg.Client;

  beforeAll(async () => {
    t = await startTestGateway({ defaultBackend: true });
    const port = await findFreePort();
    await t.gateway.controlPlane.createInstance({
      identifier: 'shop',
      engine: 'postgres',
      dbName: 'shop',
      listen: `127.0.0.1:${port}`,
      forceSsl: false,
    });
    admin = new pg.Client({ connectionString: t.postgres.adminUrl('shop') });
    await admin.connect();
    await admin.query('CREATE TABLE items (id int)');
  }, 120_000);
  afterAll(async () => {
    await admin?.end();
    await t?.stop();
  });

  const create = (username: string, grants: string[], auth: 'password' | 'iam' = 'password') =>
    t.gateway.controlPlane.createDbUser({ instance: 'shop', username, auth, grants });
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: unknown) => e as { code?: string; message: string },
    );
  async function role(name: string): Promise<{ rolcanlogin: boolean } | undefined> {
    const res = await admin.query('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [name]);
    return res.rows[0];
  }
  async function listed(name: string): Promise<boolean> {
    return (await t.gateway.controlPlane.listDbUsers('shop')).some((u) => u.Username === name);
  }

  it.each([
    ['select:pg_catalog.pg_authid', /schema pg_catalog is reserved/],
    ['all:schema.pg_catalog', /schema pg_catalog is reserved/],
    ['select:information_schema.tables', /reserved/],
    ['all:schema.pg_toast', /reserved/],
    ['select:pg_catalog.pg_user_mapping', /reserved/],
    ['all:schema.gatehouse', /schema gatehouse is reserved/],
    ['update:gatehouse.session_identity', /schema gatehouse is reserved/],
    // Unqualified: pg_catalog is always first on the search path, so these are system catalogs on the backend.
    ['select:pg_authid', /it is pg_catalog\.pg_authid, and schema pg_catalog is reserved/],
    ['select:pg_subscription', /it is pg_catalog\.pg_subscription/],
  ])('%s is refused (GH_API_VALIDATION) and leaves no role or user behind', async (grant, why) => {
    const e = await refusal(create('mallory', [grant]));
    expect(e?.code).toBe('GH_API_VALIDATION');
    expect(e?.message).toMatch(why);
    expect(await role('mallory')).toBeUndefined();
    expect(await listed('mallory')).toBe(false);
  });

  it('a table owned by another superuser (neither the database owner nor the admin) is refused', async () => {
    await admin.query('CREATE ROLE other_su SUPERUSER NOLOGIN; CREATE SCHEMA su_owned');
    await admin.query(
      'CREATE TABLE su_owned.secrets (v text); ALTER TABLE su_owned.secrets OWNER TO other_su',
    );
    const one = await refusal(create('mallory', ['select:su_owned.secrets']));
    expect(one?.code).toBe('GH_API_VALIDATION');
    expect(one?.message).toMatch(/owned by superuser other_su/);
    const all = await refusal(create('mallory', ['all:schema.su_owned']));
    expect(all?.code).toBe('GH_API_VALIDATION');
    expect(all?.message).toMatch(/owned by superuser other_su/);
    expect(await role('mallory')).toBeUndefined();
  });

  it('deleting a user granted on "schema".orders revokes that grant and drops the role', async () => {
    await admin.query('CREATE SCHEMA "schema"; CREATE SCHEMA orders; CREATE TABLE "schema".orders (id int)');
    const r = await create('bob', ['select:"schema".orders']);
    expect(r.user.Grants).toEqual(['select:"schema".orders']);
    const can = await admin.query("SELECT has_table_privilege('bob', '\"schema\".orders', 'SELECT') AS can");
    expect(can.rows[0].can).toBe(true);
    await t.gateway.controlPlane.deleteDbUser('shop', 'bob');
    expect(await role('bob')).toBeUndefined();
  });

  it('a store failure after the grants rolls the role and its grants back on the backend', async () => {
    const store = new pg.Client({ connectionString: t.postgres.adminUrl('gatehouse') });
    await store.connect();
    try {
      await store.query(`CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'store refuses %', NEW.username; END $$`);
      await store.query(
        "CREATE TRIGGER refuse_doomed BEFORE INSERT ON gh_db_users FOR EACH ROW WHEN (NEW.username = 'doomed') EXECUTE FUNCTION refuse_doomed()",
      );
      for (const auth of ['password', 'iam'] as const) {
        const e = await refusal(create('doomed', ['select:items'], auth));
        expect(e?.message).toMatch(/store refuses doomed/);
        expect(await role('doomed')).toBeUndefined();
      }
    } finally {
      await store.query(
        'DROP TRIGGER IF EXISTS refuse_doomed ON gh_db_users; DROP FUNCTION IF EXISTS refuse_doomed()',
      );
      await store.end();
    }
  });

  it('--grant on a role that already exists on the backend is refused; the role keeps what it had', async () => {
    await admin.query('CREATE ROLE carol NOLOGIN; GRANT SELECT ON items TO carol');
    const e = await refusal(create('carol', ['select:items']));
    expect(e?.code).toBe('GH_API_VALIDATION');
    expect(e?.message).toMatch(/already exists on the backend/);
    expect(await role('carol')).toEqual({ rolcanlogin: false }); // the ALTER ROLE … LOGIN was rolled back
    const can = await admin.query("SELECT has_table_privilege('carol', 'items', 'SELECT') AS can");
    expect(can.rows[0].can).toBe(true);
    expect(await listed('carol')).toBe(false);
  });

  it('delete fails loudly, and changes nothing, when the role holds privileges Gatehouse did not grant', async () => {
    await create('dave', ['select:items']);
    await admin.query('GRANT UPDATE ON items TO dave');
    const e = await refusal(t.gateway.controlPlane.deleteDbUser('shop', 'dave'));
    expect(e?.code).toBe('GH_BACKEND_PROVISION_FAILED');
    expect(e?.message).toMatch(/still holds privileges .*table items/);
    expect(await role('dave')).toEqual({ rolcanlogin: true });
    const can = await admin.query("SELECT has_table_privilege('dave', 'items', 'SELECT') AS can");
    expect(can.rows[0].can).toBe(true); // the revoke was rolled back too
    expect(await listed('dave')).toBe(true);
    await admin.query('REVOKE UPDATE ON items FROM dave');
    await t.gateway.controlPlane.deleteDbUser('shop', 'dave');
    expect(await role('dave')).toBeUndefined();
  });

  it('a role that owns objects is still kept NOLOGIN on delete, as before', async () => {
    await create('erin', []);
    await admin.query('CREATE TABLE erins (id int); ALTER TABLE erins OWNER TO erin');
    await t.gateway.controlPlane.deleteDbUser('shop', 'erin');
    expect(await role('erin')).toEqual({ rolcanlogin: false });
    expect(await listed('erin')).toBe(false);
  });
});
