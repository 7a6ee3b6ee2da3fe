// Every IAM action Gatehouse stores, through the real gateway with the AWS SDK: AWS's shapes and AWS's error codes.
import * as c from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { errorName, type Keys, sdkClients } from './support/iam-clients.js';

const doc = (action: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
const trust = (account: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' },
    ],
  });

describe('the complete IAM API with the AWS SDK', () => {
  let t: TestGateway;
  let account: string;
  let iam: c.IAMClient;
  let clients: Awaited<ReturnType<typeof sdkClients>>;

  beforeAll(async () => {
    t = await startTestGateway();
    account = t.gateway.account.accountId;
    clients = await sdkClients(t);
    iam = clients.iam(t.gateway.bootstrapKey as Keys);
  });
  afterAll(async () => t?.stop());

  it('users: UpdateUser renames and moves (its key signs as the new ARN), tags, boundary, DeleteConflict', async () => {
    await iam.send(new c.CreateUserCommand({ UserName: 'ua', Path: '/eng/' }));
    const key = (await iam.send(new c.CreateAccessKeyCommand({ UserName: 'ua' }))).AccessKey as c.AccessKey;
    await iam.send(new c.CreateUserCommand({ UserName: 'taken' }));
    expect(await errorName(iam.send(new c.UpdateUserCommand({ UserName: 'ua', NewUserName: 'TAKEN' })))).toBe(
      'EntityAlreadyExistsException',
    );
    await iam.send(new c.UpdateUserCommand({ UserName: 'ua', NewUserName: 'ub', NewPath: '/ops/' }));
    expect((await iam.send(new c.GetUserCommand({ UserName: 'ub' }))).User?.Arn).toBe(
      `arn:aws:iam::${account}:user/ops/ub`,
    );
    expect(await errorName(iam.send(new c.GetUserCommand({ UserName: 'ua' })))).toBe('NoSuchEntityException');
    const asUb = { accessKeyId: key.AccessKeyId as string, secretAccessKey: key.SecretAccessKey as string };
    expect((await clients.sts(asUb).send(new GetCallerIdentityCommand({}))).Arn).toBe(
      `arn:aws:iam::${account}:user/ops/ub`,
    );

    await iam.send(
      new c.TagUserCommand({
        UserName: 'ub',
        Tags: [
          { Key: 'team', Value: 'db' },
          { Key: 'env', Value: 'prod' },
        ],
      }),
    );
    expect((await iam.send(new c.ListUserTagsCommand({ UserName: 'ub' }))).Tags).toEqual([
      { Key: 'team', Value: 'db' },
      { Key: 'env', Value: 'prod' },
    ]);
    await iam.send(new c.UntagUserCommand({ UserName: 'ub', TagKeys: ['TEAM'] }));
    const tags = await iam.send(new c.ListUserTagsCommand({ UserName: 'ub' }));
    expect(tags).toMatchObject({ Tags: [{ Key: 'env', Value: 'prod' }], IsTruncated: false });

    const boundary = (
      await iam.send(new c.CreatePolicyCommand({ PolicyName: 'bound', PolicyDocument: doc('s3:*') }))
    ).Policy?.Arn as string;
    await iam.send(
      new c.PutUserPermissionsBoundaryCommand({ UserName: 'ub', PermissionsBoundary: boundary }),
    );
    expect((await iam.send(new c.GetUserCommand({ UserName: 'ub' }))).User?.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: 'Policy',
      PermissionsBoundaryArn: boundary,
    });
    expect(await errorName(iam.send(new c.DeletePolicyCommand({ PolicyArn: boundary })))).toBe(
      'DeleteConflictException',
    );
    await iam.send(new c.DeleteUserPermissionsBoundaryCommand({ UserName: 'ub' }));
    expect(
      (await iam.send(new c.GetUserCommand({ UserName: 'ub' }))).User?.PermissionsBoundary,
    ).toBeUndefined();

    expect(await errorName(iam.send(new c.DeleteUserCommand({ UserName: 'ub' })))).toBe(
      'DeleteConflictException',
    );
    await iam.send(new c.CreateAccessKeyCommand({ UserName: 'ub' }));
    expect(await errorName(iam.send(new c.CreateAccessKeyCommand({ UserName: 'ub' })))).toBe(
      'LimitExceededException',
    );
  });

  it('groups: GetGroup with members, ListGroups, ListGroupsForUser, UpdateGroup, DeleteGroup (DeleteConflict first)', async () => {
    await iam.send(new c.CreateUserCommand({ UserName: 'gm' }));
    await iam.send(new c.CreateGroupCommand({ GroupName: 'ga', Path: '/teams/' }));
    await iam.send(new c.AddUserToGroupCommand({ GroupName: 'ga', UserName: 'gm' }));
    const got = await iam.send(new c.GetGroupCommand({ GroupName: 'ga' }));
    expect(got.Group?.Arn).toBe(`arn:aws:iam::${account}:group/teams/ga`);
    expect(got.Users?.map((u) => u.UserName)).toEqual(['gm']);
    expect(got.IsTruncated).toBe(false);
    expect(
      (await iam.send(new c.ListGroupsCommand({ PathPrefix: '/teams/' }))).Groups?.map((g) => g.GroupName),
    ).toEqual(['ga']);
    expect((await iam.send(new c.ListGroupsCommand({ PathPrefix: '/other/' }))).Groups).toEqual([]);
    await iam.send(new c.UpdateGroupCommand({ GroupName: 'ga', NewGroupName: 'gb', NewPath: '/squads/' }));
    const forUser = await iam.send(new c.ListGroupsForUserCommand({ UserName: 'gm' }));
    expect(forUser.Groups?.map((g) => g.Arn)).toEqual([`arn:aws:iam::${account}:group/squads/gb`]);
    expect(await errorName(iam.send(new c.DeleteGroupCommand({ GroupName: 'gb' })))).toBe(
      'DeleteConflictException',
    );
    await iam.send(new c.RemoveUserFromGroupCommand({ GroupName: 'gb', UserName: 'gm' }));
    await iam.send(new c.DeleteGroupCommand({ GroupName: 'gb' }));
    expect(await errorName(iam.send(new c.GetGroupCommand({ GroupName: 'gb' })))).toBe(
      'NoSuchEntityException',
    );
    expect(await errorName(iam.send(new c.DeleteGroupCommand({ GroupName: 'gb' })))).toBe(
      'NoSuchEntityException',
    );
  });

  it('roles: ListRoles, UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy, tags, boundary', async () => {
    await iam.send(new c.CreateRoleCommand({ RoleName: 'ra', AssumeRolePolicyDocument: trust(account) }));
    expect((await iam.send(new c.ListRolesCommand({}))).Roles?.map((r) => r.RoleName)).toContain('ra');
    await iam.send(
      new c.UpdateRoleCommand({ RoleName: 'ra', Description: 'app role', MaxSessionDuration: 7200 }),
    );
    expect((await iam.send(new c.GetRoleCommand({ RoleName: 'ra' }))).Role).toMatchObject({
      Description: 'app role',
      MaxSessionDuration: 7200,
    });
    expect(
      await errorName(iam.send(new c.UpdateRoleCommand({ RoleName: 'ra', MaxSessionDuration: 60 }))),
    ).toBe('ValidationError');
    const described = await iam.send(
      new c.UpdateRoleDescriptionCommand({ RoleName: 'ra', Description: 'new' }),
    );
    expect(described.Role).toMatchObject({ RoleName: 'ra', Description: 'new' });
    expect(
      await errorName(
        iam.send(new c.UpdateAssumeRolePolicyCommand({ RoleName: 'ra', PolicyDocument: '{"nope"' })),
      ),
    ).toBe('MalformedPolicyDocumentException');
    const newTrust = trust('210987654321');
    await iam.send(new c.UpdateAssumeRolePolicyCommand({ RoleName: 'ra', PolicyDocument: newTrust }));
    const role = (await iam.send(new c.GetRoleCommand({ RoleName: 'ra' }))).Role as c.Role;
    expect(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument as string))).toEqual(
      JSON.parse(newTrust),
    );
    await iam.send(new c.TagRoleCommand({ RoleName: 'ra', Tags: [{ Key: 'tier', Value: 'web' }] }));
    expect((await iam.send(new c.ListRoleTagsCommand({ RoleName: 'ra' }))).Tags).toEqual([
      { Key: 'tier', Value: 'web' },
    ]);
    await iam.send(new c.UntagRoleCommand({ RoleName: 'ra', TagKeys: ['tier'] }));
    expect((await iam.send(new c.ListRoleTagsCommand({ RoleName: 'ra' }))).Tags).toEqual([]);
    const b = (await iam.send(new c.CreatePolicyCommand({ PolicyName: 'rb', PolicyDocument: doc('s3:*') })))
      .Policy?.Arn as string;
    await iam.send(new c.PutRolePermissionsBoundaryCommand({ RoleName: 'ra', PermissionsBoundary: b }));
    expect(
      (await iam.send(new c.GetRoleCommand({ RoleName: 'ra' }))).Role?.PermissionsBoundary
        ?.PermissionsBoundaryArn,
    ).toBe(b);
    await iam.send(new c.DeleteRolePermissionsBoundaryCommand({ RoleName: 'ra' }));
    expect(
      (await iam.send(new c.GetRoleCommand({ RoleName: 'ra' }))).Role?.PermissionsBoundary,
    ).toBeUndefined();
  });

  it('managed policies: get, list, versions (5 at most, default undeletable), entities, DeleteConflict', async () => {
    const arn = (
      await iam.send(
        new c.CreatePolicyCommand({ PolicyName: 'pm', Path: '/app/', PolicyDocument: doc('s3:Get*') }),
      )
    ).Policy?.Arn as string;
    expect(arn).toBe(`arn:aws:iam::${account}:policy/app/pm`);
    expect((await iam.send(new c.GetPolicyCommand({ PolicyArn: arn }))).Policy).toMatchObject({
      PolicyName: 'pm',
      DefaultVersionId: 'v1',
      AttachmentCount: 0,
      IsAttachable: true,
    });
    const local = await iam.send(new c.ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/app/' }));
    expect(local.Policies?.map((p) => p.Arn)).toEqual([arn]);
    const aws = await iam.send(new c.ListPoliciesCommand({ Scope: 'AWS' }));
    expect(aws.Policies?.map((p) => p.PolicyName)).toEqual(['AdministratorAccess']);

    const v2 = await iam.send(
      new c.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('s3:*'), SetAsDefault: true }),
    );
    expect(v2.PolicyVersion).toMatchObject({ VersionId: 'v2', IsDefaultVersion: true });
    const got = await iam.send(new c.GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));
    expect(JSON.parse(decodeURIComponent(got.PolicyVersion?.Document as string))).toEqual(
      JSON.parse(doc('s3:*')),
    );
    expect(
      (await iam.send(new c.ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions?.map((v) => [
        v.VersionId,
        v.IsDefaultVersion,
      ]),
    ).toEqual([
      ['v2', true],
      ['v1', false],
    ]);
    await iam.send(new c.SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    expect(
      await errorName(iam.send(new c.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }))),
    ).toBe('DeleteConflictException');
    for (let i = 0; i < 3; i++)
      await iam.send(new c.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('s3:*') }));
    expect(
      await errorName(
        iam.send(new c.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('s3:*') })),
      ),
    ).toBe('LimitExceededException');
    expect(await errorName(iam.send(new c.DeletePolicyCommand({ PolicyArn: arn })))).toBe(
      'DeleteConflictException',
    );
    for (const v of ['v2', 'v3', 'v4', 'v5'])
      await iam.send(new c.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    expect(
      await errorName(iam.send(new c.GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }))),
    ).toBe('NoSuchEntityException');

    await iam.send(new c.CreateUserCommand({ UserName: 'pu' }));
    await iam.send(new c.CreateGroupCommand({ GroupName: 'pg' }));
    await iam.send(new c.CreateRoleCommand({ RoleName: 'pr', AssumeRolePolicyDocument: trust(account) }));
    await iam.send(new c.AttachUserPolicyCommand({ UserName: 'pu', PolicyArn: arn }));
    await iam.send(new c.AttachGroupPolicyCommand({ GroupName: 'pg', PolicyArn: arn }));
    await iam.send(new c.AttachRolePolicyCommand({ RoleName: 'pr', PolicyArn: arn }));
    const entities = await iam.send(new c.ListEntitiesForPolicyCommand({ PolicyArn: arn }));
    expect(entities.PolicyUsers?.map((u) => u.UserName)).toEqual(['pu']);
    expect(entities.PolicyGroups?.map((g) => g.GroupName)).toEqual(['pg']);
    expect(entities.PolicyRoles?.map((r) => r.RoleName)).toEqual(['pr']);
    expect(entities.PolicyUsers?.[0]?.UserId).toMatch(/^AIDA/);
    const onlyRoles = await iam.send(
      new c.ListEntitiesForPolicyCommand({ PolicyArn: arn, EntityFilter: 'Role' }),
    );
    expect([onlyRoles.PolicyUsers, onlyRoles.PolicyGroups, onlyRoles.PolicyRoles?.length]).toEqual([
      [],
      [],
      1,
    ]);
    expect(
      (await iam.send(new c.ListAttachedUserPoliciesCommand({ UserName: 'pu', PathPrefix: '/app/' })))
        .AttachedPolicies,
    ).toEqual([{ PolicyName: 'pm', PolicyArn: arn }]);
    expect(
      (await iam.send(new c.ListAttachedUserPoliciesCommand({ UserName: 'pu', PathPrefix: '/other/' })))
        .AttachedPolicies,
    ).toEqual([]);
    expect((await iam.send(new c.GetPolicyCommand({ PolicyArn: arn }))).Policy?.AttachmentCount).toBe(3);
    expect(await errorName(iam.send(new c.DeletePolicyCommand({ PolicyArn: arn })))).toBe(
      'DeleteConflictException',
    );
    expect(await errorName(iam.send(new c.DeleteRoleCommand({ RoleName: 'pr' })))).toBe(
      'DeleteConflictException',
    );
    expect(await errorName(iam.send(new c.DeleteGroupCommand({ GroupName: 'pg' })))).toBe(
      'DeleteConflictException',
    );
    await iam.send(new c.DetachUserPolicyCommand({ UserName: 'pu', PolicyArn: arn }));
    await iam.send(new c.DetachGroupPolicyCommand({ GroupName: 'pg', PolicyArn: arn }));
    await iam.send(new c.DetachRolePolicyCommand({ RoleName: 'pr', PolicyArn: arn }));
    await iam.send(new c.DeletePolicyCommand({ PolicyArn: arn }));
    expect(await errorName(iam.send(new c.GetPolicyCommand({ PolicyArn: arn })))).toBe(
      'NoSuchEntityException',
    );
    expect(
      await errorName(
        iam.send(new c.DeletePolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' })),
      ),
    ).toBe('InvalidInputException');
  });

  it('GetAccountAuthorizationDetails lists every entity with its inline, attached and group details', async () => {
    await iam.send(new c.CreateUserCommand({ UserName: 'du', Tags: [{ Key: 'k', Value: 'v' }] }));
    await iam.send(
      new c.PutUserPolicyCommand({ UserName: 'du', PolicyName: 'inl', PolicyDocument: doc('s3:List*') }),
    );
    await iam.send(new c.CreateGroupCommand({ GroupName: 'dg' }));
    await iam.send(new c.AddUserToGroupCommand({ GroupName: 'dg', UserName: 'du' }));
    const arn = (await iam.send(new c.CreatePolicyCommand({ PolicyName: 'dp', PolicyDocument: doc('s3:*') })))
      .Policy?.Arn as string;
    await iam.send(new c.AttachGroupPolicyCommand({ GroupName: 'dg', PolicyArn: arn }));

    const all = await iam.send(new c.GetAccountAuthorizationDetailsCommand({}));
    expect(all.IsTruncated).toBe(false);
    const du = all.UserDetailList?.find((u) => u.UserName === 'du');
    expect(du).toMatchObject({
      GroupList: ['dg'],
      Tags: [{ Key: 'k', Value: 'v' }],
      AttachedManagedPolicies: [],
    });
    expect(
      du?.UserPolicyList?.map((p) => [p.PolicyName, JSON.parse(decodeURIComponent(p.PolicyDocument ?? ''))]),
    ).toEqual([['inl', JSON.parse(doc('s3:List*'))]]);
    expect(all.GroupDetailList?.find((g) => g.GroupName === 'dg')?.AttachedManagedPolicies).toEqual([
      { PolicyName: 'dp', PolicyArn: arn },
    ]);
    const dp = all.Policies?.find((p) => p.Arn === arn);
    expect(dp).toMatchObject({
      AttachmentCount: 1,
      DefaultVersionId: 'v1',
      PermissionsBoundaryUsageCount: 0,
    });
    expect(dp?.PolicyVersionList?.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual([['v1', true]]);
    expect(all.RoleDetailList?.map((r) => r.RoleName)).toContain('ra');

    const onlyGroups = await iam.send(new c.GetAccountAuthorizationDetailsCommand({ Filter: ['Group'] }));
    expect(onlyGroups.UserDetailList).toEqual([]);
    expect(onlyGroups.Policies).toEqual([]);
    expect(onlyGroups.GroupDetailList?.map((g) => g.GroupName)).toContain('dg');
  });

  it('an inline policy beyond the aggregate user quota is refused with LimitExceeded', async () => {
    await iam.send(new c.CreateUserCommand({ UserName: 'big' }));
    const stmt = (n: number) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${'b'.repeat(n)}/*` }],
      });
    await iam.send(
      new c.PutUserPolicyCommand({ UserName: 'big', PolicyName: 'one', PolicyDocument: stmt(1200) }),
    );
    expect(
      await errorName(
        iam.send(
          new c.PutUserPolicyCommand({ UserName: 'big', PolicyName: 'two', PolicyDocument: stmt(1200) }),
        ),
      ),
    ).toBe('LimitExceededException');
    // Replacing the same policy counts its new size only.
    await iam.send(
      new c.PutUserPolicyCommand({ UserName: 'big', PolicyName: 'one', PolicyDocument: stmt(1500) }),
    );
  });
});
