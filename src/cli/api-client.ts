// Signed client of the management API: SigV4 (service "gatehouse") over HTTPS with the Gatehouse CA.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { rootCertificates } from 'node:tls';
import { SignatureV4 } from '@smithy/signature-v4';
import { GatehouseError } from '../core/errors.js';
import type { ClientConfig } from './client-config.js';
import { NodeSha256 } from './node-sha256.js';

export const API_SERVICE = 'gatehouse';
// package.json sits two levels up from both src/cli/ and dist/cli/.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
/** What the audit trail records as the call's userAgent (CloudTrail's field). */
const USER_AGENT = `gatehouse-cli/${version} node/${process.versions.node}`;
const TIMEOUT_MS = 30_000;

/** An error answered by the API (its AWS-style Error body). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly gatehouseCode: string,
    message: string,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClient {
  call(action: string, params: Record<string, unknown>): Promise<Record<string, unknown>>;
}

interface RawResponse {
  status: number;
  body: string;
  requestId: string | undefined;
}

const TLS_TRUST_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
]);

/** Not running / untrusted certificate, as the CLI explains them; null for any other failure. */
export function transportError(e: NodeJS.ErrnoException, endpoint: URL): Error | null {
  if (e.code === 'ECONNREFUSED') {
    return new GatehouseError('GH_CLI_NOT_RUNNING', { endpoint: endpoint.origin }, { cause: e });
  }
  if (e.code && TLS_TRUST_ERRORS.has(e.code)) {
    return new Error(
      `cannot verify the TLS certificate of ${endpoint.origin} (${e.code}): pass --ca-bundle <data-dir>/ca.pem or the CA that issued it`,
      { cause: e },
    );
  }
  return null;
}

function connectionError(e: NodeJS.ErrnoException, endpoint: URL): Error {
  return (
    transportError(e, endpoint) ??
    new Error(`request to ${endpoint.origin} failed: ${e.message}`, { cause: e })
  );
}

function send(
  config: ClientConfig,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<RawResponse> {
  const { endpoint } = config;
  const options = {
    method: 'POST',
    hostname: endpoint.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80),
    path,
    headers,
    timeout: TIMEOUT_MS,
    // The Gatehouse CA is added to, not substituted for, the public roots: a production endpoint may use either.
    ...(config.caPem !== undefined ? { ca: [...rootCertificates, config.caPem] } : {}),
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const id = res.headers['x-amzn-requestid'];
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          requestId: Array.isArray(id) ? id[0] : id,
        });
      });
    };
    const req =
      endpoint.protocol === 'https:' ? httpsRequest(options, onResponse) : httpRequest(options, onResponse);
    req.on('timeout', () =>
      req.destroy(new Error(`no answer from ${endpoint.origin} within ${TIMEOUT_MS / 1000}s`)),
    );
    req.on('error', (e: NodeJS.ErrnoException) => reject(connectionError(e, endpoint)));
    req.end(body);
  });
}

function decode(raw: RawResponse): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = raw.body === '' ? {} : JSON.parse(raw.body);
  } catch {
    parsed = undefined;
  }
  const object =
    typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  if (raw.status >= 200 && raw.status < 300 && object) return object;
  const err = object?.['Error'] as Record<string, unknown> | undefined;
  if (err && typeof err['Message'] === 'string') {
    throw new ApiError(
      raw.status,
      String(err['Code']),
      String(err['GatehouseCode']),
      err['Message'],
      raw.requestId,
    );
  }
  throw new Error(`unexpected answer from the management API: HTTP ${raw.status} ${raw.body.slice(0, 200)}`);
}

export function createApiClient(config: ClientConfig): ApiClient {
  const signer = new SignatureV4({
    service: API_SERVICE,
    region: config.region,
    credentials: config.credentials,
    sha256: NodeSha256,
  });
  const base = config.endpoint.pathname.replace(/\/+$/, '');
  return {
    async call(action, params) {
      const body = JSON.stringify(params);
      const path = `${base}/v1/${action}`;
      // A plain object in @smithy/protocol-http's HttpRequest shape (that package is not a direct dependency).
      const signed = await signer.sign({
        method: 'POST',
        protocol: config.endpoint.protocol,
        hostname: config.endpoint.hostname,
        path,
        query: {},
        headers: {
          host: config.endpoint.host,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': USER_AGENT,
        },
        body,
      });
      return decode(await send(config, path, signed.headers, body));
    },
  };
}
