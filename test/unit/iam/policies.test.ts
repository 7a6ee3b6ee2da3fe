import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allow, awsError, type Cluster, type Harness, startCluster } from './harness.js';

let cluster: Cluster;
let h: Harness;
beforeAll(async () => {
  cluster = await startCluster('iam-policies');
  h = await cluster.harness();
  await h.iam.createUser({ UserName: 'ivy' });
  await h.iam.createGroup({ GroupName: 'crew' });
});
afterAll(async () => cluster?.stop());

const ADMIN_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** A valid identity policy of about `chars` non-whitespace characters. */
function sized(chars: number): string {
  const base = allow('s3:GetObject', 'arn:aws:s3:::b/');
  const pad = 'x'.repeat(chars - base.length);
  return allow('s3:GetObject', `arn:aws:s3:::b/${pad}`);
}

describe('inline policies', () => {
  it('put, get (URL-encoded document, as AWS returns it), list, replace and delete', async () => {
    const doc = JSON.stringify(
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::b/*' }],
      },
      null,
      2,
    );
    await h.iam.putPrincipalPolicy('User', 'ivy', { PolicyName: 'read', PolicyDocument: doc });
    const got = await h.iam.getPrincipalPolicy('User', 'IVY', { PolicyName: 'read' });
    expect(got.PolicyDocument).toBe(encodeURIComponent(doc));
    expect(got.PolicyDocument).toContain('%0A%20%20%22Version%22');
    expect(decodeURIComponent(got.PolicyDocument)).toBe(doc);
    expect((await h.iam.listPrincipalPolicies('User', 'ivy')).PolicyNames).toEqual(['read']);

    await h.iam.putPrincipalPolicy('User', 'ivy', { PolicyName: 'read', PolicyDocument: allow('s3:List*') });
    expect(
      decodeURIComponent(
        (await h.iam.getPrincipalPolicy('User', 'ivy', { PolicyName: 'read' })).PolicyDocument,
      ),
    ).toBe(allow('s3:List*'));
    await h.iam.deletePrincipalPolicy('User', 'ivy', { PolicyName: 'read' });
    const e = await awsError(h.iam.getPrincipalPolicy('User', 'ivy', { PolicyName: 'read' }), 'NoSuchEntity');
    expect(e.message).toBe('The user policy with name read cannot be found.');
    await awsError(h.iam.deletePrincipalPolicy('User', 'ivy', { PolicyName: 'read' }), 'NoSuchEntity');
    await awsError(
      h.iam.putPrincipalPolicy('Role', 'no-role', { PolicyName: 'p', PolicyDocument: allow('s3:*') }),
      'NoSuchEntity',
    );
  });

  it('a malformed document is MalformedPolicyDocument (400) whose message carries the JSON path', async () => {
    const bad = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:*', Resource: '*' },
        { Effect: 'Maybe', Action: 's3:*', Resource: '*' },
      ],
    });
    const e = await awsError(
      h.iam.putPrincipalPolicy('User', 'ivy', { PolicyName: 'p', PolicyDocument: bad }),
      'MalformedPolicyDocument',
    );
    expect(e.spec.http).toBe(400);
    expect(e.message).toContain('Statement[1].Effect');
    const principal = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }],
    });
    expect(
      (
        await awsError(
          h.iam.putPrincipalPolicy('User', 'ivy', { PolicyName: 'p', PolicyDocument: principal }),
          'MalformedPolicyDocument',
        )
      ).message,
    ).toContain('Statement[0]');
    await awsError(
      h.iam.putPrincipalPolicy('User', 'ivy', { PolicyName: 'p', PolicyDocument: 'not json' }),
      'MalformedPolicyDocument',
    );
    await awsError(
      h.iam.putPrincipalPolicy('User', 'ivy', { PolicyName: 'bad name', PolicyDocument: allow('s3:*') }),
      'ValidationError',
    );
    expect((await h.iam.listPrincipalPolicies('User', 'ivy')).PolicyNames).toEqual([]);
  });

  it('size quotas depend on the principal kind: 2048 for a user, 5120 for a group, 10240 for a role (white space not counted)', async () => {
    const doc3000 = sized(3000);
    const e = await awsError(
      h.iam.putPrincipalPolicy('User', 'ivy', { PolicyName: 'big', PolicyDocument: doc3000 }),
      'LimitExceeded',
    );
    expect(e.message).toBe('Maximum policy size of 2048 bytes exceeded for user ivy');
    await h.iam.putPrincipalPolicy('Group', 'crew', { PolicyName: 'big', PolicyDocument: doc3000 });
    await awsError(
      h.iam.putPrincipalPolicy('Group', 'crew', { PolicyName: 'bigger', PolicyDocument: sized(6000) }),
      'LimitExceeded',
    );
    // Indentation does not count towards the quota.
    const indented = JSON.stringify(JSON.parse(sized(2000)), null, 8);
    expect(indented.length).toBeGreaterThan(2048);
    await h.iam.putPrincipalPolicy('User', 'ivy', { PolicyName: 'indented', PolicyDocument: indented });
  });
});

describe('managed policies', () => {
  it('create (ANPA id, v1 default), get, list by scope, case-insensitive names', async () => {
    const { Policy } = await h.iam.createPolicy({
      PolicyName: 'ReadOnly',
      PolicyDocument: allow('s3:Get*'),
      Path: '/app/',
      Description: 'ro',
    });
    expect(Policy).toMatchObject({
      PolicyName: 'ReadOnly',
      Arn: 'arn:aws:iam::123456789012:policy/app/ReadOnly',
      DefaultVersionId: 'v1',
      AttachmentCount: 0,
      IsAttachable: true,
      Description: 'ro',
    });
    expect(Policy.PolicyId).toMatch(/^ANPA[A-Z0-9]{17}$/);
    await awsError(
      h.iam.createPolicy({ PolicyName: 'readonly', PolicyDocument: allow('s3:*') }),
      'EntityAlreadyExists',
    );
    expect((await h.iam.getPolicy({ PolicyArn: Policy.Arn })).Policy).toEqual(Policy);
    const local = (await h.iam.listPolicies({ Scope: 'Local' })).Policies.map((p) => p.PolicyName);
    expect(local).toContain('ReadOnly');
    expect(local).not.toContain('AdministratorAccess');
    expect((await h.iam.listPolicies({ Scope: 'AWS' })).Policies.map((p) => p.Arn)).toEqual([ADMIN_ARN]);
    await awsError(h.iam.createPolicy({ PolicyName: 'big', PolicyDocument: sized(7000) }), 'LimitExceeded');
    await awsError(h.iam.getPolicy({ PolicyArn: 'arn:aws:iam::123456789012:policy/none' }), 'NoSuchEntity');
    await awsError(h.iam.getPolicy({ PolicyArn: 'arn:aws:s3:::bucket-name-long' }), 'InvalidInput');
  });

  it('versions: at most 5 (LimitExceeded), the default cannot be deleted (DeleteConflict), numbers are never reused', async () => {
    const { Policy } = await h.iam.createPolicy({
      PolicyName: 'versioned',
      PolicyDocument: allow('s3:GetObject'),
    });
    for (let i = 2; i <= 5; i++) {
      const { PolicyVersion } = await h.iam.createPolicyVersion({
        PolicyArn: Policy.Arn,
        PolicyDocument: allow(`s3:Get${i}`),
      });
      expect(PolicyVersion).toMatchObject({ VersionId: `v${i}`, IsDefaultVersion: false });
    }
    const e = await awsError(
      h.iam.createPolicyVersion({ PolicyArn: Policy.Arn, PolicyDocument: allow('s3:*') }),
      'LimitExceeded',
    );
    expect(e.message).toContain('up to 5 versions');

    expect(
      (
        await awsError(
          h.iam.deletePolicyVersion({ PolicyArn: Policy.Arn, VersionId: 'v1' }),
          'DeleteConflict',
        )
      ).message,
    ).toBe('Cannot delete the default version of a policy.');
    await h.iam.deletePolicyVersion({ PolicyArn: Policy.Arn, VersionId: 'v2' });
    const v6 = await h.iam.createPolicyVersion({
      PolicyArn: Policy.Arn,
      PolicyDocument: allow('s3:Put*'),
      SetAsDefault: true,
    });
    expect(v6.PolicyVersion).toMatchObject({ VersionId: 'v6', IsDefaultVersion: true });
    expect(decodeURIComponent(v6.PolicyVersion.Document)).toBe(allow('s3:Put*'));
    expect((await h.iam.getPolicy({ PolicyArn: Policy.Arn })).Policy.DefaultVersionId).toBe('v6');

    const listed = (await h.iam.listPolicyVersions({ PolicyArn: Policy.Arn })).Versions;
    expect(listed.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual([
      ['v6', true],
      ['v5', false],
      ['v4', false],
      ['v3', false],
      ['v1', false],
    ]);
    expect(listed[0]).not.toHaveProperty('Document');

    await h.iam.setDefaultPolicyVersion({ PolicyArn: Policy.Arn, VersionId: 'v3' });
    const v3 = (await h.iam.getPolicyVersion({ PolicyArn: Policy.Arn, VersionId: 'v3' })).PolicyVersion;
    expect(v3).toMatchObject({ IsDefaultVersion: true, Document: encodeURIComponent(allow('s3:Get3')) });
    await awsError(h.iam.getPolicyVersion({ PolicyArn: Policy.Arn, VersionId: 'v2' }), 'NoSuchEntity');
    await awsError(h.iam.setDefaultPolicyVersion({ PolicyArn: Policy.Arn, VersionId: 'v9' }), 'NoSuchEntity');
    await awsError(
      h.iam.getPolicyVersion({ PolicyArn: Policy.Arn, VersionId: 'version2' }),
      'ValidationError',
    );
  });

  it('deletePolicy: DeleteConflict while attached, then while it has non-default versions', async () => {
    const { Policy } = await h.iam.createPolicy({ PolicyName: 'doomed', PolicyDocument: allow('s3:*') });
    await h.iam.createPolicyVersion({ PolicyArn: Policy.Arn, PolicyDocument: allow('s3:Get*') });
    await h.iam.attachPrincipalPolicy('User', 'ivy', { PolicyArn: Policy.Arn });
    await h.iam.attachPrincipalPolicy('User', 'ivy', { PolicyArn: Policy.Arn }); // attaching twice is no error
    expect((await h.iam.getPolicy({ PolicyArn: Policy.Arn })).Policy.AttachmentCount).toBe(1);
    expect((await h.iam.listAttachedPrincipalPolicies('User', 'ivy')).AttachedPolicies).toEqual([
      { PolicyName: 'doomed', PolicyArn: Policy.Arn },
    ]);
    expect(
      (await h.iam.listPolicies({ OnlyAttached: true, Scope: 'Local' })).Policies.map((p) => p.PolicyName),
    ).toEqual(['doomed']);

    expect((await awsError(h.iam.deletePolicy({ PolicyArn: Policy.Arn }), 'DeleteConflict')).message).toBe(
      'Cannot delete a policy attached to entities.',
    );
    await h.iam.detachPrincipalPolicy('User', 'ivy', { PolicyArn: Policy.Arn });
    await awsError(h.iam.detachPrincipalPolicy('User', 'ivy', { PolicyArn: Policy.Arn }), 'NoSuchEntity');
    expect(
      (await awsError(h.iam.deletePolicy({ PolicyArn: Policy.Arn }), 'DeleteConflict')).message,
    ).toContain("must delete the policy's versions");
    await h.iam.deletePolicyVersion({ PolicyArn: Policy.Arn, VersionId: 'v2' });
    await h.iam.deletePolicy({ PolicyArn: Policy.Arn });
    await awsError(h.iam.getPolicy({ PolicyArn: Policy.Arn }), 'NoSuchEntity');
  });

  it('AdministratorAccess exists from the start, can be attached, and cannot be changed or deleted', async () => {
    const admin = (await h.iam.getPolicy({ PolicyArn: ADMIN_ARN })).Policy;
    expect(admin).toMatchObject({
      PolicyName: 'AdministratorAccess',
      PolicyId: 'ANPAIWMBCKSKIEE64ZLYK',
      DefaultVersionId: 'v1',
    });
    const v1 = (await h.iam.getPolicyVersion({ PolicyArn: ADMIN_ARN, VersionId: 'v1' })).PolicyVersion;
    expect(JSON.parse(decodeURIComponent(v1.Document))).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    });
    await h.iam.attachPrincipalPolicy('Group', 'crew', { PolicyArn: ADMIN_ARN });
    await awsError(
      h.iam.createPolicyVersion({ PolicyArn: ADMIN_ARN, PolicyDocument: allow('s3:*') }),
      'InvalidInput',
    );
    await awsError(h.iam.deletePolicy({ PolicyArn: ADMIN_ARN }), 'InvalidInput');
    // A customer policy may share an AWS-managed name: they live in different namespaces.
    await h.iam.createPolicy({ PolicyName: 'AdministratorAccess', PolicyDocument: allow('s3:*') });
  });

  it('attaching an unknown policy is NoSuchEntity; more than 10 attachments is LimitExceeded', async () => {
    await awsError(
      h.iam.attachPrincipalPolicy('User', 'ivy', { PolicyArn: 'arn:aws:iam::123456789012:policy/ghost' }),
      'NoSuchEntity',
    );
    await h.iam.createUser({ UserName: 'collector' });
    for (let i = 0; i < 10; i++) {
      const { Policy } = await h.iam.createPolicy({ PolicyName: `c${i}`, PolicyDocument: allow('s3:*') });
      await h.iam.attachPrincipalPolicy('User', 'collector', { PolicyArn: Policy.Arn });
    }
    await awsError(
      h.iam.attachPrincipalPolicy('User', 'collector', { PolicyArn: ADMIN_ARN }),
      'LimitExceeded',
    );
  });
});
