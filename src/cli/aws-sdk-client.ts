// The real AWS SDK v3 IAM and STS clients pointed at the Gatehouse Query API, and their errors in CLI terms.

import { STATUS_CODES } from 'node:http';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { IAMClient, IAMServiceException } from '@aws-sdk/client-iam';
import { STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ApiError, transportError } from './api-client.js';
import type { ClientConfig } from './client-config.js';

/** IAM is a global service: AWS (and Gatehouse) expect its requests signed for us-east-1 whatever the region. */
export const IAM_SIGNING_REGION = 'us-east-1';
const CONNECT_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

function sdkOptions(config: ClientConfig, region: string) {
  // The SDK warns once per process that its releases after January 2027 need Node 22. A `gatehouse` user
  // cannot act on that (the CLI supports Node 20): it would only be noise on the command's stderr.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  // The Gatehouse CA is added to, not substituted for, the public roots (as in api-client.ts).
  const httpsAgent = new Agent({
    keepAlive: true,
    ...(config.caPem !== undefined ? { ca: [...rootCertificates, config.caPem] } : {}),
  });
  return {
    endpoint: config.endpoint.href,
    region,
    credentials: config.credentials,
    requestHandler: new NodeHttpHandler({
      httpsAgent,
      connectionTimeout: CONNECT_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
    }),
    // Set explicitly so nothing is taken from ~/.aws/config or AWS_* variables meant for real AWS.
    maxAttempts: 3,
    retryMode: 'standard',
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
  };
}

export function createIamClient(config: ClientConfig): IAMClient {
  return new IAMClient(sdkOptions(config, IAM_SIGNING_REGION));
}

/** STS is regional: signed for the gateway's region (the API also accepts us-east-1). */
export function createStsClient(config: ClientConfig): STSClient {
  return new STSClient(sdkOptions(config, config.region));
}

function headerOf(e: { $response?: { headers?: Record<string, string> } }, name: string): string | undefined {
  return e.$response?.headers?.[name];
}

function serviceError(e: IAMServiceException | STSServiceException, operation: string): Error {
  const status = e.$metadata.httpStatusCode ?? 0;
  // `Code` is the wire error code (NoSuchEntity); `name` is the SDK class (NoSuchEntityException), or
  // "Unknown" when the body was not an AWS error document: then the AWS CLI shows the HTTP status.
  const wireCode = (e as { Code?: unknown }).Code;
  const code = typeof wireCode === 'string' ? wireCode : e.name === 'Unknown' ? String(status) : e.name;
  const detail = e.name === 'Unknown' ? (STATUS_CODES[status] ?? e.message) : e.message;
  const message = `An error occurred (${code}) when calling the ${operation} operation: ${detail}`;
  const gatehouseCode = headerOf(e, 'x-gatehouse-error-code');
  return gatehouseCode === undefined
    ? new Error(message, { cause: e })
    : new ApiError(status, code, gatehouseCode, message, e.$metadata.requestId);
}

/** An SDK failure as the CLI prints it; anything that is not an SDK failure is returned unchanged. */
export function sdkCliError(e: unknown, operation: string, endpoint: URL): unknown {
  if (e instanceof IAMServiceException || e instanceof STSServiceException) return serviceError(e, operation);
  if (!(e instanceof Error)) return e;
  const transport = transportError(e as NodeJS.ErrnoException, endpoint);
  if (transport) return transport;
  // A body the SDK could not parse at all (not XML): not an AWS Query endpoint, or a proxy's page.
  const response = (e as { $response?: { statusCode?: number } }).$response;
  if (response?.statusCode !== undefined) {
    return new Error(
      `unexpected answer from ${endpoint.origin} to ${operation}: HTTP ${response.statusCode} (is --endpoint-url the Gatehouse management API?)`,
      { cause: e },
    );
  }
  // The SDK's middleware stack marks every failure it handled with $metadata; anything else is ours.
  if (!('$metadata' in e)) return e;
  return new Error(`request to ${endpoint.origin} failed: ${e.message}`, { cause: e });
}
