// Signs test requests with @smithy/signature-v4 (the AWS SDK's signer) and shapes them for verifySigV4.
import { SignatureV4 } from '@smithy/signature-v4';
import type { SignedRequest } from '../../../../src/api/sigv4-verify.js';
import { NodeSha256 } from '../../../../src/cli/node-sha256.js';

export interface TestRequest {
  method?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface SignWith {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region?: string;
  service?: string;
  signingDate: Date;
  applyChecksum?: boolean;
}

function signer(w: SignWith): SignatureV4 {
  return new SignatureV4({
    service: w.service ?? 'gatehouse',
    region: w.region ?? 'us-east-1',
    credentials: {
      accessKeyId: w.accessKeyId,
      secretAccessKey: w.secretAccessKey,
      ...(w.sessionToken !== undefined ? { sessionToken: w.sessionToken } : {}),
    },
    sha256: NodeSha256,
    applyChecksum: w.applyChecksum ?? true,
  });
}

function httpRequest(r: TestRequest) {
  return {
    method: r.method ?? 'POST',
    protocol: 'https:',
    hostname: 'gatehouse.test',
    path: r.path ?? '/v1/DescribeDBInstances',
    query: r.query ?? {},
    headers: { host: 'gatehouse.test:8433', 'content-type': 'application/json', ...r.headers },
    body: r.body ?? '{}',
  };
}

function lowerCaseHeaders(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function toSignedRequest(
  signed: { method: string; path: string; query?: Record<string, unknown>; headers: Record<string, string> },
  body: string | Buffer,
): SignedRequest {
  return {
    method: signed.method,
    path: signed.path,
    query: (signed.query ?? {}) as Record<string, string | string[]>,
    headers: lowerCaseHeaders(signed.headers),
    body: Buffer.from(body),
  };
}

/** Header form (Authorization + X-Amz-Date), as every AWS SDK sends API calls. */
export async function signHeaders(r: TestRequest, w: SignWith): Promise<SignedRequest> {
  const req = httpRequest(r);
  const signed = await signer(w).sign(req, { signingDate: w.signingDate });
  return toSignedRequest(signed, req.body);
}

/** Query form (presigned URL), as RDS auth tokens and S3 presigned URLs are made. */
export async function presign(r: TestRequest, w: SignWith, expiresIn = 900): Promise<SignedRequest> {
  const req = { ...httpRequest(r), method: r.method ?? 'GET', body: r.body ?? '' };
  const signed = await signer(w).presign(req, { signingDate: w.signingDate, expiresIn });
  return toSignedRequest(signed, req.body);
}
