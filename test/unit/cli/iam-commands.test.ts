import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type QueryStub, runAgainstStub, startQueryStub } from './support/iam-query-stub.js';

let stub: QueryStub;
// Paths are fixed at load time: the case tables below are built before beforeAll runs.
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-iam-cli-'));
const caFile = join(dir, 'stub-ca.pem');
const policyFile = join(dir, 'policy.json');
const trustFile = join(dir, 'trust.json');

const POLICY =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":"*"}]}';
const TRUST =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}';
const ARN = 'arn:aws:iam::123456789012:policy/p';

function cli(args: string[]) {
  return runAgainstStub(stub, args, { dataDir: dir, caFile });
}

beforeAll(async () => {
  stub = await startQueryStub();
  writeFileSync(caFile, stub.caPem);
  writeFileSync(policyFile, POLICY);
  writeFileSync(trustFile, TRUST);
});
afterAll(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => stub.reset());

type Case = [args: string[], action: string, params: Record<string, string>];

const userCases = (): Case[] => [
  [
    [
      'create-user',
      '--user-name',
      'alice',
      '--path',
      '/eng/',
      '--permissions-boundary',
      ARN,
      '--tags',
      'Key=team,Value=db',
      'Key=env,Value=prod',
    ],
    'CreateUser',
    {
      UserName: 'alice',
      Path: '/eng/',
      PermissionsBoundary: ARN,
      'Tags.member.1.Key': 'team',
      'Tags.member.1.Value': 'db',
      'Tags.member.2.Key': 'env',
      'Tags.member.2.Value': 'prod',
    },
  ],
  [['create-user', '--user-name', 'bob'], 'CreateUser', { UserName: 'bob' }],
  [['get-user'], 'GetUser', {}],
  [['get-user', '--user-name', 'alice'], 'GetUser', { UserName: 'alice' }],
  [['list-users'], 'ListUsers', {}],
  [['list-users', '--path-prefix', '/eng/'], 'ListUsers', { PathPrefix: '/eng/' }],
  [['delete-user', '--user-name', 'alice'], 'DeleteUser', { UserName: 'alice' }],
  [
    ['tag-user', '--user-name', 'alice', '--tags', '[{"Key":"a","Value":"1"}]'],
    'TagUser',
    { UserName: 'alice', 'Tags.member.1.Key': 'a', 'Tags.member.1.Value': '1' },
  ],
  [['create-access-key'], 'CreateAccessKey', {}],
  [['create-access-key', '--user-name', 'alice'], 'CreateAccessKey', { UserName: 'alice' }],
  [['list-access-keys', '--user-name', 'alice'], 'ListAccessKeys', { UserName: 'alice' }],
  [
    ['update-access-key', '--access-key-id', 'AKIA1', '--status', 'Inactive', '--user-name', 'alice'],
    'UpdateAccessKey',
    { AccessKeyId: 'AKIA1', Status: 'Inactive', UserName: 'alice' },
  ],
  [['delete-access-key', '--access-key-id', 'AKIA1'], 'DeleteAccessKey', { AccessKeyId: 'AKIA1' }],
];

const groupRoleCases = (): Case[] => [
  [
    ['create-group', '--group-name', 'dba', '--path', '/ops/'],
    'CreateGroup',
    { GroupName: 'dba', Path: '/ops/' },
  ],
  [
    ['add-user-to-group', '--group-name', 'dba', '--user-name', 'alice'],
    'AddUserToGroup',
    { GroupName: 'dba', UserName: 'alice' },
  ],
  [
    ['remove-user-from-group', '--group-name', 'dba', '--user-name', 'alice'],
    'RemoveUserFromGroup',
    { GroupName: 'dba', UserName: 'alice' },
  ],
  [
    [
      'create-role',
      '--role-name',
      'reader',
      '--assume-role-policy-document',
      `file://${trustFile}`,
      '--path',
      '/app/',
      '--description',
      'read only, for apps',
      '--max-session-duration',
      '7200',
      '--tags',
      'Key=owner,Value=team a',
      '--permissions-boundary',
      ARN,
    ],
    'CreateRole',
    {
      RoleName: 'reader',
      AssumeRolePolicyDocument: TRUST,
      Path: '/app/',
      Description: 'read only, for apps',
      MaxSessionDuration: '7200',
      'Tags.member.1.Key': 'owner',
      'Tags.member.1.Value': 'team a',
      PermissionsBoundary: ARN,
    },
  ],
  [
    ['create-role', '--role-name', 'r', '--assume-role-policy-document', TRUST],
    'CreateRole',
    { RoleName: 'r', AssumeRolePolicyDocument: TRUST },
  ],
  [['get-role', '--role-name', 'reader'], 'GetRole', { RoleName: 'reader' }],
  [['delete-role', '--role-name', 'reader'], 'DeleteRole', { RoleName: 'reader' }],
];

function inlineCases(): Case[] {
  return (['User', 'Group', 'Role'] as const).flatMap((kind): Case[] => {
    const noun = kind.toLowerCase();
    const owner = { [`${kind}Name`]: 'x' };
    const flag = [`--${noun}-name`, 'x'];
    return [
      [
        [`put-${noun}-policy`, ...flag, '--policy-name', 'p', '--policy-document', `file://${policyFile}`],
        `Put${kind}Policy`,
        { ...owner, PolicyName: 'p', PolicyDocument: POLICY },
      ],
      [
        [`get-${noun}-policy`, ...flag, '--policy-name', 'p'],
        `Get${kind}Policy`,
        { ...owner, PolicyName: 'p' },
      ],
      [
        [`delete-${noun}-policy`, ...flag, '--policy-name', 'p'],
        `Delete${kind}Policy`,
        { ...owner, PolicyName: 'p' },
      ],
      [[`list-${noun}-policies`, ...flag], `List${kind}Policies`, owner],
    ];
  });
}

function managedCases(): Case[] {
  const attachments = (['User', 'Group', 'Role'] as const).flatMap((kind): Case[] => {
    const noun = kind.toLowerCase();
    const owner = { [`${kind}Name`]: 'x' };
    const flag = [`--${noun}-name`, 'x'];
    return [
      [
        [`attach-${noun}-policy`, ...flag, '--policy-arn', ARN],
        `Attach${kind}Policy`,
        { ...owner, PolicyArn: ARN },
      ],
      [
        [`detach-${noun}-policy`, ...flag, '--policy-arn', ARN],
        `Detach${kind}Policy`,
        { ...owner, PolicyArn: ARN },
      ],
      [[`list-attached-${noun}-policies`, ...flag], `ListAttached${kind}Policies`, owner],
      [
        [`list-attached-${noun}-policies`, ...flag, '--path-prefix', '/db/'],
        `ListAttached${kind}Policies`,
        { ...owner, PathPrefix: '/db/' },
      ],
    ];
  });
  return [
    [
      [
        'create-policy',
        '--policy-name',
        'p',
        '--policy-document',
        POLICY,
        '--path',
        '/db/',
        '--description',
        'd',
      ],
      'CreatePolicy',
      { PolicyName: 'p', PolicyDocument: POLICY, Path: '/db/', Description: 'd' },
    ],
    [
      [
        'create-policy-version',
        '--policy-arn',
        ARN,
        '--policy-document',
        `fileb://${policyFile}`,
        '--set-as-default',
      ],
      'CreatePolicyVersion',
      { PolicyArn: ARN, PolicyDocument: POLICY, SetAsDefault: 'true' },
    ],
    [
      ['create-policy-version', '--policy-arn', ARN, '--policy-document', POLICY, '--no-set-as-default'],
      'CreatePolicyVersion',
      { PolicyArn: ARN, PolicyDocument: POLICY, SetAsDefault: 'false' },
    ],
    [
      ['create-policy-version', '--policy-arn', ARN, '--policy-document', POLICY],
      'CreatePolicyVersion',
      { PolicyArn: ARN, PolicyDocument: POLICY },
    ],
    ...attachments,
  ];
}

const simulateCases = (): Case[] => [
  [
    [
      'simulate-principal-policy',
      '--policy-source-arn',
      'arn:aws:iam::123456789012:user/alice',
      '--action-names',
      'rds-db:connect',
      'iam:GetUser',
      '--resource-arns',
      'arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/app',
      '--context-entries',
      'ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=ip',
      'ContextKeyName=aws:PrincipalTag/team,ContextKeyValues=db,ops,ContextKeyType=stringList',
    ],
    'SimulatePrincipalPolicy',
    {
      PolicySourceArn: 'arn:aws:iam::123456789012:user/alice',
      'ActionNames.member.1': 'rds-db:connect',
      'ActionNames.member.2': 'iam:GetUser',
      'ResourceArns.member.1': 'arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/app',
      'ContextEntries.member.1.ContextKeyName': 'aws:SourceIp',
      'ContextEntries.member.1.ContextKeyValues.member.1': '10.0.0.1',
      'ContextEntries.member.1.ContextKeyType': 'ip',
      'ContextEntries.member.2.ContextKeyName': 'aws:PrincipalTag/team',
      'ContextEntries.member.2.ContextKeyValues.member.1': 'db',
      'ContextEntries.member.2.ContextKeyValues.member.2': 'ops',
      'ContextEntries.member.2.ContextKeyType': 'stringList',
    },
  ],
  [
    [
      'simulate-custom-policy',
      '--policy-input-list',
      `file://${policyFile}`,
      TRUST,
      '--action-names',
      'rds-db:connect',
    ],
    'SimulateCustomPolicy',
    {
      'PolicyInputList.member.1': POLICY,
      'PolicyInputList.member.2': TRUST,
      'ActionNames.member.1': 'rds-db:connect',
    },
  ],
];

describe('every gatehouse iam command sends the AWS Query parameters the AWS CLI would', () => {
  const all = [...userCases(), ...groupRoleCases(), ...inlineCases(), ...managedCases(), ...simulateCases()];
  it.each(all.map((c) => [c[0].slice(0, 2).join(' '), ...c] as const))(
    '%s',
    async (_name, args, action, params) => {
      const r = await cli(['iam', ...args]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(stub.requests).toHaveLength(1);
      expect(stub.requests[0]).toMatchObject({
        action,
        version: '2010-05-08',
        service: 'iam',
        region: 'us-east-1',
      });
      expect(stub.requests[0]!.params).toEqual(params);
    },
  );

  it('covers all 40 iam commands', () => {
    const names = new Set(all.map((c) => c[0][0]));
    expect(names.size).toBe(40);
  });
});
