// Every management call through a real gateway — AWS SDK IAM and STS clients, the JSON API's own client, a
// raw signed call and a forged signature — leaves exactly one CloudTrail-shaped `api.call` audit event, with the
// caller, its address and agent, the request id it was given, the error it got, and none of the secrets.
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListUsersCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIDDEN } from '../../../src/api/audit-redaction.js';
import { type ApiClient, ApiError, createApiClient } from '../../../src/cli/api-client.js';
import { NodeSha256 } from '../../../src/cli/node-sha256.js';
import type { AuditEvent, AuditSink, ManagementEvent } from '../../../src/core/audit.js';
import { waitFor } from '../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

type Keys = { accessKeyId: string; secretAccessKey: string };

const events: ManagementEvent[] = [];
const recorder: AuditSink = {
  emit(event: AuditEvent) {
    if (event.type === 'api.call') events.push(event);
  },
};

/** The one event carrying `requestId` (waits for it; fails if there are two). */
async function eventOf(requestId: string | undefined): Promise<ManagementEvent> {
  expect(requestId).toMatch(/^[0-9a-f]{16}$/);
  const e = await waitFor(() => events.find((x) => x.requestId === requestId), {
    what: `the api.call event of request ${requestId}`,
  });
  expect(events.filter((x) => x.requestId === requestId)).toHaveLength(1);
  return e;
}

/** The SDK error of a call that must fail. */
async function failure(p: Promise<unknown>): Promise<Error & { $metadata: { requestId?: string } }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error('expected the call to fail');
  return e as Error & { $metadata: { requestId?: string } };
}

describe('management API audit events through a real gateway', () => {
  let t: TestGateway;
  let admin: Keys;
  let account: string;
  let agent: Agent;
  let ca: string;
  let api: ApiClient;
  /** An IAM user with no policy at all. */
  let nobody: Keys;
  const iam = (k: Keys) =>
    new IAMClient({
      endpoint: t.gateway.apiUrl,
      region: 'us-east-1',
      credentials: k,
      requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
      maxAttempts: 1,
    });
  const sts = (k: Keys) =>
    new STSClient({
      endpoint: t.gateway.apiUrl,
      region: t.gateway.account.region,
      credentials: k,
      requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
      maxAttempts: 1,
    });

  /** A JSON API call signed like the CLI's, answering the status, body and x-amzn-requestid header. */
  async function signedJson(action: string, params: object, userAgent: string) {
    const url = new URL(t.gateway.apiUrl);
    const body = JSON.stringify(params);
    const signer = new SignatureV4({
      service: 'gatehouse',
      region: t.gateway.account.region,
      credentials: admin,
      sha256: NodeSha256,
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'https:',
      hostname: url.hostname,
      path: `/v1/${action}`,
      query: {},
      headers: {
        host: url.host,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': userAgent,
      },
      body,
    });
    return new Promise<{ status: number; json: Record<string, unknown>; requestId: string }>(
      (resolve, reject) => {
        const req = request(
          {
            method: 'POST',
            host: url.hostname,
            port: url.port,
            path: `/v1/${action}`,
            headers: signed.headers,
            ca,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
                requestId: String(res.headers['x-amzn-requestid']),
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      },
    );
  }

  beforeAll(async () => {
    t = await startTestGateway({ audit: recorder });
    admin = t.gateway.bootstrapKey as Keys;
    account = t.gateway.account.accountId;
    ca = await readFile(t.caFile, 'utf8');
    agent = new Agent({ ca });
    api = createApiClient({
      endpoint: new URL(t.gateway.apiUrl),
      region: t.gateway.account.region,
      credentials: admin,
      caPem: ca,
    });
  });
  afterAll(async () => {
    agent?.destroy();
    await t?.stop();
  });

  const adminArn = () => `arn:aws:iam::${account}:user/admin`;

  it('IAM calls by the AWS SDK: who, from where, with what agent, under the request id the SDK saw', async () => {
    const created = await iam(admin).send(new CreateUserCommand({ UserName: 'carol', Path: '/ops/' }));
    const e = await eventOf(created.$metadata.requestId);
    expect(e).toMatchObject({
      type: 'api.call',
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateUser',
      userIdentity: { type: 'IAMUser', arn: adminArn(), accountId: account, accessKeyId: admin.accessKeyId },
      sourceIPAddress: '127.0.0.1',
      requestParameters: { UserName: 'carol', Path: '/ops/' },
      responseElements: { User: expect.objectContaining({ UserName: 'carol', Arn: created.User?.Arn }) },
    });
    expect(e.userAgent).toMatch(/aws-sdk-js/);
    expect(e.errorCode).toBeUndefined();
    expect(Date.parse(e.at)).not.toBeNaN();

    const listed = await iam(admin).send(new ListUsersCommand({}));
    expect(await eventOf(listed.$metadata.requestId)).toMatchObject({
      eventName: 'ListUsers',
      requestParameters: {},
      responseElements: null,
    });
  });

  it('CreateAccessKey: the key id is recorded, the secret access key appears in no event', async () => {
    const key = await iam(admin).send(new CreateAccessKeyCommand({ UserName: 'carol' }));
    const secret = key.AccessKey?.SecretAccessKey as string;
    expect(secret).toHaveLength(40);
    const e = await eventOf(key.$metadata.requestId);
    expect(e.responseElements).toMatchObject({
      AccessKey: { UserName: 'carol', AccessKeyId: key.AccessKey?.AccessKeyId, SecretAccessKey: HIDDEN },
    });
    expect(JSON.stringify(events)).not.toContain(secret);
  });

  it('a principal without permission: AccessDenied, the message it got, its own identity', async () => {
    nobody = await t.createIamPrincipal('nobody', null);
    const denied = await failure(iam(nobody).send(new ListUsersCommand({})));
    expect(denied.name).toBe('AccessDenied');
    expect(await eventOf(denied.$metadata.requestId)).toMatchObject({
      eventSource: 'iam.amazonaws.com',
      eventName: 'ListUsers',
      userIdentity: {
        type: 'IAMUser',
        arn: `arn:aws:iam::${account}:user/nobody`,
        accountId: account,
        accessKeyId: nobody.accessKeyId,
      },
      errorCode: 'AccessDenied',
      errorMessage: denied.message,
      responseElements: null,
    });
  });

  it('STS GetCallerIdentity is recorded as sts.amazonaws.com, read-only', async () => {
    const me = await sts(admin).send(new GetCallerIdentityCommand({}));
    expect(await eventOf(me.$metadata.requestId)).toMatchObject({
      eventSource: 'sts.amazonaws.com',
      eventName: 'GetCallerIdentity',
      userIdentity: { type: 'IAMUser', arn: me.Arn, accountId: me.Account, accessKeyId: admin.accessKeyId },
      requestParameters: {},
      responseElements: null,
    });
  });

  it('a forged signature: Unknown identity with the key it named, SignatureDoesNotMatch', async () => {
    const forged = { accessKeyId: admin.accessKeyId, secretAccessKey: 'x'.repeat(40) };
    const refused = await failure(iam(forged).send(new CreateUserCommand({ UserName: 'mallory' })));
    expect(refused.name).toBe('SignatureDoesNotMatch');
    const e = await eventOf(refused.$metadata.requestId);
    expect(e).toMatchObject({
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateUser',
      userIdentity: { type: 'Unknown', accessKeyId: admin.accessKeyId },
      errorCode: 'SignatureDoesNotMatch',
      errorMessage: refused.message,
      requestParameters: { UserName: 'mallory' },
      responseElements: null,
    });
    expect(e.userIdentity.arn).toBeUndefined();
  });

  it('JSON API calls: gatehouse.api, passwords sent and generated appear in no event', async () => {
    await t.createInstance('audited');
    const sent = 'Sent-Password-4711';
    const created = await signedJson(
      'CreateDBUser',
      { DBInstanceIdentifier: 'audited', Username: 'mia', Auth: 'password', Password: sent },
      'gatehouse-cli/test',
    );
    expect(created.status).toBe(200);
    expect(await eventOf(created.requestId)).toMatchObject({
      eventSource: 'gatehouse.api',
      eventName: 'CreateDBUser',
      userIdentity: { type: 'IAMUser', arn: adminArn(), accountId: account, accessKeyId: admin.accessKeyId },
      sourceIPAddress: '127.0.0.1',
      userAgent: 'gatehouse-cli/test',
      requestParameters: {
        DBInstanceIdentifier: 'audited',
        Username: 'mia',
        Auth: 'password',
        Password: HIDDEN,
      },
      responseElements: { DBUser: expect.objectContaining({ Username: 'mia' }) },
    });

    const rotated = await api.call('RotateDBUserPassword', {
      DBInstanceIdentifier: 'audited',
      Username: 'mia',
    });
    const generated = rotated['Password'] as string;
    expect(generated.length).toBeGreaterThanOrEqual(16);
    const rotation = await waitFor(() => events.find((x) => x.eventName === 'RotateDBUserPassword'), {
      what: 'the RotateDBUserPassword event',
    });
    expect(rotation.responseElements).toMatchObject({ Password: HIDDEN });

    const invalid = await api
      .call('CreateDBUser', {
        DBInstanceIdentifier: 'audited',
        Username: 'bad',
        Auth: 'password',
        Password: 'Sh0rt!x',
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(invalid).toBeInstanceOf(ApiError);
    const v = invalid as ApiError;
    expect(await eventOf(v.requestId)).toMatchObject({
      eventName: 'CreateDBUser',
      errorCode: 'ValidationError',
      errorMessage: v.message,
      requestParameters: { Password: HIDDEN },
    });

    const all = JSON.stringify(events);
    for (const secret of [sent, generated, 'Sh0rt!x']) expect(all).not.toContain(secret);
  });

  it('a JSON call denied by policy: AccessDenied under the id the client got', async () => {
    const asNobody = createApiClient({
      endpoint: new URL(t.gateway.apiUrl),
      region: t.gateway.account.region,
      credentials: nobody,
      caPem: ca,
    });
    const denied = await asNobody.call('DeleteDBInstance', { DBInstanceIdentifier: 'audited' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(denied).toBeInstanceOf(ApiError);
    const d = denied as ApiError;
    expect(d.code).toBe('AccessDenied');
    expect(await eventOf(d.requestId)).toMatchObject({
      eventSource: 'gatehouse.api',
      eventName: 'DeleteDBInstance',
      userIdentity: {
        type: 'IAMUser',
        arn: `arn:aws:iam::${account}:user/nobody`,
        accessKeyId: nobody.accessKeyId,
      },
      requestParameters: { DBInstanceIdentifier: 'audited' },
      errorCode: 'AccessDenied',
      errorMessage: d.message,
      responseElements: null,
    });
  });

  it('an inline policy document is recorded as sent', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: '*' }],
    });
    const put = await iam(admin).send(
      new PutUserPolicyCommand({ UserName: 'nobody', PolicyName: 'describe', PolicyDocument: policy }),
    );
    expect((await eventOf(put.$metadata.requestId)).requestParameters).toEqual({
      UserName: 'nobody',
      PolicyName: 'describe',
      PolicyDocument: policy,
    });
  });

  it('every call above left exactly one event, and no event holds a secret', () => {
    const ids = events.map((e) => e.requestId);
    expect(new Set(ids).size).toBe(ids.length);
    const all = JSON.stringify(events);
    expect(all).not.toContain(admin.secretAccessKey);
    expect(all).not.toContain(nobody.secretAccessKey);
  });
});
