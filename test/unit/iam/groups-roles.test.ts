import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allow, awsError, type Cluster, type Harness, startCluster } from './harness.js';

let cluster: Cluster;
let h: Harness;
beforeAll(async () => {
  cluster = await startCluster('iam-groups-roles');
  h = await cluster.harness();
});
afterAll(async () => cluster?.stop());

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' },
  ],
});

describe('IAM groups', () => {
  it('group lifecycle: create (AGPA id), membership (idempotent add), get with members, delete once empty', async () => {
    const { Group } = await h.iam.createGroup({ GroupName: 'devs', Path: '/teams/' });
    expect(Group.GroupId).toMatch(/^AGPA[A-Z0-9]{17}$/);
    expect(Group.Arn).toBe('arn:aws:iam::123456789012:group/teams/devs');
    await awsError(h.iam.createGroup({ GroupName: 'DEVS' }), 'EntityAlreadyExists');

    await h.iam.createUser({ UserName: 'ann' });
    await h.iam.addUserToGroup({ GroupName: 'devs', UserName: 'ann' });
    await h.iam.addUserToGroup({ GroupName: 'Devs', UserName: 'ANN' });
    const got = await h.iam.getGroup({ GroupName: 'devs' });
    expect(got.Users.map((u) => u.UserName)).toEqual(['ann']);
    expect((await h.iam.listGroupsForUser({ UserName: 'ann' })).Groups.map((g) => g.GroupName)).toEqual([
      'devs',
    ]);
    expect((await h.iam.listGroups({})).Groups.map((g) => g.GroupName)).toEqual(['devs']);

    await h.iam.putPrincipalPolicy('Group', 'devs', { PolicyName: 'p', PolicyDocument: allow('s3:*') });
    const { Policy } = await h.iam.createPolicy({
      PolicyName: 'devs-managed',
      PolicyDocument: allow('s3:*'),
    });
    await h.iam.attachPrincipalPolicy('Group', 'devs', { PolicyArn: Policy.Arn });

    const steps: [string, () => Promise<void>][] = [
      [
        'must remove users from group first',
        () => h.iam.removeUserFromGroup({ GroupName: 'devs', UserName: 'ann' }),
      ],
      ['must delete policies first', () => h.iam.deletePrincipalPolicy('Group', 'devs', { PolicyName: 'p' })],
      [
        'must detach all policies first',
        () => h.iam.detachPrincipalPolicy('Group', 'devs', { PolicyArn: Policy.Arn }),
      ],
    ];
    for (const [message, fix] of steps) {
      expect((await awsError(h.iam.deleteGroup({ GroupName: 'devs' }), 'DeleteConflict')).message).toContain(
        message,
      );
      await fix();
    }
    await h.iam.deleteGroup({ GroupName: 'devs' });
    await awsError(h.iam.getGroup({ GroupName: 'devs' }), 'NoSuchEntity');
  });

  it('removing a non-member, or adding to an unknown group, is NoSuchEntity', async () => {
    await h.iam.createGroup({ GroupName: 'ops' });
    await h.iam.createUser({ UserName: 'ben' });
    await awsError(h.iam.removeUserFromGroup({ GroupName: 'ops', UserName: 'ben' }), 'NoSuchEntity');
    await awsError(h.iam.addUserToGroup({ GroupName: 'nope', UserName: 'ben' }), 'NoSuchEntity');
    await awsError(h.iam.addUserToGroup({ GroupName: 'ops', UserName: 'nobody' }), 'NoSuchEntity');
  });

  it('a user can be in at most 10 groups (LimitExceeded)', async () => {
    await h.iam.createUser({ UserName: 'joiner' });
    for (let i = 0; i < 10; i++) {
      await h.iam.createGroup({ GroupName: `g${i}` });
      await h.iam.addUserToGroup({ GroupName: `g${i}`, UserName: 'joiner' });
    }
    await h.iam.createGroup({ GroupName: 'g10' });
    await awsError(h.iam.addUserToGroup({ GroupName: 'g10', UserName: 'joiner' }), 'LimitExceeded');
  });
});

describe('IAM roles', () => {
  it('role lifecycle: AROA id, URL-encoded trust policy, default 3600 s sessions, update, delete', async () => {
    const { Role } = await h.iam.createRole({
      RoleName: 'reader',
      AssumeRolePolicyDocument: TRUST,
      Description: 'reads things',
      Tags: [{ Key: 'env', Value: 'dev' }],
    });
    expect(Role.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
    expect(Role.Arn).toBe('arn:aws:iam::123456789012:role/reader');
    expect(Role.MaxSessionDuration).toBe(3600);
    expect(Role.AssumeRolePolicyDocument).toBe(encodeURIComponent(TRUST));
    expect(Role.AssumeRolePolicyDocument).toMatch(/^%7B%22Version%22%3A%222012-10-17%22/);
    expect(decodeURIComponent(Role.AssumeRolePolicyDocument)).toBe(TRUST);

    await h.iam.updateRole({ RoleName: 'READER', MaxSessionDuration: 43200, Description: 'changed' });
    const got = (await h.iam.getRole({ RoleName: 'reader' })).Role;
    expect(got).toMatchObject({
      MaxSessionDuration: 43200,
      Description: 'changed',
      Tags: [{ Key: 'env', Value: 'dev' }],
    });
    const trust2 = TRUST.replace(':root', ':user/ann');
    await h.iam.updateAssumeRolePolicy({ RoleName: 'reader', PolicyDocument: trust2 });
    expect(
      decodeURIComponent((await h.iam.getRole({ RoleName: 'reader' })).Role.AssumeRolePolicyDocument),
    ).toBe(trust2);
    expect((await h.iam.listRoles({})).Roles.map((r) => r.RoleName)).toContain('reader');

    await h.iam.deleteRole({ RoleName: 'reader' });
    await awsError(h.iam.getRole({ RoleName: 'reader' }), 'NoSuchEntity');
  });

  it('MaxSessionDuration outside 3600..43200 is a ValidationError; duplicate names (any case) EntityAlreadyExists', async () => {
    await awsError(
      h.iam.createRole({ RoleName: 'r1', AssumeRolePolicyDocument: TRUST, MaxSessionDuration: 3599 }),
      'ValidationError',
    );
    await awsError(
      h.iam.createRole({ RoleName: 'r1', AssumeRolePolicyDocument: TRUST, MaxSessionDuration: 43201 }),
      'ValidationError',
    );
    await awsError(
      h.iam.createRole({ RoleName: 'r'.repeat(65), AssumeRolePolicyDocument: TRUST }),
      'ValidationError',
    );
    await h.iam.createRole({ RoleName: 'r1', AssumeRolePolicyDocument: TRUST });
    await awsError(
      h.iam.createRole({ RoleName: 'R1', AssumeRolePolicyDocument: TRUST }),
      'EntityAlreadyExists',
    );
    await awsError(h.iam.updateRole({ RoleName: 'r1', MaxSessionDuration: 60 }), 'ValidationError');
  });

  it('a trust policy must be a trust document: one without Principal, or malformed JSON, is MalformedPolicyDocument', async () => {
    const noPrincipal = allow('sts:AssumeRole');
    const e = await awsError(
      h.iam.createRole({ RoleName: 'r2', AssumeRolePolicyDocument: noPrincipal }),
      'MalformedPolicyDocument',
    );
    expect(e.spec.http).toBe(400);
    expect(e.message).toMatch(/Statement\[0\]/);
    await awsError(
      h.iam.createRole({ RoleName: 'r2', AssumeRolePolicyDocument: '{"Version": ' }),
      'MalformedPolicyDocument',
    );
    await awsError(h.iam.getRole({ RoleName: 'r2' }), 'NoSuchEntity');
  });

  it('deleteRole is a DeleteConflict while inline or attached policies remain', async () => {
    await h.iam.createRole({ RoleName: 'busy', AssumeRolePolicyDocument: TRUST });
    await h.iam.putPrincipalPolicy('Role', 'busy', { PolicyName: 'inline', PolicyDocument: allow('s3:*') });
    const { Policy } = await h.iam.createPolicy({
      PolicyName: 'busy-managed',
      PolicyDocument: allow('s3:*'),
    });
    await h.iam.attachPrincipalPolicy('Role', 'busy', { PolicyArn: Policy.Arn });
    expect((await awsError(h.iam.deleteRole({ RoleName: 'busy' }), 'DeleteConflict')).message).toContain(
      'must delete policies first',
    );
    await h.iam.deletePrincipalPolicy('Role', 'busy', { PolicyName: 'inline' });
    expect((await awsError(h.iam.deleteRole({ RoleName: 'busy' }), 'DeleteConflict')).message).toContain(
      'must detach all policies first',
    );
    await h.iam.detachPrincipalPolicy('Role', 'busy', { PolicyArn: Policy.Arn });
    await h.iam.deleteRole({ RoleName: 'busy' });
  });

  it('role tags and boundary', async () => {
    await h.iam.createRole({ RoleName: 'tagme', AssumeRolePolicyDocument: TRUST });
    await h.iam.tagRole({ RoleName: 'tagme', Tags: [{ Key: 'a', Value: '1' }] });
    await h.iam.tagRole({ RoleName: 'tagme', Tags: [{ Key: 'A', Value: '2' }] });
    expect((await h.iam.listRoleTags({ RoleName: 'tagme' })).Tags).toEqual([{ Key: 'a', Value: '2' }]);
    await h.iam.untagRole({ RoleName: 'tagme', TagKeys: ['a'] });
    expect((await h.iam.listRoleTags({ RoleName: 'tagme' })).Tags).toEqual([]);
    const arn = 'arn:aws:iam::aws:policy/AdministratorAccess';
    await h.iam.putRolePermissionsBoundary({ RoleName: 'tagme', PermissionsBoundary: arn });
    expect(
      (await h.iam.getRole({ RoleName: 'tagme' })).Role.PermissionsBoundary?.PermissionsBoundaryArn,
    ).toBe(arn);
    await h.iam.deleteRolePermissionsBoundary({ RoleName: 'tagme' });
    expect((await h.iam.getRole({ RoleName: 'tagme' })).Role.PermissionsBoundary).toBeUndefined();
  });
});
