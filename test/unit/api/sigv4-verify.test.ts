import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { type SignedRequest, verifySigV4 } from '../../../src/api/sigv4-verify.js';
import { createApiClient } from '../../../src/cli/api-client.js';
import { ManualClock } from '../../../src/core/clock.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { MemoryKeys } from './support/memory-control-plane.js';
import { presign, type SignWith, signHeaders } from './support/sign.js';

const NOW = new Date('2025-03-01T12:00:00Z');
const KEY = {
  accessKeyId: 'AKIAGATEHOUSETEST001',
  secretAccessKey: 'secret/with+chars0123456789abcdefghijklm',
};

let keys: MemoryKeys;
let clock: ManualClock;
const signWith = (over: Partial<SignWith> = {}): SignWith => ({ ...KEY, signingDate: NOW, ...over });
const verify = (req: SignedRequest, region = 'us-east-1') =>
  verifySigV4(req, { keys, clock, service: 'gatehouse', region });

async function refusal(p: Promise<unknown>): Promise<GatehouseError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GatehouseError);
  return e as GatehouseError;
}

beforeEach(() => {
  keys = new MemoryKeys();
  keys.add(KEY);
  clock = new ManualClock(NOW);
});

describe('SigV4 verification: accepted requests', () => {
  it('matches the AWS SigV4 test suite vector get-vanilla', async () => {
    keys.add({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' });
    clock.set(new Date('2015-08-30T12:36:00Z'));
    const req: SignedRequest = {
      method: 'GET',
      path: '/',
      query: {},
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
      body: Buffer.alloc(0),
    };
    const caller = await verifySigV4(req, { keys, clock, service: 'service', region: 'us-east-1' });
    expect(caller.accessKeyId).toBe('AKIDEXAMPLE');
  });

  it('accepts a header-form request signed by @smithy/signature-v4 and names the principal', async () => {
    const caller = await verify(await signHeaders({ body: '{"DBInstanceIdentifier":"demo"}' }, signWith()));
    expect(caller).toMatchObject({
      accessKeyId: KEY.accessKeyId,
      principalArn: 'arn:aws:iam::123456789012:user/admin',
    });
  });

  it('accepts a header-form request without x-amz-content-sha256 (hash taken from the body)', async () => {
    const req = await signHeaders({ body: '{"a":1}' }, signWith({ applyChecksum: false }));
    expect(req.headers['x-amz-content-sha256']).toBeUndefined();
    await expect(verify(req)).resolves.toMatchObject({ accessKeyId: KEY.accessKeyId });
  });

  it('accepts a presigned (query-form) request and reports its session token', async () => {
    const req = await presign(
      { query: { Action: 'connect', DBUser: 'alice' } },
      signWith({ sessionToken: 'tok/en+=' }),
    );
    expect(req.headers['authorization']).toBeUndefined();
    await expect(verify(req)).resolves.toMatchObject({
      accessKeyId: KEY.accessKeyId,
      sessionToken: 'tok/en+=',
    });
  });

  it('accepts requests signed by the CLI api-client as received by a real HTTP server', async () => {
    const captured: SignedRequest[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const [path = '/'] = (req.url ?? '/').split('?');
        captured.push({
          method: req.method ?? '',
          path,
          query: {},
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const client = createApiClient({
        endpoint: new URL(`http://127.0.0.1:${port}`),
        region: 'us-east-1',
        credentials: { ...KEY, sessionToken: 'session-token' },
      });
      clock = new ManualClock(new Date());
      await client.call('CreateDBUser', {
        DBInstanceIdentifier: 'demo',
        Username: 'ünïcode user',
        Auth: 'password',
      });
      const req = captured[0]!;
      await expect(verify(req)).resolves.toMatchObject({
        accessKeyId: KEY.accessKeyId,
        sessionToken: 'session-token',
      });
      // The same bytes with one parameter changed must not verify.
      const tampered = { ...req, body: Buffer.from(req.body.toString().replace('demo', 'prod')) };
      expect((await refusal(verify(tampered))).code).toBe('GH_API_SIGNATURE_MISMATCH');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('verifies any path, query and body the AWS SDK signer produces, and refuses any changed body byte', async () => {
    const segment = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '.' && s !== '..');
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { maxLength: 3 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        async (segments, query, bytes, flip) => {
          const path = `/${segments.map(encodeURIComponent).join('/')}`;
          const body = Buffer.from(bytes);
          const req = await signHeaders({ path, query: { ...query }, body }, signWith());
          await expect(verify(req)).resolves.toBeDefined();
          const changed = Buffer.from(body);
          changed[flip % changed.length]! ^= 0x01;
          expect((await refusal(verify({ ...req, body: changed }))).code).toBe('GH_API_SIGNATURE_MISMATCH');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('ignores headers the client did not sign (proxies may add them)', async () => {
    const req = await signHeaders({}, signWith());
    await expect(
      verify({ ...req, headers: { ...req.headers, 'x-forwarded-for': '10.0.0.1' } }),
    ).resolves.toBeDefined();
  });
});

describe('SigV4 verification: refused requests', () => {
  it('an unsigned request is refused as missing authentication', async () => {
    const req = await signHeaders({}, signWith());
    const { authorization: _, ...headers } = req.headers;
    expect((await refusal(verify({ ...req, headers }))).code).toBe('GH_API_MISSING_AUTH');
  });

  it('a changed body is refused even when x-amz-content-sha256 was left as signed', async () => {
    const req = await signHeaders({ body: '{"Username":"alice"}' }, signWith());
    const e = await refusal(verify({ ...req, body: Buffer.from('{"Username":"mallory"}') }));
    expect(e.code).toBe('GH_API_SIGNATURE_MISMATCH');
    expect(e.detail).toMatch(/x-amz-content-sha256/);
  });

  it('a changed body is refused when the signer sent no payload hash header', async () => {
    const req = await signHeaders({ body: '{"Username":"alice"}' }, signWith({ applyChecksum: false }));
    expect((await refusal(verify({ ...req, body: Buffer.from('{"Username":"mallory"}') }))).code).toBe(
      'GH_API_SIGNATURE_MISMATCH',
    );
  });

  it('a body hash header rewritten to match a changed body is refused', async () => {
    const req = await signHeaders({ body: '{"a":1}' }, signWith());
    const { createHash } = await import('node:crypto');
    const body = Buffer.from('{"a":2}');
    const headers = {
      ...req.headers,
      'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
    };
    expect((await refusal(verify({ ...req, body, headers }))).code).toBe('GH_API_SIGNATURE_MISMATCH');
  });

  it('UNSIGNED-PAYLOAD is refused because the body would be unprotected', async () => {
    const req = await signHeaders({ headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, signWith());
    const e = await refusal(verify(req));
    expect(e.code).toBe('GH_API_SIGNATURE_MISMATCH');
    expect(e.detail).toMatch(/UNSIGNED-PAYLOAD/);
  });

  it('a changed signed header is refused', async () => {
    const req = await signHeaders({}, signWith());
    const e = await refusal(verify({ ...req, headers: { ...req.headers, host: 'evil.test:8433' } }));
    expect(e.code).toBe('GH_API_SIGNATURE_MISMATCH');
  });

  it('a changed path or query is refused', async () => {
    const req = await signHeaders({ query: { a: '1' } }, signWith());
    expect((await refusal(verify({ ...req, path: '/v1/DeleteDBInstance' }))).code).toBe(
      'GH_API_SIGNATURE_MISMATCH',
    );
    expect((await refusal(verify({ ...req, query: { a: '2' } }))).code).toBe('GH_API_SIGNATURE_MISMATCH');
  });

  it('a signature made with the wrong secret is refused', async () => {
    const req = await signHeaders({}, signWith({ secretAccessKey: `${KEY.secretAccessKey}x` }));
    expect((await refusal(verify(req))).code).toBe('GH_API_SIGNATURE_MISMATCH');
  });

  it('a presigned request with a changed query parameter is refused', async () => {
    const req = await presign({ query: { DBUser: 'alice' } }, signWith());
    expect((await refusal(verify({ ...req, query: { ...req.query, DBUser: 'admin' } }))).code).toBe(
      'GH_API_SIGNATURE_MISMATCH',
    );
  });

  it('an unknown access key is refused as invalid, naming the key', async () => {
    const req = await signHeaders({}, signWith({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00' }));
    const e = await refusal(verify(req));
    expect(e.code).toBe('GH_API_INVALID_KEY');
    expect(e.message).toContain('AKIAUNKNOWNUNKNOWN00');
  });

  it('an inactive key is refused even with a correct signature', async () => {
    keys.add({ ...KEY, status: 'Inactive' });
    const e = await refusal(verify(await signHeaders({}, signWith())));
    expect(e.code).toBe('GH_API_INVALID_KEY');
    expect(e.detail).toMatch(/inactive/);
  });

  it('a scope naming another region is refused with a client message naming both regions', async () => {
    const req = await signHeaders({}, signWith({ region: 'eu-west-1' }));
    const e = await refusal(verify(req));
    expect(e.code).toBe('GH_API_WRONG_REGION');
    expect(e.spec.awsCode).toBe('SignatureDoesNotMatch');
    expect(e.message).toContain('"us-east-1"');
    expect(e.message).toContain('"eu-west-1"');
    expect(keys.lookups).toBe(0);
  });

  it('a scope naming another service is refused as UnknownService naming both, before the key is looked up', async () => {
    const req = await signHeaders({}, signWith({ service: 'iam' }));
    const e = await refusal(verify(req));
    expect(e.code).toBe('GH_API_UNKNOWN_SERVICE');
    expect(e.spec.awsCode).toBe('UnknownService');
    expect(e.message).toBe(
      "Gatehouse serves the gatehouse APIs here; this request was signed for the service 'iam'",
    );
    expect(keys.lookups).toBe(0);
  });

  it('a request signed more than 5 minutes before or after server time is refused as expired', async () => {
    const req = await signHeaders({}, signWith());
    clock.set(new Date(NOW.getTime() + 5 * 60_000));
    await expect(verify(req)).resolves.toBeDefined();
    clock.advance(1000);
    const late = await refusal(verify(req));
    expect(late.code).toBe('GH_API_REQUEST_EXPIRED');
    clock.set(new Date(NOW.getTime() - 5 * 60_000 - 1000));
    expect((await refusal(verify(req))).code).toBe('GH_API_REQUEST_EXPIRED');
  });

  it('an expired request with a wrong signature reports the signature, not the time', async () => {
    const req = await signHeaders({}, signWith({ secretAccessKey: 'wrong' }));
    clock.advance(3_600_000);
    expect((await refusal(verify(req))).code).toBe('GH_API_SIGNATURE_MISMATCH');
  });

  it('a presigned request is accepted until X-Amz-Expires and refused after', async () => {
    const req = await presign({}, signWith(), 900);
    clock.advance(899_000);
    await expect(verify(req)).resolves.toBeDefined();
    clock.advance(2000);
    expect((await refusal(verify(req))).code).toBe('GH_API_REQUEST_EXPIRED');
  });

  it('a malformed Authorization header is refused, not crashed on', async () => {
    const req = await signHeaders({}, signWith());
    for (const authorization of [
      'AWS4-HMAC-SHA256',
      'AWS4-HMAC-SHA256 Credential=x',
      'Basic abc',
      'AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=zz',
    ]) {
      expect((await refusal(verify({ ...req, headers: { ...req.headers, authorization } }))).code).toBe(
        'GH_API_SIGNATURE_MISMATCH',
      );
    }
  });

  it('a session token that was not signed is refused', async () => {
    const req = await signHeaders({}, signWith());
    const e = await refusal(
      verify({ ...req, headers: { ...req.headers, 'x-amz-security-token': 'swapped' } }),
    );
    expect(e.code).toBe('GH_API_SIGNATURE_MISMATCH');
  });
});
