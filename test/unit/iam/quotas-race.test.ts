// IAM quotas hold under concurrency: each is checked under a row lock on its owner in the inserting transaction,
// so N parallel calls against a real store succeed exactly up to the quota, and the rest get LimitExceeded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseError } from '../../../src/core/errors.js';
import { allow, type Cluster, type Harness, startCluster, userCaller } from './harness.js';

let cluster: Cluster;
let h: Harness;
beforeAll(async () => {
  cluster = await startCluster('iam-quota-race');
  h = await cluster.harness();
});
afterAll(async () => cluster?.stop());

/** Runs every call at once; returns how many succeeded and the AWS codes of the refusals. */
async function race(calls: Array<() => Promise<unknown>>): Promise<{ ok: number; refused: string[] }> {
  const settled = await Promise.allSettled(calls.map((f) => f()));
  const refused = settled
    .filter((s): s is PromiseRejectedResult => s.status === 'rejected')
    .map((s) => (s.reason as GatehouseError).spec?.awsCode ?? String(s.reason));
  return { ok: settled.filter((s) => s.status === 'fulfilled').length, refused };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('IAM quotas under concurrent calls', () => {
  it('10 parallel CreateAccessKey for one user: exactly 2 succeed (AccessKeysPerUser)', async () => {
    await h.iam.createUser({ UserName: 'keys' });
    const r = await race(
      range(10).map(() => () => h.iam.createAccessKey({ UserName: 'keys' }, userCaller('x'))),
    );
    expect(r.ok).toBe(2);
    expect(r.refused).toEqual(Array(8).fill('LimitExceeded'));
    const listed = await h.iam.listAccessKeys({ UserName: 'keys' }, userCaller('x'));
    expect(listed.AccessKeyMetadata).toHaveLength(2);
  });

  it('15 parallel AddUserToGroup for one user: exactly 10 succeed (GroupsPerUser)', async () => {
    await h.iam.createUser({ UserName: 'joiner' });
    for (const i of range(15)) await h.iam.createGroup({ GroupName: `jg${i}` });
    const r = await race(
      range(15).map((i) => () => h.iam.addUserToGroup({ GroupName: `jg${i}`, UserName: 'joiner' })),
    );
    expect(r.ok).toBe(10);
    expect(r.refused).toEqual(Array(5).fill('LimitExceeded'));
    expect((await h.iam.listGroupsForUser({ UserName: 'joiner' })).Groups).toHaveLength(10);
  });

  it.each(['User', 'Group', 'Role'] as const)(
    '15 parallel Attach%sPolicy: exactly 10 succeed (PoliciesPer…)',
    async (kind) => {
      const owner = `att-${kind.toLowerCase()}`;
      if (kind === 'User') await h.iam.createUser({ UserName: owner });
      if (kind === 'Group') await h.iam.createGroup({ GroupName: owner });
      if (kind === 'Role') {
        await h.iam.createRole({
          RoleName: owner,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          }),
        });
      }
      const arns: string[] = [];
      for (const i of range(15)) {
        arns.push(
          (await h.iam.createPolicy({ PolicyName: `${owner}-p${i}`, PolicyDocument: allow('s3:*') })).Policy
            .Arn,
        );
      }
      const r = await race(
        arns.map((PolicyArn) => () => h.iam.attachPrincipalPolicy(kind, owner, { PolicyArn })),
      );
      expect(r.ok).toBe(10);
      expect(r.refused).toEqual(Array(5).fill('LimitExceeded'));
      expect((await h.iam.listAttachedPrincipalPolicies(kind, owner)).AttachedPolicies).toHaveLength(10);
    },
  );

  it('10 parallel CreatePolicyVersion: the policy ends with exactly 5 versions (4 of the calls succeed)', async () => {
    const { Policy } = await h.iam.createPolicy({ PolicyName: 'versions', PolicyDocument: allow('s3:*') });
    const r = await race(
      range(10).map(
        () => () => h.iam.createPolicyVersion({ PolicyArn: Policy.Arn, PolicyDocument: allow('s3:Get*') }),
      ),
    );
    expect(r.ok).toBe(4);
    expect(r.refused).toEqual(Array(6).fill('LimitExceeded'));
    expect((await h.iam.listPolicyVersions({ PolicyArn: Policy.Arn })).Versions).toHaveLength(5);
  });

  it('parallel PutUserPolicy calls cannot together exceed the 2048-character aggregate inline quota', async () => {
    await h.iam.createUser({ UserName: 'inline' });
    // Each about 700 characters without white space: two fit in 2048, three do not.
    const doc = (i: number) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${String(i).repeat(600)}/*` },
        ],
      });
    const r = await race(
      range(6).map(
        (i) => () =>
          h.iam.putPrincipalPolicy('User', 'inline', { PolicyName: `p${i}`, PolicyDocument: doc(i) }),
      ),
    );
    expect(r.ok).toBe(2);
    expect(r.refused).toEqual(Array(4).fill('LimitExceeded'));
    expect((await h.iam.listPrincipalPolicies('User', 'inline')).PolicyNames).toHaveLength(2);
  });

  it('parallel TagUser calls cannot together exceed 50 tags', async () => {
    await h.iam.createUser({ UserName: 'tagged' });
    const batch = (b: number) => range(20).map((i) => ({ Key: `k${b}-${i}`, Value: 'v' }));
    const r = await race(range(5).map((b) => () => h.iam.tagUser({ UserName: 'tagged', Tags: batch(b) })));
    expect(r.ok).toBe(2);
    expect(r.refused).toEqual(Array(3).fill('LimitExceeded'));
    expect((await h.iam.listUserTags({ UserName: 'tagged', MaxItems: 1000 })).Tags).toHaveLength(40);
  });

  it('DeleteGroup racing AddUserToGroup never leaves a member in a deleted group nor fails with an internal error', async () => {
    for (const i of range(5)) {
      await h.iam.createUser({ UserName: `dg-user${i}` });
      await h.iam.createGroup({ GroupName: `dg${i}` });
    }
    const r = await race(
      range(5).flatMap((i) => [
        () => h.iam.addUserToGroup({ GroupName: `dg${i}`, UserName: `dg-user${i}` }),
        () => h.iam.deleteGroup({ GroupName: `dg${i}` }),
      ]),
    );
    for (const code of r.refused) expect(['DeleteConflict', 'NoSuchEntity']).toContain(code);
    const orphans = await h.store.pool.query(
      'SELECT count(*)::int AS n FROM gh_iam_group_members m LEFT JOIN gh_iam_groups g USING (group_id) WHERE g.group_id IS NULL',
    );
    expect(orphans.rows[0].n).toBe(0);
  });

  it('DeletePolicy racing AttachUserPolicy: either the policy is gone and unattached, or attached and kept', async () => {
    await h.iam.createUser({ UserName: 'dp-user' });
    for (const i of range(5)) {
      const { Policy } = await h.iam.createPolicy({ PolicyName: `dp${i}`, PolicyDocument: allow('s3:*') });
      const r = await race([
        () => h.iam.attachPrincipalPolicy('User', 'dp-user', { PolicyArn: Policy.Arn }),
        () => h.iam.deletePolicy({ PolicyArn: Policy.Arn }),
      ]);
      for (const code of r.refused) expect(['DeleteConflict', 'NoSuchEntity']).toContain(code);
      expect(r.ok).toBe(1);
    }
  });
});
