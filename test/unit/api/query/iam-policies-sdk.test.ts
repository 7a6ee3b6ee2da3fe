// Inline policies and managed-policy attachments for users, groups and roles, through @aws-sdk/client-iam.
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteGroupPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetGroupPolicyCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ARN, type QueryFixture, startQueryFixture } from './support/query-fixture.js';

let fx: QueryFixture;
let iam: IAMClient;
const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'rds-db:connect', Resource: 'arn:aws:rds-db:*:*:dbuser:*/app & "co"' },
  ],
});
let policyArn = '';

beforeAll(async () => {
  fx = await startQueryFixture();
  iam = fx.iamClient();
  await iam.send(new CreateUserCommand({ UserName: 'u1' }));
  await iam.send(new CreateGroupCommand({ GroupName: 'g1' }));
  const trust = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: ADMIN_ARN } }] });
  await iam.send(new CreateRoleCommand({ RoleName: 'r1', AssumeRolePolicyDocument: trust }));
  const created = await iam.send(new CreatePolicyCommand({ PolicyName: 'shared', PolicyDocument: DOC }));
  policyArn = created.Policy!.Arn!;
});
afterAll(async () => {
  await fx.close();
});

interface KindCalls {
  kind: 'User' | 'Group' | 'Role';
  owner: Record<string, string>;
  put(name: string, doc: string): Promise<unknown>;
  get(name: string): Promise<{ PolicyName?: string | undefined; PolicyDocument?: string | undefined }>;
  list(): Promise<{ PolicyNames?: string[] | undefined; IsTruncated?: boolean | undefined }>;
  del(name: string): Promise<unknown>;
  attach(arn: string): Promise<unknown>;
  listAttached(): Promise<{
    AttachedPolicies?: Array<{ PolicyName?: string; PolicyArn?: string }> | undefined;
  }>;
  detach(arn: string): Promise<unknown>;
}

// One row per principal kind: the seven SDK calls with the owner member filled in.
const KINDS: KindCalls[] = [
  {
    kind: 'User',
    owner: { UserName: 'u1' },
    put: (PolicyName, PolicyDocument) =>
      iam.send(new PutUserPolicyCommand({ UserName: 'u1', PolicyName, PolicyDocument })),
    get: (PolicyName) => iam.send(new GetUserPolicyCommand({ UserName: 'u1', PolicyName })),
    list: () => iam.send(new ListUserPoliciesCommand({ UserName: 'u1' })),
    del: (PolicyName) => iam.send(new DeleteUserPolicyCommand({ UserName: 'u1', PolicyName })),
    attach: (PolicyArn) => iam.send(new AttachUserPolicyCommand({ UserName: 'u1', PolicyArn })),
    listAttached: () => iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'u1' })),
    detach: (PolicyArn) => iam.send(new DetachUserPolicyCommand({ UserName: 'u1', PolicyArn })),
  },
  {
    kind: 'Group',
    owner: { GroupName: 'g1' },
    put: (PolicyName, PolicyDocument) =>
      iam.send(new PutGroupPolicyCommand({ GroupName: 'g1', PolicyName, PolicyDocument })),
    get: (PolicyName) => iam.send(new GetGroupPolicyCommand({ GroupName: 'g1', PolicyName })),
    list: () => iam.send(new ListGroupPoliciesCommand({ GroupName: 'g1' })),
    del: (PolicyName) => iam.send(new DeleteGroupPolicyCommand({ GroupName: 'g1', PolicyName })),
    attach: (PolicyArn) => iam.send(new AttachGroupPolicyCommand({ GroupName: 'g1', PolicyArn })),
    listAttached: () => iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'g1' })),
    detach: (PolicyArn) => iam.send(new DetachGroupPolicyCommand({ GroupName: 'g1', PolicyArn })),
  },
  {
    kind: 'Role',
    owner: { RoleName: 'r1' },
    put: (PolicyName, PolicyDocument) =>
      iam.send(new PutRolePolicyCommand({ RoleName: 'r1', PolicyName, PolicyDocument })),
    get: (PolicyName) => iam.send(new GetRolePolicyCommand({ RoleName: 'r1', PolicyName })),
    list: () => iam.send(new ListRolePoliciesCommand({ RoleName: 'r1' })),
    del: (PolicyName) => iam.send(new DeleteRolePolicyCommand({ RoleName: 'r1', PolicyName })),
    attach: (PolicyArn) => iam.send(new AttachRolePolicyCommand({ RoleName: 'r1', PolicyArn })),
    listAttached: () => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'r1' })),
    detach: (PolicyArn) => iam.send(new DetachRolePolicyCommand({ RoleName: 'r1', PolicyArn })),
  },
];

const ARN_OF = {
  User: 'arn:aws:iam::123456789012:user/u1',
  Group: 'arn:aws:iam::123456789012:group/g1',
  Role: 'arn:aws:iam::123456789012:role/r1',
};

describe.each(KINDS)('$kind policies through @aws-sdk/client-iam', (k) => {
  it(`Put/Get/List/Delete${k.kind}Policy round-trip the document (URL-encoded, as AWS returns it)`, async () => {
    await k.put('inline-1', DOC);
    expect(fx.authz.last()).toMatchObject({ action: `iam:Put${k.kind}Policy`, resource: ARN_OF[k.kind] });
    const got = await k.get('inline-1');
    expect(got).toMatchObject({ ...k.owner, PolicyName: 'inline-1' });
    expect(decodeURIComponent(got.PolicyDocument ?? '')).toBe(DOC);
    expect(await k.list()).toMatchObject({ PolicyNames: ['inline-1'], IsTruncated: false });
    await k.del('inline-1');
    expect(fx.authz.last()).toMatchObject({ action: `iam:Delete${k.kind}Policy`, resource: ARN_OF[k.kind] });
    expect((await k.list()).PolicyNames).toEqual([]);
  });

  it(`Attach/ListAttached/Detach${k.kind}Policy manage the attachment, offering iam:PolicyARN`, async () => {
    await k.attach(policyArn);
    expect(fx.authz.last()).toMatchObject({ action: `iam:Attach${k.kind}Policy`, resource: ARN_OF[k.kind] });
    expect(fx.authz.last()?.context['iam:PolicyARN']).toBe(policyArn);
    const listed = await k.listAttached();
    expect(listed).toMatchObject({
      AttachedPolicies: [{ PolicyName: 'shared', PolicyArn: policyArn }],
      IsTruncated: false,
    });
    expect(fx.authz.last()?.context['iam:PolicyARN']).toBeUndefined();
    await k.detach(policyArn);
    expect(fx.authz.last()).toMatchObject({ action: `iam:Detach${k.kind}Policy` });
    expect((await k.listAttached()).AttachedPolicies).toEqual([]);
  });
});
