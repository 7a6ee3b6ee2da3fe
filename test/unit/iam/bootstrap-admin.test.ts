import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKeyPair, bootstrapAdminKey } from '../../../src/control-plane/access-keys.js';
import { ensureBootstrapAdmin } from '../../../src/iam/bootstrap-admin.js';
import { loadPrincipal } from '../../../src/iam/principal-policies.js';
import { createIamService } from '../../../src/iam/service.js';
import { migrate } from '../../../src/store/migrate.js';
import { m001Init } from '../../../src/store/migrations/001-init.js';
import { ACCOUNT, type Cluster, startCluster, userCaller } from './harness.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster('iam-bootstrap');
});
afterAll(async () => cluster?.stop());

const ADMIN_ARN = 'arn:aws:iam::123456789012:user/admin';
const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';

describe('ensureBootstrapAdmin', () => {
  it('turns the bootstrap key into user admin with AdministratorAccess; a second run changes nothing', async () => {
    const h = await cluster.harness();
    const key = await bootstrapAdminKey(h.store, h.box, ACCOUNT);
    expect(key).not.toBeNull();

    const first = await ensureBootstrapAdmin(h.store, h.box, ACCOUNT);
    expect(first).toMatchObject({ created: true, adoptedKeys: 1 });
    const { User } = await h.iam.getUser({ UserName: 'admin' }, userCaller('x'));
    expect(User).toMatchObject({ Arn: ADMIN_ARN, Path: '/', UserId: first?.userId });
    expect(
      (await h.iam.listAccessKeys({ UserName: 'admin' }, userCaller('x'))).AccessKeyMetadata.map(
        (k) => k.AccessKeyId,
      ),
    ).toEqual([key?.accessKeyId]);
    expect((await h.iam.listAttachedPrincipalPolicies('User', 'admin')).AttachedPolicies).toEqual([
      { PolicyName: 'AdministratorAccess', PolicyArn: ADMINISTRATOR_ACCESS },
    ]);
    // The key still opens (its AAD did not change) and still identifies the admin.
    expect(await adminKeyPair(h.store, h.box, ACCOUNT)).toEqual(key);
    const loaded = await loadPrincipal(h.store, key!.accessKeyId);
    expect(loaded?.principal).toMatchObject({ arn: ADMIN_ARN, username: 'admin', userid: first?.userId });
    expect(loaded?.identity.map((p) => p.arn)).toEqual([ADMINISTRATOR_ACCESS]);

    expect(await ensureBootstrapAdmin(h.store, h.box, ACCOUNT)).toBeNull();
    const users = await h.store.pool.query('SELECT count(*)::int AS n FROM gh_iam_users');
    expect(users.rows[0].n).toBe(1);
  });

  it('upgrades a store created before IAM existed (key issued under migration 001 only)', async () => {
    const store = await cluster.emptyStore();
    await migrate(store, [m001Init]);
    const h = await cluster.harness(); // only for its box; the key below lives in `store`
    const key = await bootstrapAdminKey(store, h.box, ACCOUNT);
    await migrate(store);
    const result = await ensureBootstrapAdmin(store, h.box, ACCOUNT);
    expect(result).toMatchObject({ created: true, adoptedKeys: 1 });
    const row = await store.pool.query('SELECT user_id FROM gh_access_keys WHERE access_key_id = $1', [
      key?.accessKeyId,
    ]);
    expect(row.rows[0].user_id).toBe(result?.userId);
  });

  it('does not overrule the operator: a detached AdministratorAccess stays detached on the next start', async () => {
    const h = await cluster.harness();
    await bootstrapAdminKey(h.store, h.box, ACCOUNT);
    await ensureBootstrapAdmin(h.store, h.box, ACCOUNT);
    await h.iam.detachPrincipalPolicy('User', 'admin', { PolicyArn: ADMINISTRATOR_ACCESS });
    expect(await bootstrapAdminKey(h.store, h.box, ACCOUNT)).toBeNull();
    expect(await ensureBootstrapAdmin(h.store, h.box, ACCOUNT)).toBeNull();
    expect((await h.iam.listAttachedPrincipalPolicies('User', 'admin')).AttachedPolicies).toEqual([]);
  });

  it('lock-out recovery: when every key is gone, the new bootstrap key joins the existing admin, with AdministratorAccess again', async () => {
    const h = await cluster.harness();
    const first = await bootstrapAdminKey(h.store, h.box, ACCOUNT);
    const made = await ensureBootstrapAdmin(h.store, h.box, ACCOUNT);
    await h.iam.detachPrincipalPolicy('User', 'admin', { PolicyArn: ADMINISTRATOR_ACCESS });
    await h.iam.deleteAccessKey({ UserName: 'admin', AccessKeyId: first!.accessKeyId }, userCaller('x'));
    const second = await bootstrapAdminKey(h.store, h.box, ACCOUNT);
    expect(second).not.toBeNull();
    expect(await ensureBootstrapAdmin(h.store, h.box, ACCOUNT)).toEqual({
      userId: made?.userId,
      created: false,
      adoptedKeys: 1,
    });
    const loaded = await loadPrincipal(h.store, second!.accessKeyId);
    expect(loaded?.identity.map((p) => p.arn)).toEqual([ADMINISTRATOR_ACCESS]);
  });

  it('nodes starting together create one admin user', async () => {
    const h = await cluster.harness();
    await bootstrapAdminKey(h.store, h.box, ACCOUNT);
    const results = await Promise.all([1, 2, 3].map(() => ensureBootstrapAdmin(h.store, h.box, ACCOUNT)));
    expect(results.filter((r) => r?.created)).toHaveLength(1);
    const users = await h.store.pool.query('SELECT count(*)::int AS n FROM gh_iam_users');
    expect(users.rows[0].n).toBe(1);
  });

  it('with no bootstrap key there is nothing to do', async () => {
    const h = await cluster.harness();
    expect(await ensureBootstrapAdmin(h.store, h.box, ACCOUNT)).toBeNull();
    const iam = createIamService({
      store: h.store,
      box: h.box,
      clock: h.clock,
      account: ACCOUNT,
      notify: async () => {},
    });
    expect((await iam.listUsers({})).Users).toEqual([]);
  });
});
