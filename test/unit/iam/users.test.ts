import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allow, awsError, type Cluster, type Harness, startCluster, userCaller } from './harness.js';

let cluster: Cluster;
let h: Harness;
beforeAll(async () => {
  cluster = await startCluster('iam-users');
  h = await cluster.harness();
});
afterAll(async () => cluster?.stop());

describe('IAM users', () => {
  it('creates, gets, lists and deletes a user with AWS ids and ARNs, notifying on each change', async () => {
    const before = h.notified();
    const { User } = await h.iam.createUser({ UserName: 'alice', Path: '/eng/' });
    expect(User.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);
    expect(User.Arn).toBe('arn:aws:iam::123456789012:user/eng/alice');
    expect(User.CreateDate).toBe('2025-01-01T00:00:00.000Z');
    expect(h.notified()).toBe(before + 1);

    expect((await h.iam.getUser({ UserName: 'ALICE' }, userCaller('x'))).User).toEqual(User);
    expect((await h.iam.listUsers({ PathPrefix: '/eng' })).Users.map((u) => u.UserName)).toContain('alice');
    expect((await h.iam.listUsers({ PathPrefix: '/ops/' })).Users).toEqual([]);

    await h.iam.deleteUser({ UserName: 'alice' });
    expect(h.notified()).toBe(before + 2);
    const e = await awsError(h.iam.getUser({ UserName: 'alice' }, userCaller('x')), 'NoSuchEntity');
    expect(e.message).toBe('The user with name alice cannot be found.');
    expect(e.spec.http).toBe(404);
  });

  it('names are unique ignoring case: Bob after bob is EntityAlreadyExists (409)', async () => {
    await h.iam.createUser({ UserName: 'bob' });
    const e = await awsError(h.iam.createUser({ UserName: 'Bob' }), 'EntityAlreadyExists');
    expect(e.spec.http).toBe(409);
    expect(e.message).toBe('User with name Bob already exists.');
  });

  it('refuses names and paths outside the AWS patterns with ValidationError (400)', async () => {
    expect((await awsError(h.iam.createUser({ UserName: 'has space' }), 'ValidationError')).spec.http).toBe(
      400,
    );
    await awsError(h.iam.createUser({ UserName: 'x'.repeat(65) }), 'ValidationError');
    await awsError(h.iam.createUser({ UserName: '' }), 'ValidationError');
    await awsError(h.iam.createUser({ UserName: 'okname', Path: 'no-slash' }), 'ValidationError');
    await awsError(h.iam.createUser({ UserName: 'okname', Path: '/a' }), 'ValidationError');
    // The full name alphabet is accepted.
    const ok = await h.iam.createUser({ UserName: 'a_b+c=d,e.f@g-h' });
    expect(ok.User.UserName).toBe('a_b+c=d,e.f@g-h');
  });

  it('getUser without UserName is the caller; from a role session it is a ValidationError', async () => {
    await h.iam.createUser({ UserName: 'carol' });
    expect((await h.iam.getUser({}, userCaller('carol'))).User.UserName).toBe('carol');
    const session = {
      arn: 'arn:aws:sts::123456789012:assumed-role/r/s',
      accountId: '123456789012',
      userId: 'AROAXXXXXXXXXXXXXXXXX:s',
      accessKeyId: 'ASIAAAAAAAAAAAAAAAAA',
    };
    await awsError(h.iam.getUser({}, session), 'ValidationError');
  });

  it('tags: keys compare ignoring case (the second spelling updates the first), at most 50', async () => {
    await h.iam.createUser({ UserName: 'tagged', Tags: [{ Key: 'CostCenter', Value: '1' }] });
    await h.iam.tagUser({
      UserName: 'tagged',
      Tags: [
        { Key: 'costcenter', Value: '2' },
        { Key: 'team', Value: 'db' },
      ],
    });
    expect((await h.iam.listUserTags({ UserName: 'tagged' })).Tags).toEqual([
      { Key: 'CostCenter', Value: '2' },
      { Key: 'team', Value: 'db' },
    ]);
    expect((await h.iam.getUser({ UserName: 'tagged' }, userCaller('x'))).User.Tags).toHaveLength(2);
    await h.iam.untagUser({ UserName: 'tagged', TagKeys: ['TEAM'] });
    expect((await h.iam.listUserTags({ UserName: 'tagged' })).Tags).toEqual([
      { Key: 'CostCenter', Value: '2' },
    ]);

    const many = Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await h.iam.tagUser({ UserName: 'tagged', Tags: many }); // 50 now
    await h.iam.tagUser({ UserName: 'tagged', Tags: [{ Key: 'K0', Value: 'replaced' }] }); // replacing is free
    const e = await awsError(
      h.iam.tagUser({ UserName: 'tagged', Tags: [{ Key: 'one-more', Value: 'v' }] }),
      'LimitExceeded',
    );
    expect(e.spec.http).toBe(409);
    await awsError(
      h.iam.tagUser({
        UserName: 'tagged',
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'A', Value: '2' },
        ],
      }),
      'InvalidInput',
    );
    await awsError(
      h.iam.tagUser({ UserName: 'tagged', Tags: [{ Key: 'aws:x', Value: '1' }] }),
      'InvalidInput',
    );
  });

  it('a permissions boundary must be an existing managed policy and shows on the user', async () => {
    await h.iam.createUser({ UserName: 'bounded' });
    const missing = 'arn:aws:iam::123456789012:policy/nope';
    await awsError(
      h.iam.putUserPermissionsBoundary({ UserName: 'bounded', PermissionsBoundary: missing }),
      'NoSuchEntity',
    );
    await awsError(
      h.iam.putUserPermissionsBoundary({ UserName: 'bounded', PermissionsBoundary: 'not-an-arn' }),
      'ValidationError',
    );
    const { Policy } = await h.iam.createPolicy({
      PolicyName: 'boundary-1',
      PolicyDocument: allow('rds-db:connect'),
    });
    await h.iam.putUserPermissionsBoundary({ UserName: 'bounded', PermissionsBoundary: Policy.Arn });
    expect((await h.iam.getUser({ UserName: 'bounded' }, userCaller('x'))).User.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: 'Policy',
      PermissionsBoundaryArn: Policy.Arn,
    });
    await h.iam.deleteUserPermissionsBoundary({ UserName: 'bounded' });
    expect(
      (await h.iam.getUser({ UserName: 'bounded' }, userCaller('x'))).User.PermissionsBoundary,
    ).toBeUndefined();
  });

  it('deleteUser is a DeleteConflict naming, in AWS order, access keys, then policies, then attached policies, then groups', async () => {
    await h.iam.createUser({ UserName: 'dave' });
    const { AccessKey } = await h.iam.createAccessKey({ UserName: 'dave' }, userCaller('x'));
    await h.iam.putPrincipalPolicy('User', 'dave', { PolicyName: 'inline', PolicyDocument: allow('s3:*') });
    const { Policy } = await h.iam.createPolicy({
      PolicyName: 'dave-managed',
      PolicyDocument: allow('s3:*'),
    });
    await h.iam.attachPrincipalPolicy('User', 'dave', { PolicyArn: Policy.Arn });
    await h.iam.createGroup({ GroupName: 'dave-group' });
    await h.iam.addUserToGroup({ GroupName: 'dave-group', UserName: 'dave' });

    const steps: [string, () => Promise<void>][] = [
      [
        'must delete access keys first',
        () =>
          h.iam.deleteAccessKey({ UserName: 'dave', AccessKeyId: AccessKey.AccessKeyId }, userCaller('x')),
      ],
      [
        'must delete policies first',
        () => h.iam.deletePrincipalPolicy('User', 'dave', { PolicyName: 'inline' }),
      ],
      [
        'must detach all policies first',
        () => h.iam.detachPrincipalPolicy('User', 'dave', { PolicyArn: Policy.Arn }),
      ],
      [
        'must remove user from all groups first',
        () => h.iam.removeUserFromGroup({ GroupName: 'dave-group', UserName: 'dave' }),
      ],
    ];
    for (const [message, fix] of steps) {
      const e = await awsError(h.iam.deleteUser({ UserName: 'dave' }), 'DeleteConflict');
      expect(e.message).toContain(message);
      expect(e.spec.http).toBe(409);
      await fix();
    }
    await h.iam.deleteUser({ UserName: 'dave' });
    await awsError(h.iam.deleteUser({ UserName: 'dave' }), 'NoSuchEntity');
  });

  it('a refused mutation changes nothing and does not notify', async () => {
    const before = h.notified();
    await awsError(h.iam.createUser({ UserName: 'BOB' }), 'EntityAlreadyExists');
    await awsError(h.iam.deleteUser({ UserName: 'nobody' }), 'NoSuchEntity');
    expect(h.notified()).toBe(before);
  });

  it('two concurrent creates of one name (different case) make exactly one user', async () => {
    const results = await Promise.allSettled([
      h.iam.createUser({ UserName: 'race' }),
      h.iam.createUser({ UserName: 'RACE' }),
      h.iam.createUser({ UserName: 'Race' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected')
        expect((r.reason as { spec: { awsCode: string } }).spec.awsCode).toBe('EntityAlreadyExists');
    }
  });
});
