// Every management action is authorised by policy: a principal without permissions is refused each one,
// and the bootstrap admin (AdministratorAccess) may call each one.
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import * as iamSdk from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IAM_ACTIONS } from '../../../src/api/query/actions-iam.js';
import { createApiClient } from '../../../src/cli/api-client.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

type Keys = { accessKeyId: string; secretAccessKey: string };
type Send = (client: iamSdk.IAMClient) => Promise<unknown>;

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
});
const TRUST = (account: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' },
    ],
  });

/** One call per IAM action, each on its own names so the admin run can execute them all in order. */
function iamCalls(account: string, n: string): Array<[string, Send]> {
  const c = iamSdk;
  const user = `u${n}`;
  const group = `g${n}`;
  const role = `r${n}`;
  const policyArn = `arn:aws:iam::${account}:policy/p${n}`;
  return [
    ['CreateUser', (x) => x.send(new c.CreateUserCommand({ UserName: user }))],
    ['GetUser', (x) => x.send(new c.GetUserCommand({ UserName: user }))],
    ['ListUsers', (x) => x.send(new c.ListUsersCommand({}))],
    ['TagUser', (x) => x.send(new c.TagUserCommand({ UserName: user, Tags: [{ Key: 'k', Value: 'v' }] }))],
    ['CreateAccessKey', (x) => x.send(new c.CreateAccessKeyCommand({ UserName: user }))],
    ['ListAccessKeys', (x) => x.send(new c.ListAccessKeysCommand({ UserName: user }))],
    ['CreateGroup', (x) => x.send(new c.CreateGroupCommand({ GroupName: group }))],
    ['AddUserToGroup', (x) => x.send(new c.AddUserToGroupCommand({ GroupName: group, UserName: user }))],
    [
      'RemoveUserFromGroup',
      (x) => x.send(new c.RemoveUserFromGroupCommand({ GroupName: group, UserName: user })),
    ],
    [
      'CreateRole',
      (x) => x.send(new c.CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST(account) })),
    ],
    ['GetRole', (x) => x.send(new c.GetRoleCommand({ RoleName: role }))],
    [
      'PutUserPolicy',
      (x) => x.send(new c.PutUserPolicyCommand({ UserName: user, PolicyName: 'i', PolicyDocument: POLICY })),
    ],
    ['GetUserPolicy', (x) => x.send(new c.GetUserPolicyCommand({ UserName: user, PolicyName: 'i' }))],
    ['ListUserPolicies', (x) => x.send(new c.ListUserPoliciesCommand({ UserName: user }))],
    ['DeleteUserPolicy', (x) => x.send(new c.DeleteUserPolicyCommand({ UserName: user, PolicyName: 'i' }))],
    [
      'PutGroupPolicy',
      (x) =>
        x.send(new c.PutGroupPolicyCommand({ GroupName: group, PolicyName: 'i', PolicyDocument: POLICY })),
    ],
    ['GetGroupPolicy', (x) => x.send(new c.GetGroupPolicyCommand({ GroupName: group, PolicyName: 'i' }))],
    ['ListGroupPolicies', (x) => x.send(new c.ListGroupPoliciesCommand({ GroupName: group }))],
    [
      'DeleteGroupPolicy',
      (x) => x.send(new c.DeleteGroupPolicyCommand({ GroupName: group, PolicyName: 'i' })),
    ],
    [
      'PutRolePolicy',
      (x) => x.send(new c.PutRolePolicyCommand({ RoleName: role, PolicyName: 'i', PolicyDocument: POLICY })),
    ],
    ['GetRolePolicy', (x) => x.send(new c.GetRolePolicyCommand({ RoleName: role, PolicyName: 'i' }))],
    ['ListRolePolicies', (x) => x.send(new c.ListRolePoliciesCommand({ RoleName: role }))],
    ['DeleteRolePolicy', (x) => x.send(new c.DeleteRolePolicyCommand({ RoleName: role, PolicyName: 'i' }))],
    [
      'CreatePolicy',
      (x) => x.send(new c.CreatePolicyCommand({ PolicyName: `p${n}`, PolicyDocument: POLICY })),
    ],
    [
      'CreatePolicyVersion',
      (x) => x.send(new c.CreatePolicyVersionCommand({ PolicyArn: policyArn, PolicyDocument: POLICY })),
    ],
    [
      'AttachUserPolicy',
      (x) => x.send(new c.AttachUserPolicyCommand({ UserName: user, PolicyArn: policyArn })),
    ],
    ['ListAttachedUserPolicies', (x) => x.send(new c.ListAttachedUserPoliciesCommand({ UserName: user }))],
    [
      'DetachUserPolicy',
      (x) => x.send(new c.DetachUserPolicyCommand({ UserName: user, PolicyArn: policyArn })),
    ],
    [
      'AttachGroupPolicy',
      (x) => x.send(new c.AttachGroupPolicyCommand({ GroupName: group, PolicyArn: policyArn })),
    ],
    [
      'ListAttachedGroupPolicies',
      (x) => x.send(new c.ListAttachedGroupPoliciesCommand({ GroupName: group })),
    ],
    [
      'DetachGroupPolicy',
      (x) => x.send(new c.DetachGroupPolicyCommand({ GroupName: group, PolicyArn: policyArn })),
    ],
    [
      'AttachRolePolicy',
      (x) => x.send(new c.AttachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn })),
    ],
    ['ListAttachedRolePolicies', (x) => x.send(new c.ListAttachedRolePoliciesCommand({ RoleName: role }))],
    [
      'DetachRolePolicy',
      (x) => x.send(new c.DetachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn })),
    ],
    [
      'SimulatePrincipalPolicy',
      (x) =>
        x.send(
          new c.SimulatePrincipalPolicyCommand({
            PolicySourceArn: `arn:aws:iam::${account}:user/${user}`,
            ActionNames: ['s3:GetObject'],
          }),
        ),
    ],
    [
      'SimulateCustomPolicy',
      (x) =>
        x.send(
          new c.SimulateCustomPolicyCommand({ PolicyInputList: [POLICY], ActionNames: ['s3:GetObject'] }),
        ),
    ],
    ...laterIamCalls(account, n),
    ['DeleteRole', (x) => x.send(new c.DeleteRoleCommand({ RoleName: role }))],
    ['DeleteUser', (x) => x.send(new c.DeleteUserCommand({ UserName: `${user}-empty` }))],
  ];
}

/** The first access key of `user` as this caller sees it (a made-up id when it may not list them). */
async function firstKey(x: iamSdk.IAMClient, user: string): Promise<string> {
  const listed = await x.send(new iamSdk.ListAccessKeysCommand({ UserName: user })).catch(() => null);
  return listed?.AccessKeyMetadata?.[0]?.AccessKeyId ?? 'AKIAAAAAAAAAAAAAAAAA';
}

/** The actions of the complete IAM API (issue #13): gets, lists, updates, tags, boundaries, versions, deletes. */
function laterIamCalls(account: string, n: string): Array<[string, Send]> {
  const c = iamSdk;
  const user = `u${n}`;
  const group = `g${n}`;
  const role = `r${n}`;
  const policyArn = `arn:aws:iam::${account}:policy/p${n}`;
  const tags = [{ Key: 'k', Value: 'v' }];
  return [
    ['UpdateUser', (x) => x.send(new c.UpdateUserCommand({ UserName: user, NewPath: '/moved/' }))],
    ['UntagUser', (x) => x.send(new c.UntagUserCommand({ UserName: user, TagKeys: ['k'] }))],
    ['ListUserTags', (x) => x.send(new c.ListUserTagsCommand({ UserName: user }))],
    [
      'PutUserPermissionsBoundary',
      (x) =>
        x.send(new c.PutUserPermissionsBoundaryCommand({ UserName: user, PermissionsBoundary: policyArn })),
    ],
    [
      'DeleteUserPermissionsBoundary',
      (x) => x.send(new c.DeleteUserPermissionsBoundaryCommand({ UserName: user })),
    ],
    [
      'GetAccessKeyLastUsed',
      async (x) => x.send(new c.GetAccessKeyLastUsedCommand({ AccessKeyId: await firstKey(x, user) })),
    ],
    [
      'UpdateAccessKey',
      async (x) =>
        x.send(
          new c.UpdateAccessKeyCommand({
            UserName: user,
            AccessKeyId: await firstKey(x, user),
            Status: 'Inactive',
          }),
        ),
    ],
    [
      'DeleteAccessKey',
      async (x) =>
        x.send(new c.DeleteAccessKeyCommand({ UserName: user, AccessKeyId: await firstKey(x, user) })),
    ],
    ['GetGroup', (x) => x.send(new c.GetGroupCommand({ GroupName: group }))],
    ['ListGroups', (x) => x.send(new c.ListGroupsCommand({}))],
    ['ListGroupsForUser', (x) => x.send(new c.ListGroupsForUserCommand({ UserName: user }))],
    ['UpdateGroup', (x) => x.send(new c.UpdateGroupCommand({ GroupName: group, NewPath: '/moved/' }))],
    ['DeleteGroup', (x) => x.send(new c.DeleteGroupCommand({ GroupName: group }))],
    ['ListRoles', (x) => x.send(new c.ListRolesCommand({}))],
    ['UpdateRole', (x) => x.send(new c.UpdateRoleCommand({ RoleName: role, MaxSessionDuration: 7200 }))],
    [
      'UpdateRoleDescription',
      (x) => x.send(new c.UpdateRoleDescriptionCommand({ RoleName: role, Description: 'd' })),
    ],
    [
      'UpdateAssumeRolePolicy',
      (x) => x.send(new c.UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: TRUST(account) })),
    ],
    ['TagRole', (x) => x.send(new c.TagRoleCommand({ RoleName: role, Tags: tags }))],
    ['ListRoleTags', (x) => x.send(new c.ListRoleTagsCommand({ RoleName: role }))],
    ['UntagRole', (x) => x.send(new c.UntagRoleCommand({ RoleName: role, TagKeys: ['k'] }))],
    [
      'PutRolePermissionsBoundary',
      (x) =>
        x.send(new c.PutRolePermissionsBoundaryCommand({ RoleName: role, PermissionsBoundary: policyArn })),
    ],
    [
      'DeleteRolePermissionsBoundary',
      (x) => x.send(new c.DeleteRolePermissionsBoundaryCommand({ RoleName: role })),
    ],
    ['GetPolicy', (x) => x.send(new c.GetPolicyCommand({ PolicyArn: policyArn }))],
    ['ListPolicies', (x) => x.send(new c.ListPoliciesCommand({}))],
    [
      'GetPolicyVersion',
      (x) => x.send(new c.GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: 'v1' })),
    ],
    ['ListPolicyVersions', (x) => x.send(new c.ListPolicyVersionsCommand({ PolicyArn: policyArn }))],
    [
      'SetDefaultPolicyVersion',
      (x) => x.send(new c.SetDefaultPolicyVersionCommand({ PolicyArn: policyArn, VersionId: 'v2' })),
    ],
    [
      'DeletePolicyVersion',
      (x) => x.send(new c.DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: 'v1' })),
    ],
    ['ListEntitiesForPolicy', (x) => x.send(new c.ListEntitiesForPolicyCommand({ PolicyArn: policyArn }))],
    ['GetAccountAuthorizationDetails', (x) => x.send(new c.GetAccountAuthorizationDetailsCommand({}))],
    ['DeletePolicy', (x) => x.send(new c.DeletePolicyCommand({ PolicyArn: policyArn }))],
  ];
}

const JSON_ACTIONS: Array<[string, Record<string, unknown>]> = [
  ['DescribeDBInstances', {}],
  [
    'CreateDBInstance',
    {
      DBInstanceIdentifier: 'x',
      Engine: 'postgres',
      BackendUrl: 'postgres://a@127.0.0.1:1/x',
      Listen: '127.0.0.1:1',
    },
  ],
  ['ModifyDBInstance', { DBInstanceIdentifier: 'authz', ForceSsl: true }],
  ['DeleteDBInstance', { DBInstanceIdentifier: 'authz' }],
  ['CreateDBUser', { DBInstanceIdentifier: 'authz', Username: 'u', Auth: 'password' }],
  ['ListDBUsers', { DBInstanceIdentifier: 'authz' }],
  ['DeleteDBUser', { DBInstanceIdentifier: 'authz', Username: 'u' }],
  ['RotateDBUserPassword', { DBInstanceIdentifier: 'authz', Username: 'u', GraceSeconds: 0 }],
];

describe('authorization of every management action', () => {
  let t: TestGateway;
  let admin: Keys;
  let nobody: Keys;
  let agent: Agent;
  let account: string;
  const iamClient = (k: Keys) =>
    new iamSdk.IAMClient({
      endpoint: t.gateway.apiUrl,
      region: 'us-east-1',
      credentials: k,
      requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
      maxAttempts: 1,
    });

  beforeAll(async () => {
    t = await startTestGateway();
    await t.createInstance('authz');
    admin = t.gateway.bootstrapKey as Keys;
    account = t.gateway.account.accountId;
    agent = new Agent({ ca: await readFile(t.caFile, 'utf8') });
    const iam = iamClient(admin);
    await iam.send(new iamSdk.CreateUserCommand({ UserName: 'nobody' }));
    const key = await iam.send(new iamSdk.CreateAccessKeyCommand({ UserName: 'nobody' }));
    nobody = {
      accessKeyId: key.AccessKey?.AccessKeyId as string,
      secretAccessKey: key.AccessKey?.SecretAccessKey as string,
    };
  });
  afterAll(async () => t?.stop());

  it('the IAM calls below cover every action of the IAM Query API, each once', () => {
    const names = iamCalls(account, 'x').map(([action]) => action);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...IAM_ACTIONS.keys()].sort());
  });

  it('a user with no policies gets AccessDenied for every IAM action', async () => {
    const refused: string[] = [];
    for (const [action, send] of iamCalls(account, 'x')) {
      const name = await send(iamClient(nobody)).then(
        () => 'allowed',
        (e: Error) => e.name,
      );
      if (name === 'AccessDenied') refused.push(action);
      else expect.soft(name, action).toBe('AccessDenied');
    }
    expect(refused).toHaveLength(iamCalls(account, 'x').length);
  });

  it('a user with no policies gets AccessDenied for sts:AssumeRole and for every JSON management action', async () => {
    const sts = new STSClient({
      endpoint: t.gateway.apiUrl,
      region: 'us-east-1',
      credentials: nobody,
      requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
      maxAttempts: 1,
    });
    const assume = await sts
      .send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/any`, RoleSessionName: 's' }))
      .then(
        () => 'allowed',
        (e: Error) => e.name,
      );
    expect(assume).toBe('AccessDenied');
    const api = createApiClient({
      endpoint: new URL(t.gateway.apiUrl),
      credentials: nobody,
      region: t.gateway.account.region,
      caPem: await readFile(t.caFile, 'utf8'),
    });
    for (const [action, params] of JSON_ACTIONS) {
      const code = await api.call(action, params).then(
        () => 'allowed',
        (e: { gatehouseCode?: string }) => e.gatehouseCode,
      );
      expect(code, action).toBe('GH_API_ACCESS_DENIED');
    }
  });

  it('the bootstrap admin may call every IAM action', async () => {
    const iam = iamClient(admin);
    await iam.send(new iamSdk.CreateUserCommand({ UserName: 'ua-empty' }));
    for (const [action, send] of iamCalls(account, 'a')) {
      await expect(send(iam), action).resolves.toBeDefined();
    }
  });

  it('UpdateUser and UpdateGroup need the permission on the new name and path too, as in AWS', async () => {
    const iam = iamClient(admin);
    const renamer = async (name: string, resources: string[]) => {
      await iam.send(new iamSdk.CreateUserCommand({ UserName: name }));
      await iam.send(
        new iamSdk.PutUserPolicyCommand({
          UserName: name,
          PolicyName: 'rename',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['iam:UpdateUser', 'iam:UpdateGroup', 'iam:GetUser'],
                Resource: resources,
              },
            ],
          }),
        }),
      );
      const key = await iam.send(new iamSdk.CreateAccessKeyCommand({ UserName: name }));
      return iamClient({
        accessKeyId: key.AccessKey?.AccessKeyId as string,
        secretAccessKey: key.AccessKey?.SecretAccessKey as string,
      });
    };
    await iam.send(new iamSdk.CreateUserCommand({ UserName: 'bob', Path: '/team/' }));
    await iam.send(new iamSdk.CreateGroupCommand({ GroupName: 'crew' }));
    const onlyOld = await renamer('renamer_old', [
      `arn:aws:iam::${account}:user/team/bob`,
      `arn:aws:iam::${account}:group/crew`,
    ]);
    const denied = (p: Promise<unknown>) =>
      p.then(
        () => 'allowed',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    // Allowed on bob's ARN only: renaming or moving bob (or crew) would reach an ARN the policy does not name.
    expect(
      await denied(onlyOld.send(new iamSdk.UpdateUserCommand({ UserName: 'bob', NewUserName: 'admin' }))),
    ).toBe(
      `AccessDenied: User: arn:aws:iam::${account}:user/renamer_old is not authorized to perform: iam:UpdateUser on resource: arn:aws:iam::${account}:user/team/admin`,
    );
    expect(
      await denied(onlyOld.send(new iamSdk.UpdateUserCommand({ UserName: 'bob', NewPath: '/ops/' }))),
    ).toMatch(/^AccessDenied: .* on resource: arn:aws:iam::\d{12}:user\/ops\/bob$/);
    expect(
      await denied(
        onlyOld.send(new iamSdk.UpdateGroupCommand({ GroupName: 'crew', NewGroupName: 'admins' })),
      ),
    ).toMatch(/^AccessDenied: .* on resource: arn:aws:iam::\d{12}:group\/admins$/);
    // Nothing changed.
    expect((await iam.send(new iamSdk.GetUserCommand({ UserName: 'bob' }))).User?.Arn).toBe(
      `arn:aws:iam::${account}:user/team/bob`,
    );
    // Allowed on both ARNs: the rename goes through.
    const both = await renamer('renamer_both', [
      `arn:aws:iam::${account}:user/team/bob`,
      `arn:aws:iam::${account}:user/team/robert`,
    ]);
    await both.send(new iamSdk.UpdateUserCommand({ UserName: 'bob', NewUserName: 'robert' }));
    expect((await iam.send(new iamSdk.GetUserCommand({ UserName: 'robert' }))).User?.Arn).toBe(
      `arn:aws:iam::${account}:user/team/robert`,
    );
  });
});
