// The IAM plane end to end: unmodified AWS SDK clients against a real gateway (and a second node on the same store).
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { join } from 'node:path';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
  PutUserPolicyCommand,
  SimulatePrincipalPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../src/gateway.js';
import { eventually } from '../../support/eventually.js';
import { type SecondNode, startTestGateway, type TestGateway } from '../../support/gateway.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

type Keys = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

async function clientsFor(gateway: Gateway, caFile: string) {
  const agent = new Agent({ ca: await readFile(caFile, 'utf8') });
  const config = (credentials: Keys) => ({
    endpoint: gateway.apiUrl,
    region: 'us-east-1',
    credentials,
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    maxAttempts: 1,
  });
  return { iam: (k: Keys) => new IAMClient(config(k)), sts: (k: Keys) => new STSClient(config(k)) };
}

async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return (e as Error).name;
  }
}

/** Poll until `probe` yields `want` (cross-node propagation), failing after `ms`. Returns the elapsed ms. */
async function within(ms: number, probe: () => Promise<string>, want: string): Promise<number> {
  const start = Date.now();
  await eventually(async () => expect(await probe()).toBe(want), {
    timeoutMs: ms,
    intervalMs: 25,
    what: `"${want}"`,
  });
  return Date.now() - start;
}

describe('IAM through the real gateway with the AWS SDK', () => {
  let t: TestGateway;
  let admin: Keys;
  let clients: Awaited<ReturnType<typeof clientsFor>>;
  let bob: Keys;
  let nodeB: SecondNode;
  let clientsB: Awaited<ReturnType<typeof clientsFor>>;

  beforeAll(async () => {
    t = await startTestGateway();
    admin = t.gateway.bootstrapKey as Keys;
    clients = await clientsFor(t.gateway, t.caFile);
    nodeB = await t.startSecondNode();
    clientsB = await clientsFor(nodeB.gateway, join(nodeB.dataDir, 'ca.pem'));
  });
  afterAll(async () => {
    await nodeB?.stop();
    await t?.stop();
  });

  it('the bootstrap admin is a real IAM user with AdministratorAccess and can do everything', async () => {
    const iam = clients.iam(admin);
    const me = await iam.send(new GetUserCommand({}));
    expect(me.User?.UserName).toBe('admin');
    const created = await iam.send(
      new CreateUserCommand({ UserName: 'bob', Tags: [{ Key: 'team', Value: 'db' }] }),
    );
    expect(created.User?.Arn).toBe(`arn:aws:iam::${t.gateway.account.accountId}:user/bob`);
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }));
    bob = {
      accessKeyId: key.AccessKey?.AccessKeyId as string,
      secretAccessKey: key.AccessKey?.SecretAccessKey as string,
    };
    expect(bob.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(bob.secretAccessKey).toHaveLength(40);
    expect((await iam.send(new ListUsersCommand({}))).Users?.map((u) => u.UserName).sort()).toEqual([
      'admin',
      'bob',
    ]);
  });

  it('a user without permission gets AccessDenied; an inline policy grants exactly what it says', async () => {
    const asBob = clients.iam(bob);
    expect(await errorName(asBob.send(new ListUsersCommand({})))).toBe('AccessDenied');
    await clients.iam(admin).send(
      new PutUserPolicyCommand({
        UserName: 'bob',
        PolicyName: 'self',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JS template
            { Effect: 'Allow', Action: 'iam:GetUser', Resource: 'arn:aws:iam::*:user/${aws:username}' },
          ],
        }),
      }),
    );
    expect((await asBob.send(new GetUserCommand({}))).User?.UserName).toBe('bob');
    expect(await errorName(asBob.send(new GetUserCommand({ UserName: 'admin' })))).toBe('AccessDenied');
    expect(await errorName(asBob.send(new CreateUserCommand({ UserName: 'mallory' })))).toBe('AccessDenied');
  });

  it('AWS error codes come back as the SDK exceptions AWS tools expect', async () => {
    const iam = clients.iam(admin);
    expect(await errorName(iam.send(new GetUserCommand({ UserName: 'nobody' })))).toBe(
      'NoSuchEntityException',
    );
    expect(await errorName(iam.send(new CreateUserCommand({ UserName: 'BOB' })))).toBe(
      'EntityAlreadyExistsException',
    );
    expect(await errorName(iam.send(new DeleteUserCommand({ UserName: 'bob' })))).toBe(
      'DeleteConflictException',
    );
    expect(
      await errorName(
        iam.send(
          new PutUserPolicyCommand({
            UserName: 'bob',
            PolicyName: 'bad',
            PolicyDocument: '{"Statement":[{}]}',
          }),
        ),
      ),
    ).toBe('MalformedPolicyDocumentException');
    await iam
      .send(new CreateAccessKeyCommand({ UserName: 'bob' }))
      .then((r) =>
        iam.send(new DeleteAccessKeyCommand({ UserName: 'bob', AccessKeyId: r.AccessKey?.AccessKeyId })),
      );
    const second = await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }));
    expect(await errorName(iam.send(new CreateAccessKeyCommand({ UserName: 'bob' })))).toBe(
      'LimitExceededException',
    );
    await iam.send(
      new DeleteAccessKeyCommand({ UserName: 'bob', AccessKeyId: second.AccessKey?.AccessKeyId }),
    );
    const forged = { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40) };
    expect(await errorName(clients.iam(forged).send(new GetUserCommand({})))).toBe('InvalidClientTokenId');
    const wrongSecret = { accessKeyId: bob.accessKeyId, secretAccessKey: 'y'.repeat(40) };
    expect(await errorName(clients.iam(wrongSecret).send(new GetUserCommand({})))).toBe(
      'SignatureDoesNotMatch',
    );
  });

  it('simulate-principal-policy answers allowed / implicitDeny with the matched statement', async () => {
    const res = await clients.iam(admin).send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${t.gateway.account.accountId}:user/bob`,
        ActionNames: ['iam:GetUser', 'iam:CreateUser'],
        ResourceArns: [`arn:aws:iam::${t.gateway.account.accountId}:user/bob`],
      }),
    );
    expect(res.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalDecision])).toEqual([
      ['iam:GetUser', 'allowed'],
      ['iam:CreateUser', 'implicitDeny'],
    ]);
    expect(res.EvaluationResults?.[0]?.MatchedStatements?.[0]?.SourcePolicyId).toBe('self');
  });

  it('AssumeRole needs both the trust policy and sts:AssumeRole; the session works until it expires', async () => {
    const iam = clients.iam(admin);
    const account = t.gateway.account.accountId;
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: 'reader',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${account}:user/bob` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    const assume = () =>
      clients
        .sts(bob)
        .send(
          new AssumeRoleCommand({ RoleArn: role.Role?.Arn, RoleSessionName: 's1', DurationSeconds: 900 }),
        );
    expect(await errorName(assume())).toBe('AccessDenied'); // trusted, but bob may not call sts:AssumeRole
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'bob',
        PolicyName: 'assume',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: role.Role?.Arn }],
        }),
      }),
    );
    const session = await assume();
    const creds = session.Credentials;
    expect(creds?.AccessKeyId).toMatch(/^ASIA/);
    const temp = {
      accessKeyId: creds?.AccessKeyId as string,
      secretAccessKey: creds?.SecretAccessKey as string,
      sessionToken: creds?.SessionToken as string,
    };
    const who = await clients.sts(temp).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(`arn:aws:sts::${account}:assumed-role/reader/s1`);
    t.clock.offsetMs = 16 * 60_000; // past the 900 s session
    try {
      expect(await errorName(clients.sts(temp).send(new GetCallerIdentityCommand({})))).toBe('ExpiredToken');
    } finally {
      t.clock.offsetMs = 0;
    }
  });

  it('two nodes on one store: a key deactivated on one is refused by the other within a second', async () => {
    const onB = () => errorName(clientsB.iam(bob).send(new GetUserCommand({})));
    expect(await onB()).toBe('no error');
    await clients
      .iam(admin)
      .send(
        new UpdateAccessKeyCommand({ UserName: 'bob', AccessKeyId: bob.accessKeyId, Status: 'Inactive' }),
      );
    expect(await within(1000, onB, 'InvalidClientTokenId')).toBeLessThan(1000);
    await clients
      .iam(admin)
      .send(new UpdateAccessKeyCommand({ UserName: 'bob', AccessKeyId: bob.accessKeyId, Status: 'Active' }));
    expect(await within(1000, onB, 'no error')).toBeLessThan(1000);
  });

  it('two nodes on one store: removing the allowing policy on one is enforced by the other within a second', async () => {
    const onB = () => errorName(clientsB.iam(bob).send(new GetUserCommand({})));
    expect(await onB()).toBe('no error'); // node B has bob's policies cached now
    await clients.iam(admin).send(new DeleteUserPolicyCommand({ UserName: 'bob', PolicyName: 'self' }));
    expect(await within(1000, onB, 'AccessDenied')).toBeLessThan(1000);
    await clients.iam(admin).send(
      new AttachUserPolicyCommand({
        UserName: 'bob',
        PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      }),
    );
    expect(await within(1000, onB, 'no error')).toBeLessThan(1000);
  });

  it('an access key records when and for which service it was last used', async () => {
    const { rows } = await t.gateway.store.pool.query(
      'SELECT last_used_at, last_used_service FROM gh_access_keys WHERE access_key_id = $1',
      [bob.accessKeyId],
    );
    expect(rows[0]?.last_used_service).toBe('iam');
    expect(rows[0]?.last_used_at).toBeInstanceOf(Date);
    const seen = await clients
      .iam(admin)
      .send(new GetAccessKeyLastUsedCommand({ AccessKeyId: bob.accessKeyId }));
    expect(seen.UserName).toBe('bob');
    expect(seen.AccessKeyLastUsed?.ServiceName).toBe('iam');
    expect(seen.AccessKeyLastUsed?.Region).toBe('us-east-1');
    const recorded = rows[0]?.last_used_at as Date;
    expect(seen.AccessKeyLastUsed?.LastUsedDate?.getTime()).toBe(recorded.getTime());
    const fresh = await clients.iam(admin).send(new CreateAccessKeyCommand({ UserName: 'bob' }));
    const never = await clients
      .iam(admin)
      .send(new GetAccessKeyLastUsedCommand({ AccessKeyId: fresh.AccessKey?.AccessKeyId }));
    expect(never.AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
    expect(
      await errorName(
        clients.iam(bob).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: bob.accessKeyId })),
      ),
    ).toBe('no error'); // bob has AdministratorAccess by now (previous test)
  });
});
