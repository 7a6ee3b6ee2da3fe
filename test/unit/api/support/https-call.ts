// Raw HTTPS calls to the test API, optionally SigV4-signed, for cases the CLI client cannot produce.
import { request } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../../../src/cli/node-sha256.js';
import { ADMIN_KEY, type ApiFixture } from './api-fixture.js';

export interface RawResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown> & {
    Error?: { Code: string; GatehouseCode: string; Message: string; RequestId: string };
  };
}

export interface CallOptions {
  method?: string;
  path: string;
  body?: string | Buffer;
  sign?: { region?: string; accessKeyId?: string; secretAccessKey?: string; signingDate?: Date } | false;
  headers?: Record<string, string>;
}

export async function httpsCall(fx: ApiFixture, o: CallOptions): Promise<RawResult> {
  const url = new URL(fx.server.url);
  const body = o.body ?? '';
  let headers: Record<string, string> = {
    host: url.host,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...o.headers,
  };
  // An empty value in o.headers means "send no such header".
  for (const [name, value] of Object.entries(o.headers ?? {})) if (value === '') delete headers[name];
  if (o.sign !== false) {
    const s = o.sign ?? {};
    const signer = new SignatureV4({
      service: 'gatehouse',
      region: s.region ?? 'us-east-1',
      credentials: {
        accessKeyId: s.accessKeyId ?? ADMIN_KEY.accessKeyId,
        secretAccessKey: s.secretAccessKey ?? ADMIN_KEY.secretAccessKey,
      },
      sha256: NodeSha256,
    });
    const signed = await signer.sign(
      {
        method: o.method ?? 'POST',
        protocol: 'https:',
        hostname: url.hostname,
        path: o.path,
        query: {},
        headers,
        body,
      },
      { signingDate: s.signingDate ?? new Date() },
    );
    headers = signed.headers;
  }
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: o.method ?? 'POST',
        host: url.hostname,
        port: url.port,
        path: o.path,
        headers,
        ca: fx.cert.certPem,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: RawResult['json'] = {};
          try {
            json = JSON.parse(text) as RawResult['json'];
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
