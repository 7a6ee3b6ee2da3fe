// AWS Query protocol response envelopes: <ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>
// and <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
import { toGatehouseError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { fromFramework } from '../error-response.js';
import { type XmlValue, xmlElement } from './xml-writer.js';

export const XML_CONTENT_TYPE = 'text/xml';

export function successXml(
  action: string,
  namespace: string,
  result: XmlValue | undefined,
  requestId: string,
): string {
  const body = {
    ...(result !== undefined ? { [`${action}Result`]: result } : {}),
    ResponseMetadata: { RequestId: requestId },
  };
  return xmlElement(`${action}Response`, body, { xmlns: namespace });
}

export interface QueryErrorReply {
  status: number;
  xml: string;
  gatehouseCode: string;
  /** What the caller reads in <Code> and <Message>. */
  code: string;
  message: string;
}

/**
 * The message is the registry's client message without the "(request id …)" suffix the JSON API adds: AWS
 * tools parse some messages (AccessDenied's "User: … on resource: …"), and the id is in <RequestId>.
 */
export function errorXml(e: unknown, namespace: string, requestId: string, logger: Logger): QueryErrorReply {
  const err = (fromFramework(e) ?? toGatehouseError(e)).withRequestId(requestId);
  if (err.code === 'GH_INTERNAL') {
    logger.error({ requestId, err: e }, 'management API internal error');
  } else {
    // A store outage is logged once by the store (src/store/outage.ts), not per call.
    const level = err.code === 'GH_STORE_UNAVAILABLE' ? 'debug' : 'info';
    logger[level]({ requestId, code: err.code, detail: err.detail }, 'management API call refused');
  }
  const status = err.spec.http;
  const xml = xmlElement(
    'ErrorResponse',
    {
      Error: { Type: status >= 500 ? 'Receiver' : 'Sender', Code: err.spec.awsCode, Message: err.message },
      RequestId: requestId,
    },
    { xmlns: namespace },
  );
  return { status, xml, gatehouseCode: err.code, code: err.spec.awsCode, message: err.message };
}
