// Every IAM action of the Query API, driven by the unmodified @aws-sdk/client-iam: the SDK must parse each
// result into its typed shape (strings, numbers, booleans, Dates, lists, nested structures).
import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  GetRoleCommand,
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  RemoveUserFromGroupCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATED } from './support/memory-iam.js';
import { ADMIN_ARN, type QueryFixture, rejection, startQueryFixture } from './support/query-fixture.js';

let fx: QueryFixture;
let iam: IAMClient;
const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: ADMIN_ARN }, Action: 'sts:AssumeRole' }],
});

beforeAll(async () => {
  fx = await startQueryFixture();
  iam = fx.iamClient();
});
afterAll(async () => {
  await fx.close();
});

describe('IAM users through @aws-sdk/client-iam', () => {
  it('CreateUser returns the user with path, tags and a parsed CreateDate', async () => {
    const out = await iam.send(
      new CreateUserCommand({ UserName: 'alice', Path: '/eng/', Tags: [{ Key: 'team', Value: 'db' }] }),
    );
    expect(out.User).toMatchObject({
      UserName: 'alice',
      Path: '/eng/',
      Arn: 'arn:aws:iam::123456789012:user/eng/alice',
      Tags: [{ Key: 'team', Value: 'db' }],
    });
    expect(out.User?.UserId).toMatch(/^AIDA/);
    expect(out.User?.CreateDate).toEqual(new Date(CREATED));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('GetUser names a user, or without UserName the caller itself', async () => {
    const named = await iam.send(new GetUserCommand({ UserName: 'alice' }));
    expect(named.User?.Arn).toBe('arn:aws:iam::123456789012:user/eng/alice');
    const self = await iam.send(new GetUserCommand({}));
    expect(self.User?.Arn).toBe(ADMIN_ARN);
  });

  it('ListUsers returns every user as a list, with IsTruncated false', async () => {
    const out = await iam.send(new ListUsersCommand({}));
    expect(out.Users?.map((u) => u.UserName).sort()).toEqual(['admin', 'alice']);
    expect(out.IsTruncated).toBe(false);
    const eng = await iam.send(new ListUsersCommand({ PathPrefix: '/eng/' }));
    expect(eng.Users?.map((u) => u.UserName)).toEqual(['alice']);
  });

  it('TagUser adds tags that GetUser then returns', async () => {
    await iam.send(new TagUserCommand({ UserName: 'alice', Tags: [{ Key: 'cost-center', Value: '42' }] }));
    const out = await iam.send(new GetUserCommand({ UserName: 'alice' }));
    expect(out.User?.Tags).toEqual([
      { Key: 'team', Value: 'db' },
      { Key: 'cost-center', Value: '42' },
    ]);
  });

  it('DeleteUser removes the user (an empty response parses)', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'temp' }));
    const out = await iam.send(new DeleteUserCommand({ UserName: 'temp' }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(fx.iam.users.has('temp')).toBe(false);
  });
});

describe('IAM access keys through @aws-sdk/client-iam', () => {
  it('CreateAccessKey returns a secret once, and the new key signs requests of its own', async () => {
    const out = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    const key = out.AccessKey!;
    expect(key).toMatchObject({ UserName: 'alice', Status: 'Active' });
    expect(key.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(key.SecretAccessKey).toHaveLength(40);
    expect(key.CreateDate).toBeInstanceOf(Date);
    const creds = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    const who = await fx.stsClient(creds).send(new GetCallerIdentityCommand({}));
    expect(who).toMatchObject({ Arn: 'arn:aws:iam::123456789012:user/eng/alice', Account: '123456789012' });
    const own = await fx.iamClient(creds).send(new ListAccessKeysCommand({}));
    expect(own.AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([key.AccessKeyId]);
  });

  it('ListAccessKeys lists metadata without secrets; UpdateAccessKey deactivates; DeleteAccessKey removes', async () => {
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    expect(listed.IsTruncated).toBe(false);
    const meta = listed.AccessKeyMetadata?.[0];
    expect(meta).toMatchObject({ UserName: 'alice', Status: 'Active' });
    expect(meta).not.toHaveProperty('SecretAccessKey');
    const id = meta!.AccessKeyId!;
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: id, Status: 'Inactive' }));
    const after = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    expect(after.AccessKeyMetadata?.[0]?.Status).toBe('Inactive');
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: id }));
    const gone = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    expect(gone.AccessKeyMetadata).toEqual([]);
  });
});

describe('IAM groups and roles through @aws-sdk/client-iam', () => {
  it('CreateGroup, AddUserToGroup and RemoveUserFromGroup', async () => {
    const out = await iam.send(new CreateGroupCommand({ GroupName: 'dbas', Path: '/ops/' }));
    expect(out.Group).toMatchObject({ GroupName: 'dbas', Arn: 'arn:aws:iam::123456789012:group/ops/dbas' });
    expect(out.Group?.GroupId).toMatch(/^AGPA/);
    await iam.send(new AddUserToGroupCommand({ GroupName: 'dbas', UserName: 'alice' }));
    expect(fx.iam.groups.get('dbas')?.members.has('alice')).toBe(true);
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'dbas', UserName: 'alice' }));
    expect(fx.iam.groups.get('dbas')?.members.size).toBe(0);
  });

  it('CreateRole and GetRole return the URL-encoded trust policy and a numeric MaxSessionDuration', async () => {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: 'reader',
        AssumeRolePolicyDocument: TRUST,
        Description: 'reads things',
        MaxSessionDuration: 7200,
        Tags: [{ Key: 'env', Value: 'dev' }],
      }),
    );
    expect(created.Role).toMatchObject({
      RoleName: 'reader',
      MaxSessionDuration: 7200,
      Description: 'reads things',
    });
    const got = await iam.send(new GetRoleCommand({ RoleName: 'reader' }));
    expect(got.Role?.RoleId).toMatch(/^AROA/);
    expect(JSON.parse(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? ''))).toEqual(
      JSON.parse(TRUST),
    );
    expect(got.Role?.Tags).toEqual([{ Key: 'env', Value: 'dev' }]);
    await iam.send(new CreateRoleCommand({ RoleName: 'doomed', AssumeRolePolicyDocument: TRUST }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'doomed' }));
    expect(fx.iam.roles.has('doomed')).toBe(false);
  });
});

describe('IAM managed policies through @aws-sdk/client-iam', () => {
  it('CreatePolicy and CreatePolicyVersion parse numbers, booleans and dates', async () => {
    const created = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'db-read',
        PolicyDocument: DOC,
        Path: '/db/',
        Description: 'read',
      }),
    );
    expect(created.Policy).toMatchObject({
      PolicyName: 'db-read',
      Arn: 'arn:aws:iam::123456789012:policy/db/db-read',
      DefaultVersionId: 'v1',
      AttachmentCount: 0,
      IsAttachable: true,
      Description: 'read',
    });
    expect(created.Policy?.UpdateDate).toEqual(new Date(CREATED));
    const v2 = await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: created.Policy!.Arn!,
        PolicyDocument: DOC,
        SetAsDefault: true,
      }),
    );
    expect(v2.PolicyVersion).toMatchObject({ VersionId: 'v2', IsDefaultVersion: true });
    expect(v2.PolicyVersion?.CreateDate).toBeInstanceOf(Date);
    const v3 = await iam.send(
      new CreatePolicyVersionCommand({ PolicyArn: created.Policy!.Arn!, PolicyDocument: DOC }),
    );
    expect(v3.PolicyVersion?.IsDefaultVersion).toBe(false);
  });
});

describe('IAM policy simulation through @aws-sdk/client-iam', () => {
  it('SimulatePrincipalPolicy passes the decoded lists and context entries and parses every result field', async () => {
    fx.simulator.allow = new Set(['rds-db:connect']);
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: 'arn:aws:iam::123456789012:user/eng/alice',
        ActionNames: ['rds-db:connect', 'iam:CreateUser'],
        ResourceArns: ['arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/app'],
        ContextEntries: [
          { ContextKeyName: 'aws:SourceIp', ContextKeyValues: ['10.0.0.1'], ContextKeyType: 'ip' },
          { ContextKeyName: 'aws:TagKeys', ContextKeyValues: ['a', 'b'], ContextKeyType: 'stringList' },
        ],
      }),
    );
    expect(fx.simulator.inputs.at(-1)).toEqual({
      policySourceArn: 'arn:aws:iam::123456789012:user/eng/alice',
      actionNames: ['rds-db:connect', 'iam:CreateUser'],
      resourceArns: ['arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/app'],
      contextEntries: [
        { ContextKeyName: 'aws:SourceIp', ContextKeyValues: ['10.0.0.1'], ContextKeyType: 'ip' },
        { ContextKeyName: 'aws:TagKeys', ContextKeyValues: ['a', 'b'], ContextKeyType: 'stringList' },
      ],
    });
    expect(out.IsTruncated).toBe(false);
    expect(out.EvaluationResults).toEqual([
      {
        EvalActionName: 'rds-db:connect',
        EvalResourceName: 'arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/app',
        EvalDecision: 'allowed',
        MatchedStatements: [
          {
            SourcePolicyId: 'PolicyInputList.1',
            StartPosition: { Line: 1, Column: 2 },
            EndPosition: { Line: 3, Column: 40 },
          },
        ],
        MissingContextValues: [],
      },
      {
        EvalActionName: 'iam:CreateUser',
        EvalResourceName: 'arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/app',
        EvalDecision: 'implicitDeny',
        MatchedStatements: [],
        MissingContextValues: ['aws:SourceIp'],
      },
    ]);
  });

  it('SimulateCustomPolicy passes every policy document in order, and no context as an empty list', async () => {
    const out = await iam.send(
      new SimulateCustomPolicyCommand({ PolicyInputList: [DOC, '{"b":2}'], ActionNames: ['s3:GetObject'] }),
    );
    expect(fx.simulator.inputs.at(-1)).toEqual({
      policyInputList: [DOC, '{"b":2}'],
      actionNames: ['s3:GetObject'],
      contextEntries: [],
    });
    expect(out.EvaluationResults?.[0]).toMatchObject({
      EvalActionName: 's3:GetObject',
      EvalResourceName: '*',
    });
  });

  it('a simulation naming no action is a ValidationError', async () => {
    const e = await rejection(
      iam.send(new SimulateCustomPolicyCommand({ PolicyInputList: [DOC], ActionNames: [] })),
    );
    expect(e.name).toBe('ValidationError');
    expect(e.message).toContain('ActionNames');
  });
});
