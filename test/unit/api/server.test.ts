import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer } from '../../../src/api/server.js';
import { ApiError, createApiClient } from '../../../src/cli/api-client.js';
import { systemClock } from '../../../src/core/clock.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { ADMIN_KEY, type ApiFixture, startApiFixture } from './support/api-fixture.js';
import { httpsCall } from './support/https-call.js';
import { MemoryControlPlane, MemoryKeys } from './support/memory-control-plane.js';

let fx: ApiFixture;

function client(f: ApiFixture = fx) {
  return createApiClient({
    endpoint: new URL(f.server.url),
    region: 'us-east-1',
    credentials: ADMIN_KEY,
    caPem: f.cert.certPem,
  });
}

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

const DEMO = {
  DBInstanceIdentifier: 'demo',
  Engine: 'postgres',
  BackendUrl: 'postgres://admin:pw@127.0.0.1:5432/app',
  Listen: '127.0.0.1:5433',
};

beforeAll(async () => {
  fx = await startApiFixture();
});
afterAll(async () => {
  await fx.server.close();
});
beforeEach(() => {
  fx.cp.instances.clear();
  fx.cp.users.clear();
  fx.clock.offsetMs = 0;
});

describe('management API over HTTPS', () => {
  it('answers /healthz without authentication and returns the real port when asked for port 0', async () => {
    expect(fx.server.port).toBeGreaterThan(0);
    expect(fx.server.url).toBe(`https://127.0.0.1:${fx.server.port}`);
    const res = await httpsCall(fx, { method: 'GET', path: '/healthz', sign: false });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
    expect(res.headers['x-amzn-requestid']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('creates, describes, modifies and deletes an instance through the control plane', async () => {
    const c = client();
    const created = await c.call('CreateDBInstance', { ...DEMO, ForceSsl: true });
    expect(created['DBInstance']).toMatchObject({ DBInstanceIdentifier: 'demo', ForceSsl: true });
    const listed = await c.call('DescribeDBInstances', {});
    expect(listed['DBInstances']).toHaveLength(1);
    const modified = await c.call('ModifyDBInstance', {
      DBInstanceIdentifier: 'demo',
      ForceSsl: false,
      Listen: '127.0.0.1:6000',
    });
    expect(modified['DBInstance']).toMatchObject({ ForceSsl: false, Endpoint: { Port: 6000 } });
    await c.call('DeleteDBInstance', { DBInstanceIdentifier: 'demo' });
    expect(await c.call('DescribeDBInstances', {})).toEqual({ DBInstances: [] });
  });

  it('returns a generated password only when the gateway generated it', async () => {
    const c = client();
    await c.call('CreateDBInstance', DEMO);
    const generated = await c.call('CreateDBUser', {
      DBInstanceIdentifier: 'demo',
      Username: 'app',
      Auth: 'password',
    });
    expect(generated['Password']).toBe('generated-password-0123456789');
    const chosen = await c.call('CreateDBUser', {
      DBInstanceIdentifier: 'demo',
      Username: 'bob',
      Auth: 'password',
      Password: 'correct horse battery',
    });
    expect(chosen).not.toHaveProperty('Password');
    expect(fx.cp.users.get('demo/bob')?.password).toBe('correct horse battery');
    const users = await c.call('ListDBUsers', { DBInstanceIdentifier: 'demo' });
    expect((users['DBUsers'] as unknown[]).length).toBe(2);
    const rotated = await c.call('RotateDBUserPassword', {
      DBInstanceIdentifier: 'demo',
      Username: 'app',
      GraceSeconds: 60,
    });
    expect(rotated['Password']).toBe('rotated-password-0123456789');
    expect(fx.cp.lastRotation).toMatchObject({ instance: 'demo', username: 'app', graceSeconds: 60 });
    expect(await c.call('DeleteDBUser', { DBInstanceIdentifier: 'demo', Username: 'bob' })).toMatchObject({
      DBUser: { Username: 'bob' },
    });
  });

  it('a missing parameter is a validation error naming the field, with the request id in message and header', async () => {
    const res = await httpsCall(fx, {
      path: '/v1/CreateDBInstance',
      // BackendUrl and Listen may be left out (the gateway's defaults, docs/rds-api.md); the identifier may not.
      body: JSON.stringify({ ...DEMO, DBInstanceIdentifier: undefined }),
    });
    expect(res.status).toBe(400);
    const err = res.json.Error!;
    expect(err).toMatchObject({ Code: 'ValidationError', GatehouseCode: 'GH_API_VALIDATION' });
    expect(err.Message).toContain('DBInstanceIdentifier is required');
    expect(err.RequestId).toBe(res.headers['x-amzn-requestid']);
    expect(err.Message).toContain(`(request id ${err.RequestId})`);
  });

  it('an invalid value or unknown parameter is refused naming it', async () => {
    const c = client();
    const bad = await apiError(c.call('CreateDBInstance', { ...DEMO, Listen: 'nowhere' }));
    expect(bad.gatehouseCode).toBe('GH_API_VALIDATION');
    expect(bad.message).toContain('Listen: expected HOST:PORT');
    const typo = await apiError(c.call('CreateDBInstance', { ...DEMO, BackendURL: 'x' }));
    expect(typo.message).toContain('unknown parameter BackendURL');
    const name = await apiError(c.call('DeleteDBInstance', { DBInstanceIdentifier: 'bad--name' }));
    expect(name.message).toContain('DBInstanceIdentifier:');
  });

  it('accepts a signed call whatever its Content-Type, or with none (AWS SDKs send x-amz-json-1.1)', async () => {
    for (const type of ['', 'application/x-amz-json-1.1', 'text/plain']) {
      const res = await httpsCall(fx, {
        path: '/v1/DescribeDBInstances',
        body: '{}',
        headers: { 'content-type': type },
      });
      expect(res.status, type).toBe(200);
      expect(res.json).toEqual({ DBInstances: [] });
    }
  });

  it('a body that is not JSON is a validation error', async () => {
    const res = await httpsCall(fx, { path: '/v1/DescribeDBInstances', body: '{not json' });
    expect(res.status).toBe(400);
    expect(res.json.Error?.Message).toContain('not valid JSON');
  });

  it('an unknown action is refused as such', async () => {
    const e = await apiError(client().call('DropEverything', {}));
    expect(e).toMatchObject({ status: 400, code: 'InvalidAction', gatehouseCode: 'GH_API_UNKNOWN_ACTION' });
    expect(e.message).toContain('DropEverything');
  });

  it("maps the control plane's GatehouseErrors to their registry status and AWS code", async () => {
    const e = await apiError(client().call('DeleteDBInstance', { DBInstanceIdentifier: 'ghost' }));
    expect(e).toMatchObject({
      status: 404,
      code: 'DBInstanceNotFound',
      gatehouseCode: 'GH_INSTANCE_NOT_FOUND',
    });
    expect(e.message).toContain('DB instance ghost not found');
  });

  it('an unexpected error is GH_INTERNAL: the stack is logged under the request id, never sent', async () => {
    fx.cp.failNext = new Error('secret internal detail');
    const res = await httpsCall(fx, { path: '/v1/DescribeDBInstances', body: '{}' });
    expect(res.status).toBe(500);
    expect(res.json.Error).toMatchObject({ Code: 'InternalFailure', GatehouseCode: 'GH_INTERNAL' });
    expect(res.text).not.toContain('secret internal detail');
    const id = res.headers['x-amzn-requestid'];
    const logged = fx.logLines().find((l) => l['requestId'] === id && l['level'] === 50);
    expect(JSON.stringify(logged)).toContain('secret internal detail');
    expect(JSON.stringify(logged)).toContain('at ');
  });

  it('an unsigned call is refused with 403 MissingAuthenticationToken', async () => {
    const res = await httpsCall(fx, { path: '/v1/DescribeDBInstances', body: '{}', sign: false });
    expect(res.status).toBe(403);
    expect(res.json.Error).toMatchObject({
      Code: 'MissingAuthenticationToken',
      GatehouseCode: 'GH_API_MISSING_AUTH',
    });
  });

  it('a call signed for another region is refused', async () => {
    const res = await httpsCall(fx, {
      path: '/v1/DescribeDBInstances',
      body: '{}',
      sign: { region: 'eu-west-1' },
    });
    expect(res.status).toBe(403);
    expect(res.json.Error?.Code).toBe('SignatureDoesNotMatch');
    expect(res.json.Error?.GatehouseCode).toBe('GH_API_WRONG_REGION');
  });

  it('a call whose signing time is 10 minutes from server time is refused as expired', async () => {
    fx.clock.offsetMs = 10 * 60_000;
    const e = await apiError(client().call('DescribeDBInstances', {}));
    expect(e).toMatchObject({ status: 403, code: 'RequestExpired', gatehouseCode: 'GH_API_REQUEST_EXPIRED' });
  });

  it('an inactive key is refused', async () => {
    fx.keys.add({ accessKeyId: 'AKIAINACTIVEINACTIVE', secretAccessKey: 's', status: 'Inactive' });
    const res = await httpsCall(fx, {
      path: '/v1/DescribeDBInstances',
      body: '{}',
      sign: { accessKeyId: 'AKIAINACTIVEINACTIVE', secretAccessKey: 's' },
    });
    expect(res.json.Error?.GatehouseCode).toBe('GH_API_INVALID_KEY');
  });

  it('a body over 1 MiB is refused before it is processed', async () => {
    const body = JSON.stringify({ DBInstanceIdentifier: 'x'.repeat(1024 * 1024) });
    const res = await httpsCall(fx, { path: '/v1/DescribeDBInstances', body });
    expect(res.status).toBe(413);
    expect(res.json.Error?.GatehouseCode).toBe('GH_API_BODY_TOO_LARGE');
    expect(res.json.Error?.Message).toContain('1048576-byte limit');
  });

  it('logs each call with action, principal, status and request id, but never the body', async () => {
    const c = client();
    await c.call('CreateDBInstance', DEMO);
    await c.call('CreateDBUser', {
      DBInstanceIdentifier: 'demo',
      Username: 'carol',
      Auth: 'password',
      Password: 'hunter2hunter2',
    });
    const entry = fx
      .logLines()
      .find((l) => l['msg'] === 'management API call' && l['action'] === 'CreateDBUser');
    expect(entry).toMatchObject({ principal: 'arn:aws:iam::123456789012:user/admin', status: 200 });
    expect(entry?.['requestId']).toMatch(/^[0-9a-f]{16}$/);
    expect(typeof entry?.['ms']).toBe('number');
    expect(fx.logText()).not.toContain('hunter2hunter2');
    expect(fx.logText()).not.toContain('generated-password');
  });
});

describe('management API options', () => {
  it('the authorize hook sees the principal, action and params, and its refusal is returned', async () => {
    const seen: string[] = [];
    const f = await startApiFixture({
      authorize: ({ principalArn, action, params }) => {
        seen.push(`${principalArn} ${action} ${String(params['DBInstanceIdentifier'])}`);
        if (action === 'DeleteDBInstance')
          throw new GatehouseError('GH_API_VALIDATION', { reason: 'denied by policy' });
      },
    });
    try {
      await client(f).call('CreateDBInstance', DEMO);
      const e = await apiError(client(f).call('DeleteDBInstance', { DBInstanceIdentifier: 'demo' }));
      expect(e.message).toContain('denied by policy');
      expect(f.cp.instances.has('demo')).toBe(true);
      expect(seen).toEqual([
        'arn:aws:iam::123456789012:user/admin CreateDBInstance demo',
        'arn:aws:iam::123456789012:user/admin DeleteDBInstance demo',
      ]);
    } finally {
      await f.server.close();
    }
  });

  it('a taken port is reported as GH_PORT_IN_USE naming --api-port', async () => {
    const e = await startApiServer({
      host: '127.0.0.1',
      port: fx.server.port,
      tls: null,
      controlPlane: new MemoryControlPlane(),
      keys: new MemoryKeys(),
      region: 'us-east-1',
      clock: systemClock,
      logger: silentLogger,
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(GatehouseError);
    expect((e as GatehouseError).code).toBe('GH_PORT_IN_USE');
    expect((e as GatehouseError).message).toContain('--api-port');
  });
});
