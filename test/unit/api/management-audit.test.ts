// The management API emits one `api.call` event per call (JSON and Query APIs), whatever refused it and even when
// the client hung up before the answer; events carry the request id the caller saw and never a secret.
import { request } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HIDDEN } from '../../../src/api/audit-redaction.js';
import { type RunningApiServer, startApiServer } from '../../../src/api/server.js';
import { NodeSha256 } from '../../../src/cli/node-sha256.js';
import type { AuditEvent, AuditSink, ManagementEvent } from '../../../src/core/audit.js';
import { OffsetClock } from '../../../src/core/clock.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { InstanceView } from '../../../src/core/types.js';
import { waitFor } from '../../support/eventually.js';
import { ACCOUNT, MemoryIam } from './query/support/memory-iam.js';
import { MemorySts, RecordingAuthorizer, RecordingSimulator } from './query/support/memory-sts.js';
import { ADMIN, ADMIN_ARN, type QueryFixture } from './query/support/query-fixture.js';
import { rawQuery } from './query/support/raw-query.js';
import { SessionKeys } from './query/support/session-keys.js';
import { ADMIN_KEY, type ApiFixture } from './support/api-fixture.js';
import { httpsCall } from './support/https-call.js';
import { MemoryControlPlane } from './support/memory-control-plane.js';
import { selfSignedCert, type TestCert } from './support/self-signed.js';

/** DescribeDBInstances waits for `release` while a gate is set, so a test can hang up mid-call. */
class GatedControlPlane extends MemoryControlPlane {
  gate: { entered: () => void; release: Promise<void> } | undefined;
  override async describeInstances(identifier?: string): Promise<InstanceView[]> {
    const gate = this.gate;
    if (gate) {
      this.gate = undefined;
      gate.entered();
      await gate.release;
    }
    return super.describeInstances(identifier);
  }
}

const READER = {
  accessKeyId: 'AKIAREADERREADER0001',
  secretAccessKey: 'readerSecretreaderSecretreaderSecretread',
};
const READER_ARN = `arn:aws:iam::${ACCOUNT}:user/reader`;

let server: RunningApiServer;
let cert: TestCert;
let cp: GatedControlPlane;
const events: ManagementEvent[] = [];
const recorder: AuditSink = {
  emit(event: AuditEvent) {
    if (event.type === 'api.call') events.push(event);
  },
};
// The support helpers only read the server's URL and certificate.
const api = () => ({ server, cert }) as unknown as ApiFixture;
const query = () => ({ server, cert }) as unknown as QueryFixture;

async function eventOf(requestId: unknown): Promise<ManagementEvent> {
  expect(typeof requestId).toBe('string');
  return waitFor(() => events.find((e) => e.requestId === requestId), { what: `the event of ${requestId}` });
}

beforeAll(async () => {
  cert = selfSignedCert();
  const keys = new SessionKeys();
  keys.add({ ...ADMIN, principalArn: ADMIN_ARN });
  keys.add({ ...ADMIN_KEY, principalArn: ADMIN_ARN });
  keys.add({ ...READER, principalArn: READER_ARN });
  const iam = new MemoryIam(keys);
  await iam.createUser({ UserName: 'admin' });
  await iam.createUser({ UserName: 'reader' });
  const clock = new OffsetClock();
  cp = new GatedControlPlane();
  server = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    tls: cert,
    controlPlane: cp,
    keys,
    region: 'us-east-1',
    clock,
    logger: silentLogger,
    authorize: ({ principalArn, action }) => {
      if (principalArn === READER_ARN && !action.startsWith('Describe')) {
        throw new GatehouseError('GH_API_ACCESS_DENIED', { principal: principalArn, action, resource: '*' });
      }
    },
    query: {
      iam,
      sts: new MemorySts(iam, keys, clock),
      simulate: new RecordingSimulator().simulate,
      authorize: new RecordingAuthorizer().authorize,
    },
    audit: recorder,
  });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(() => {
  events.length = 0;
  cp.instances.clear();
  cp.users.clear();
});

const DEMO = {
  DBInstanceIdentifier: 'demo',
  Engine: 'postgres',
  BackendUrl: 'postgres://admin:backend-pw-123@127.0.0.1:5432/app',
  Listen: '127.0.0.1:5433',
};

describe('JSON API events', () => {
  it('records a successful mutating call with its parameters and response, secrets hidden', async () => {
    const created = await httpsCall(api(), { path: '/v1/CreateDBInstance', body: JSON.stringify(DEMO) });
    expect(created.status).toBe(200);
    const user = await httpsCall(api(), {
      path: '/v1/CreateDBUser',
      body: JSON.stringify({
        DBInstanceIdentifier: 'demo',
        Username: 'mia',
        Auth: 'password',
        Password: 'mia-pw-456',
      }),
      headers: { 'user-agent': 'test-agent/1.0' },
    });
    const rotated = await httpsCall(api(), {
      path: '/v1/RotateDBUserPassword',
      body: JSON.stringify({ DBInstanceIdentifier: 'demo', Username: 'mia' }),
    });
    const generated = (rotated.json as { Password?: string }).Password;
    expect(generated).toEqual(expect.any(String));

    const e = await eventOf(user.headers['x-amzn-requestid']);
    expect(e).toEqual({
      type: 'api.call',
      at: expect.any(String),
      requestId: user.headers['x-amzn-requestid'],
      eventSource: 'gatehouse.api',
      eventName: 'CreateDBUser',
      userIdentity: {
        type: 'IAMUser',
        arn: ADMIN_ARN,
        accountId: ACCOUNT,
        accessKeyId: ADMIN_KEY.accessKeyId,
      },
      sourceIPAddress: '127.0.0.1',
      userAgent: 'test-agent/1.0',
      requestParameters: {
        DBInstanceIdentifier: 'demo',
        Username: 'mia',
        Auth: 'password',
        Password: HIDDEN,
      },
      responseElements: { DBUser: expect.objectContaining({ Username: 'mia', Auth: 'password' }) },
    });
    const r = await eventOf(rotated.headers['x-amzn-requestid']);
    expect(r.responseElements).toEqual({ DBUser: expect.anything(), Password: HIDDEN });
    const c = await eventOf(created.headers['x-amzn-requestid']);
    expect(c.requestParameters?.['BackendUrl']).toBe(`postgres://admin:${HIDDEN}@127.0.0.1:5432/app`);
    const all = JSON.stringify(events);
    for (const secret of ['backend-pw-123', 'mia-pw-456', generated as string])
      expect(all).not.toContain(secret);
  });

  it('records read-only calls with null responseElements', async () => {
    const res = await httpsCall(api(), { path: '/v1/DescribeDBInstances', body: '{}' });
    expect(await eventOf(res.headers['x-amzn-requestid'])).toMatchObject({
      eventName: 'DescribeDBInstances',
      requestParameters: {},
      responseElements: null,
    });
  });

  it('records refusals with the code and message the caller got', async () => {
    const cases: Array<{
      call: Parameters<typeof httpsCall>[1];
      code: string;
      identity: object;
      params?: unknown;
    }> = [
      {
        call: { path: '/v1/NoSuchAction', body: '{"A":1}' },
        code: 'InvalidAction',
        identity: { type: 'IAMUser', arn: ADMIN_ARN },
        params: { A: 1 },
      },
      {
        call: { path: '/v1/CreateDBUser', body: '{"DBInstanceIdentifier":"demo","Password":"x-pw-789"}' },
        code: 'ValidationError',
        identity: { type: 'IAMUser' },
        params: { DBInstanceIdentifier: 'demo', Password: HIDDEN },
      },
      {
        call: { path: '/v1/DescribeDBInstances', body: 'not json' },
        code: 'ValidationError',
        identity: {},
        params: null,
      },
      {
        call: { path: '/v1/DescribeDBInstances', body: '{}', sign: false },
        code: 'MissingAuthenticationToken',
        identity: { type: 'Unknown' },
      },
      {
        call: { path: '/v1/DescribeDBInstances', body: '{}', sign: { secretAccessKey: 'wrong-secret' } },
        code: 'SignatureDoesNotMatch',
        identity: { type: 'Unknown', accessKeyId: ADMIN_KEY.accessKeyId },
      },
      {
        call: { path: '/v1/DeleteDBInstance', body: '{"DBInstanceIdentifier":"demo"}', sign: READER },
        code: 'AccessDenied',
        identity: { type: 'IAMUser', arn: READER_ARN, accessKeyId: READER.accessKeyId },
      },
      { call: { method: 'GET', path: '/v1/DescribeDBInstances' }, code: 'InvalidAction', identity: {} },
    ];
    for (const c of cases) {
      const res = await httpsCall(api(), c.call);
      const e = await eventOf(res.headers['x-amzn-requestid']);
      expect(e.errorCode, c.call.path).toBe(res.json.Error?.Code);
      expect(e).toMatchObject({
        errorCode: c.code,
        errorMessage: res.json.Error?.Message,
        userIdentity: c.identity,
        responseElements: null,
      });
      if (c.identity && (c.identity as { type?: string }).type === 'Unknown')
        expect(e.userIdentity.arn).toBeUndefined();
      if ('params' in c) expect(e.requestParameters).toEqual(c.params);
    }
    expect(JSON.stringify(events)).not.toContain('x-pw-789');
  });

  it('records a body too large to read, without its parameters', async () => {
    const res = await httpsCall(api(), {
      path: '/v1/CreateDBInstance',
      body: JSON.stringify({ Password: 'p'.repeat(1024 * 1024 + 10) }),
    });
    expect(res.status).toBe(413);
    expect(await eventOf(res.headers['x-amzn-requestid'])).toMatchObject({
      eventName: 'CreateDBInstance',
      errorCode: 'RequestEntityTooLarge',
      requestParameters: null,
    });
  });

  it('emits nothing for /healthz', async () => {
    const res = await httpsCall(api(), { method: 'GET', path: '/healthz', sign: false });
    const marker = await httpsCall(api(), { path: '/v1/NoSuchAction', body: '{}' });
    await eventOf(marker.headers['x-amzn-requestid']);
    expect(events.map((e) => e.requestId)).not.toContain(res.headers['x-amzn-requestid']);
    expect(events).toHaveLength(1);
  });

  it('emits exactly one event for a call whose client hung up before the answer', async () => {
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release!: () => void;
    cp.gate = { entered, release: new Promise<void>((resolve) => (release = resolve)) };
    const url = new URL(server.url);
    const body = '{}';
    const signer = new SignatureV4({
      service: 'gatehouse',
      region: 'us-east-1',
      credentials: ADMIN_KEY,
      sha256: NodeSha256,
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'https:',
      hostname: url.hostname,
      path: '/v1/DescribeDBInstances',
      query: {},
      headers: { host: url.host, 'content-type': 'application/json', 'content-length': '2' },
      body,
    });
    const req = request({
      method: 'POST',
      host: url.hostname,
      port: url.port,
      path: '/v1/DescribeDBInstances',
      headers: signed.headers,
      ca: cert.certPem,
    });
    const closed = new Promise<void>((resolve) => req.on('close', () => resolve()));
    req.on('error', () => {});
    req.end(body);
    await inside;
    req.destroy();
    await closed;
    // A full round trip on another connection: by then the server has seen the first one close.
    await httpsCall(api(), { method: 'GET', path: '/healthz', sign: false });
    release();
    const e = await waitFor(() => events.find((x) => x.eventName === 'DescribeDBInstances'), {
      what: 'the event of the abandoned call',
    });
    expect(e).toMatchObject({ userIdentity: { type: 'IAMUser', arn: ADMIN_ARN }, responseElements: null });
    expect(e.errorCode).toBeUndefined();
    // Events are emitted in order: once a later call's event is in, no second one for the abandoned call is due.
    const marker = await httpsCall(api(), { path: '/v1/NoSuchAction', body: '{}' });
    await eventOf(marker.headers['x-amzn-requestid']);
    expect(events.filter((x) => x.eventName === 'DescribeDBInstances')).toHaveLength(1);
  });
});

describe('Query API events', () => {
  it('records the Query parameters without Action, Version and the presigning ones', async () => {
    const res = await rawQuery(query(), {
      method: 'GET',
      service: 'sts',
      presign: true,
      params: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    });
    expect(res.status).toBe(200);
    expect(await eventOf(res.headers['x-amzn-requestid'])).toMatchObject({
      eventSource: 'sts.amazonaws.com',
      eventName: 'GetCallerIdentity',
      userIdentity: { type: 'IAMUser', arn: ADMIN_ARN, accessKeyId: ADMIN.accessKeyId },
      requestParameters: {},
      responseElements: null,
    });
  });

  it('decodes member lists, and names the service the refused request was signed for', async () => {
    const tagged = await rawQuery(query(), {
      params: {
        Action: 'CreateUser',
        Version: '2010-05-08',
        UserName: 'tagged',
        'Tags.member.1.Key': 'team',
        'Tags.member.1.Value': 'db',
      },
    });
    expect(await eventOf(tagged.headers['x-amzn-requestid'])).toMatchObject({
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateUser',
      requestParameters: { UserName: 'tagged', Tags: [{ Key: 'team', Value: 'db' }] },
      responseElements: { User: expect.objectContaining({ UserName: 'tagged' }) },
    });
    const badSts = await rawQuery(query(), {
      service: 'sts',
      credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey: 'wrong' },
      params: {
        Action: 'AssumeRole',
        Version: '2011-06-15',
        RoleArn: 'arn:aws:iam::1:role/r',
        RoleSessionName: 's',
      },
    });
    expect(await eventOf(badSts.headers['x-amzn-requestid'])).toMatchObject({
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      userIdentity: { type: 'Unknown', accessKeyId: ADMIN.accessKeyId },
      errorCode: 'SignatureDoesNotMatch',
      requestParameters: { RoleArn: 'arn:aws:iam::1:role/r', RoleSessionName: 's' },
    });
    const unsigned = await rawQuery(query(), {
      credentials: false,
      body: 'Action=ListUsers&Action=ListRoles',
    });
    expect(await eventOf(unsigned.headers['x-amzn-requestid'])).toMatchObject({
      eventSource: 'iam.amazonaws.com',
      eventName: 'ListUsers',
      userIdentity: { type: 'Unknown' },
      errorCode: 'MissingAuthenticationToken',
    });
    const unknown = await rawQuery(query(), { params: { Action: 'LaunchRockets', Version: '2010-05-08' } });
    expect(await eventOf(unknown.headers['x-amzn-requestid'])).toMatchObject({
      eventName: 'LaunchRockets',
      errorCode: 'InvalidAction',
      userIdentity: { type: 'IAMUser' },
    });
  });
});
