// Refusals reach @aws-sdk/client-iam as the SDK's own exception classes (modelled IAM errors) or named
// errors (AccessDenied, InvalidClientTokenId, SignatureDoesNotMatch, RequestExpired), with AWS's statuses.
import {
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeleteUserCommand,
  GetUserCommand,
  type IAMClient,
  ListUsersCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN,
  ADMIN_ARN,
  type QueryFixture,
  rejection,
  startQueryFixture,
} from './support/query-fixture.js';

let fx: QueryFixture;
let iam: IAMClient;

beforeAll(async () => {
  fx = await startQueryFixture();
  iam = fx.iamClient();
  await iam.send(new CreateUserCommand({ UserName: 'bob' }));
});
afterAll(async () => {
  await fx.close();
});
beforeEach(() => {
  fx.authz.deny.clear();
  fx.clock.offsetMs = 0;
});

describe('IAM service errors as SDK exceptions', () => {
  it('an unknown user is NoSuchEntityException, 404, with the request id the header carried', async () => {
    const e = await rejection(iam.send(new GetUserCommand({ UserName: 'ghost' })));
    expect(e.name).toBe('NoSuchEntityException');
    expect(e.message).toBe('The user with name ghost cannot be found.');
    expect(e.$metadata?.httpStatusCode).toBe(404);
    expect(e.$metadata?.requestId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('a duplicate user is EntityAlreadyExistsException, 409', async () => {
    const e = await rejection(iam.send(new CreateUserCommand({ UserName: 'bob' })));
    expect(e.name).toBe('EntityAlreadyExistsException');
    expect(e.$metadata?.httpStatusCode).toBe(409);
  });

  it('deleting a user that still has a key is DeleteConflictException, and the user stays', async () => {
    await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }));
    const e = await rejection(iam.send(new DeleteUserCommand({ UserName: 'bob' })));
    expect(e.name).toBe('DeleteConflictException');
    expect(e.message).toContain('must delete access keys first');
    expect(fx.iam.users.has('bob')).toBe(true);
  });

  it('a third access key is LimitExceededException', async () => {
    await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }));
    const e = await rejection(iam.send(new CreateAccessKeyCommand({ UserName: 'bob' })));
    expect(e.name).toBe('LimitExceededException');
    expect(e.message).toContain('AccessKeysPerUser');
  });

  it('a policy that is not JSON is MalformedPolicyDocumentException, 400', async () => {
    const put = iam.send(
      new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'p', PolicyDocument: '{nope' }),
    );
    const e = await rejection(put);
    expect(e.name).toBe('MalformedPolicyDocumentException');
    expect(e.$metadata?.httpStatusCode).toBe(400);
    const managed = await rejection(
      iam.send(new CreatePolicyCommand({ PolicyName: 'm', PolicyDocument: '[]' })),
    );
    expect(managed.name).toBe('MalformedPolicyDocumentException');
  });
});

describe('authentication failures as SDK exceptions', () => {
  it('an unknown access key is InvalidClientTokenId, 403', async () => {
    const stranger = fx.iamClient({
      accessKeyId: 'AKIAUNKNOWNUNKNOWN00',
      secretAccessKey: ADMIN.secretAccessKey,
    });
    const e = await rejection(stranger.send(new ListUsersCommand({})));
    expect(e.name).toBe('InvalidClientTokenId');
    expect(e.$metadata?.httpStatusCode).toBe(403);
  });

  it('a wrong secret is SignatureDoesNotMatch, 403', async () => {
    const wrong = fx.iamClient({ accessKeyId: ADMIN.accessKeyId, secretAccessKey: 'x'.repeat(40) });
    const e = await rejection(wrong.send(new ListUsersCommand({})));
    expect(e.name).toBe('SignatureDoesNotMatch');
    expect(e.$metadata?.httpStatusCode).toBe(403);
  });

  it('a request signed 10 minutes from server time is RequestExpired', async () => {
    fx.clock.offsetMs = 10 * 60_000;
    const e = await rejection(iam.send(new ListUsersCommand({})));
    expect(e.name).toBe('RequestExpired');
  });

  it('IAM signed for a region other than us-east-1 or the gateway region is refused', async () => {
    const e = await rejection(fx.iamClient(undefined, 'ap-south-1').send(new ListUsersCommand({})));
    expect(e.name).toBe('SignatureDoesNotMatch');
    expect(e.message).toContain('us-east-1');
  });
});

describe('authorization of each IAM action', () => {
  it('a refused action is AccessDenied with AWS wording, and the service is never called', async () => {
    fx.authz.deny.add('iam:CreateUser');
    const e = await rejection(iam.send(new CreateUserCommand({ UserName: 'carol', Path: '/ops/' })));
    expect(e.name).toBe('AccessDenied');
    expect(e.$metadata?.httpStatusCode).toBe(403);
    expect(e.message).toBe(
      `User: ${ADMIN_ARN} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/ops/carol`,
    );
    expect(fx.iam.users.has('carol')).toBe(false);
  });

  it('the resource of an existing user carries its real path; an absent one is path-less', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'dave', Path: '/ops/' }));
    await iam.send(new GetUserCommand({ UserName: 'dave' }));
    expect(fx.authz.last()).toMatchObject({
      action: 'iam:GetUser',
      resource: 'arn:aws:iam::123456789012:user/ops/dave',
    });
    await rejection(iam.send(new GetUserCommand({ UserName: 'nobody' })));
    expect(fx.authz.last()?.resource).toBe('arn:aws:iam::123456789012:user/nobody');
  });

  it('calls without UserName are authorised on the caller itself; ListUsers on the path prefix', async () => {
    await iam.send(new GetUserCommand({}));
    expect(fx.authz.last()).toMatchObject({ action: 'iam:GetUser', resource: ADMIN_ARN });
    await iam.send(new ListUsersCommand({ PathPrefix: '/ops/' }));
    expect(fx.authz.last()).toMatchObject({
      action: 'iam:ListUsers',
      resource: 'arn:aws:iam::123456789012:user/ops/',
    });
  });

  it('the policy seam sees the caller and the request facts as global condition keys', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'erin', Tags: [{ Key: 'team', Value: 'db' }] }));
    const call = fx.authz.last()!;
    expect(call.caller).toMatchObject({ arn: ADMIN_ARN, accountId: '123456789012', userName: 'admin' });
    expect(call.caller.userId).toMatch(/^AIDA/);
    expect(call.context).toMatchObject({
      'aws:SourceIp': '127.0.0.1',
      'aws:SecureTransport': 'true',
      'aws:RequestedRegion': 'us-east-1',
      'aws:PrincipalType': 'User',
      'aws:PrincipalAccount': '123456789012',
      'aws:username': 'admin',
      'aws:userid': call.caller.userId,
      'aws:TagKeys': ['team'],
      'aws:RequestTag/team': 'db',
    });
    expect(Date.parse(String(call.context['aws:CurrentTime']))).toBeGreaterThan(Date.now() - 60_000);
  });

  it('a deny on one resource leaves the same action on another allowed', async () => {
    fx.authz.deny.add('iam:DeleteUser arn:aws:iam::123456789012:user/bob');
    expect((await rejection(iam.send(new DeleteUserCommand({ UserName: 'bob' })))).name).toBe('AccessDenied');
    await iam.send(new CreateUserCommand({ UserName: 'frank' }));
    await iam.send(new DeleteUserCommand({ UserName: 'frank' }));
    expect(fx.iam.users.has('frank')).toBe(false);
  });
});
