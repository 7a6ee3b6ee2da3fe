// Raw AWS Query requests (form POST, GET, presigned GET), signed with the SDK's own signer, for the wire
// details an SDK client hides (exact XML, headers, malformed input).
import { request } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../../../../src/cli/node-sha256.js';
import { ADMIN, type Credentials, type QueryFixture } from './query-fixture.js';

export interface RawQueryOptions {
  method?: 'GET' | 'POST';
  /** Default "/". */
  path?: string;
  /** Form-encoded into the body (POST) or the query string (GET). */
  params?: Record<string, string>;
  /** A raw body instead of params. */
  body?: string;
  service?: string;
  region?: string;
  /** false: send unsigned. */
  credentials?: Credentials | false;
  contentType?: string;
  /** Query-form signature (X-Amz-Signature in the URL), as presigned STS GetCallerIdentity URLs are made. */
  presign?: boolean;
  signingDate?: Date;
}

export interface RawQueryResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export async function rawQuery(fx: QueryFixture, o: RawQueryOptions): Promise<RawQueryResult> {
  const url = new URL(fx.server.url);
  const method = o.method ?? 'POST';
  const form = new URLSearchParams(o.params ?? {}).toString();
  const body = method === 'POST' ? (o.body ?? form) : '';
  const query = method === 'GET' ? Object.fromEntries(new URLSearchParams(form)) : {};
  let headers: Record<string, string> = {
    host: url.host,
    ...(method === 'POST'
      ? { 'content-type': o.contentType ?? 'application/x-www-form-urlencoded; charset=utf-8' }
      : {}),
  };
  let path = `${o.path ?? '/'}${method === 'GET' && form !== '' ? `?${form}` : ''}`;
  if (o.credentials !== false) {
    const signer = new SignatureV4({
      service: o.service ?? 'iam',
      region: o.region ?? 'us-east-1',
      credentials: o.credentials ?? ADMIN,
      sha256: NodeSha256,
    });
    const req = {
      method,
      protocol: 'https:',
      hostname: url.hostname,
      path: o.path ?? '/',
      query,
      headers,
      body,
    };
    const signingDate = o.signingDate ?? new Date();
    if (o.presign) {
      const signed = await signer.presign(req, { signingDate, expiresIn: 60 });
      path = `${o.path ?? '/'}?${new URLSearchParams(signed.query as Record<string, string>).toString()}`;
      headers = signed.headers;
    } else {
      headers = (await signer.sign(req, { signingDate })).headers;
    }
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { method, host: url.hostname, port: url.port, path, headers, ca: fx.cert.certPem },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
