// The AWS Query protocol endpoint (`POST /`, `GET /`) for IAM and STS: verify SigV4 (signing name iam or
// sts), decode the parameters, resolve the caller, authorise the action on its resource, run it, answer XML.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { GatehouseError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { AccessKeyLookup } from '../../core/types.js';
import type { CallRecord } from '../management-audit.js';
import { verifySigV4 } from '../sigv4-verify.js';
import type { ActionContext, QueryAction } from './action.js';
import { IAM_ACTIONS, IAM_NAMESPACE, IAM_VERSION } from './actions-iam.js';
import { STS_ACTIONS, STS_NAMESPACE, STS_VERSION } from './actions-sts.js';
import { globalConditions } from './authorize-context.js';
import { resolveCallerFromIam } from './caller.js';
import { decodeParams } from './params.js';
import { peekVersion, requestFields, splitUrl } from './request.js';
import { errorXml, successXml, XML_CONTENT_TYPE } from './responses.js';
import type { QueryApiOptions } from './types.js';

export const QUERY_PATH = '/';
/** IAM is global: AWS signs it for us-east-1 whatever the client's region. */
export const IAM_SIGNING_REGION = 'us-east-1';

interface QueryService {
  version: string;
  namespace: string;
  actions: ReadonlyMap<string, QueryAction>;
}

const SERVICES: Readonly<Record<'iam' | 'sts', QueryService>> = {
  iam: { version: IAM_VERSION, namespace: IAM_NAMESPACE, actions: IAM_ACTIONS },
  sts: { version: STS_VERSION, namespace: STS_NAMESPACE, actions: STS_ACTIONS },
};

export interface QueryRouteOptions extends QueryApiOptions {
  keys: AccessKeyLookup;
  /** The gateway's region: STS is signed for it (or us-east-1); IAM for us-east-1 (or it). */
  region: string;
  clock: Clock;
  logger: Logger;
  /** The record of this call (access log, audit event), filled in as the action, caller and outcome become known. */
  track(req: FastifyRequest): CallRecord;
}

export function isQueryRequest(req: FastifyRequest): boolean {
  return (req.method === 'POST' || req.method === 'GET') && splitUrl(req.raw.url ?? '').path === QUERY_PATH;
}

function namespaceFor(version: string | undefined): string {
  return version === STS_VERSION ? STS_NAMESPACE : IAM_NAMESPACE;
}

/** Answers the error in XML; returns the AWS code and message the caller gets (for the audit event). */
export function sendQueryError(
  e: unknown,
  req: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
): { code: string; message: string } {
  const url = splitUrl(req.raw.url ?? '');
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const { status, xml, gatehouseCode, code, message } = errorXml(
    e,
    namespaceFor(peekVersion(url.rawQuery, body)),
    req.id,
    logger,
  );
  // Not part of AWS's XML; lets Gatehouse's own tools and operators see the stable code.
  void reply
    .code(status)
    .header('content-type', XML_CONTENT_TYPE)
    .header('x-gatehouse-error-code', gatehouseCode)
    .send(xml);
  return { code, message };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

async function handle(o: QueryRouteOptions, req: FastifyRequest): Promise<string> {
  const info = o.track(req);
  const url = splitUrl(req.raw.url ?? '');
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const verified = await verifySigV4(
    { method: req.method, path: url.path, query: url.query, headers: req.headers, body },
    {
      keys: o.keys,
      clock: o.clock,
      service: 'iam',
      region: IAM_SIGNING_REGION,
      scopes: { iam: unique([IAM_SIGNING_REGION, o.region]), sts: unique([o.region, IAM_SIGNING_REGION]) },
    },
  );
  info.principalArn = verified.principalArn;
  info.accessKeyId = verified.accessKeyId;
  info.service = verified.service;
  const fields = requestFields(url.rawQuery, body, req.headers['content-type']);
  const action = fields.get('Action');
  const version = fields.get('Version');
  fields.delete('Action');
  fields.delete('Version');
  if (!action) throw new GatehouseError('GH_API_VALIDATION', { reason: 'the Action parameter is required' });
  const service = SERVICES[verified.service as 'iam' | 'sts'];
  info.action = `${verified.service}:${action}`;
  info.eventName = action;
  const handler =
    version === undefined || version === service.version ? service.actions.get(action) : undefined;
  if (!handler) {
    throw new GatehouseError('GH_API_UNKNOWN_ACTION', {
      action: `${action} for version ${version ?? service.version}`,
    });
  }
  const prepared = handler.prepare(decodeParams(fields));
  const caller = await (o.resolveCaller ?? resolveCallerFromIam)(verified, o.iam);
  const ctx: ActionContext = { iam: o.iam, sts: o.sts, simulate: o.simulate, caller };
  if (prepared.permission !== null) {
    const resource = await prepared.resource(ctx);
    const facts = {
      sourceIp: req.ip,
      secure: req.protocol === 'https',
      now: o.clock.now(),
      region: verified.region,
    };
    const context = { ...globalConditions(caller, facts), ...prepared.conditions };
    if (!(await o.authorize(caller, prepared.permission, resource, context))) {
      throw new GatehouseError('GH_API_ACCESS_DENIED', {
        principal: caller.arn,
        action: prepared.permission,
        resource,
      });
    }
  }
  const result = await prepared.run(ctx);
  info.response = result;
  return successXml(action, service.namespace, result, req.id);
}

/** Registers `GET /` and `POST /`; errors are answered in XML here, never by the JSON error handler. */
export function registerQueryApi(app: FastifyInstance, o: QueryRouteOptions): void {
  app.route({
    method: ['GET', 'POST'],
    url: QUERY_PATH,
    handler: async (req, reply) => {
      try {
        const xml = await handle(o, req);
        void reply.header('content-type', XML_CONTENT_TYPE).send(xml);
      } catch (e) {
        o.track(req).error = sendQueryError(e, req, reply, o.logger);
      }
      return reply;
    },
  });
}
