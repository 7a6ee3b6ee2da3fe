// Turns any thrown value into the API's AWS-style error body, and logs it for the operator.

import { GatehouseError, toGatehouseError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface ApiErrorBody {
  Error: { Code: string; GatehouseCode: string; Message: string; RequestId: string };
}

/** Fastify's own errors (body too large, bad framing) are client errors: report them as validation failures. */
export function fromFramework(e: unknown): GatehouseError | null {
  if (!(e instanceof Error) || e instanceof GatehouseError) return null;
  const { code, statusCode } = e as Error & { code?: string; statusCode?: number };
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new GatehouseError('GH_API_BODY_TOO_LARGE', { limit: 1024 * 1024 });
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new GatehouseError('GH_API_VALIDATION', { reason: e.message });
  }
  return null;
}

export function toApiError(
  e: unknown,
  requestId: string,
  logger: Logger,
): { status: number; body: ApiErrorBody } {
  const err = (fromFramework(e) ?? toGatehouseError(e)).withRequestId(requestId);
  if (err.code === 'GH_INTERNAL') {
    // The stack goes to the operator log only, under the id the client sees.
    logger.error({ requestId, err: e }, 'management API internal error');
  } else {
    // A store outage is logged once by the store (src/store/outage.ts), not per call.
    const level = err.code === 'GH_STORE_UNAVAILABLE' ? 'debug' : 'info';
    logger[level]({ requestId, code: err.code, detail: err.detail }, 'management API call refused');
  }
  return {
    status: err.spec.http,
    body: {
      Error: {
        Code: err.spec.awsCode,
        GatehouseCode: err.code,
        Message: err.clientMessage(),
        RequestId: requestId,
      },
    },
  };
}
