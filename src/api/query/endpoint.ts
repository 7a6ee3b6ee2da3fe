// The AWS Query protocol endpoint (`POST /`, `GET /`) for IAM, STS and RDS: verify SigV4 (signing name iam, sts
// or rds), decode the parameters, resolve the caller, authorise the action on its resource, run it, answer XML.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { GatehouseError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { AccessKeyLookup, ControlPlane } from '../../core/types.js';
import type { CallRecord } from '../management-audit.js';
import { type VerifiedCaller, verifySigV4 } from '../sigv4-verify.js';
import type { ActionContext, QueryAction } from './action.js';
import { IAM_ACTIONS, IAM_NAMESPACE, IAM_VERSION } from './actions-iam.js';
import { RDS_ACTIONS, RDS_NAMESPACE, RDS_VERSION, toRdsError } from './actions-rds.js';
import { STS_ACTIONS, STS_NAMESPACE, STS_VERSION } from './actions-sts.js';
import { globalConditions } from './authorize-context.js';
import { resolveCallerFromIam } from './caller.js';
import { decodeParams, type ParamMap } from './params.js';
import { peekVersion, requestFields, splitUrl } from './request.js';
import { errorXml, successXml, XML_CONTENT_TYPE } from './responses.js';
import type { QueryApiOptions } from './types.js';

export const QUERY_PATH = '/';
/** IAM is global: AWS signs it for us-east-1 whatever the client's region. */
export const IAM_SIGNING_REGION = 'us-east-1';

type ServiceName = 'iam' | 'sts' | 'rds';

interface QueryService {
  version: string;
  namespace: string;
  actions: ReadonlyMap<string, QueryAction>;
  /** Regions its credential scope may name (the first is the one an error suggests). */
  regions(gatewayRegion: string): string[];
  /** The service's own error codes for Gatehouse's (RDS: InvalidParameterValue, not ValidationError). */
  mapError?(e: unknown): unknown;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

const SERVICES: Readonly<Record<ServiceName, QueryService>> = {
  iam: {
    version: IAM_VERSION,
    namespace: IAM_NAMESPACE,
    actions: IAM_ACTIONS,
    regions: (r) => unique([IAM_SIGNING_REGION, r]),
  },
  sts: {
    version: STS_VERSION,
    namespace: STS_NAMESPACE,
    actions: STS_ACTIONS,
    regions: (r) => unique([r, IAM_SIGNING_REGION]),
  },
  // RDS is regional: signed for the gateway's region only, like the instance ARNs it answers with.
  rds: {
    version: RDS_VERSION,
    namespace: RDS_NAMESPACE,
    actions: RDS_ACTIONS,
    regions: (r) => [r],
    mapError: toRdsError,
  },
};

/** The signing names the Query API accepts, for errors naming them. */
export const QUERY_SERVICES: readonly ServiceName[] = ['iam', 'sts', 'rds'];

export interface QueryRouteOptions extends QueryApiOptions {
  keys: AccessKeyLookup;
  /** The gateway's region: STS is signed for it (or us-east-1); IAM for us-east-1 (or it); RDS for it only. */
  region: string;
  /** What the RDS actions manage (the JSON API's control plane). */
  controlPlane: ControlPlane;
  clock: Clock;
  logger: Logger;
  /** The record of this call (access log, audit event), filled in as the action, caller and outcome become known. */
  track(req: FastifyRequest): CallRecord;
}

export function isQueryRequest(req: FastifyRequest): boolean {
  return (req.method === 'POST' || req.method === 'GET') && splitUrl(req.raw.url ?? '').path === QUERY_PATH;
}

function namespaceFor(version: string | undefined): string {
  if (version === RDS_VERSION) return RDS_NAMESPACE;
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
      scopes: Object.fromEntries(QUERY_SERVICES.map((name) => [name, SERVICES[name].regions(o.region)])),
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
  const service = SERVICES[verified.service as ServiceName];
  info.action = `${verified.service}:${action}`;
  info.eventName = action;
  const handler =
    version === undefined || version === service.version ? service.actions.get(action) : undefined;
  if (!handler) {
    throw new GatehouseError('GH_API_UNKNOWN_ACTION', {
      action: `${action} for version ${version ?? service.version}`,
    });
  }
  try {
    return await authorizeAndRun(o, req, verified, handler, decodeParams(fields), action, service);
  } catch (e) {
    throw service.mapError ? service.mapError(e) : e;
  }
}

async function authorizeAndRun(
  o: QueryRouteOptions,
  req: FastifyRequest,
  verified: VerifiedCaller,
  handler: QueryAction,
  params: ParamMap,
  action: string,
  service: QueryService,
): Promise<string> {
  const info = o.track(req);
  const prepared = handler.prepare(params);
  const caller = await (o.resolveCaller ?? resolveCallerFromIam)(verified, o.iam);
  const ctx: ActionContext = {
    iam: o.iam,
    sts: o.sts,
    simulate: o.simulate,
    caller,
    controlPlane: o.controlPlane,
    region: o.region,
  };
  if (prepared.permission !== null) {
    const resource = await prepared.resource(ctx);
    const facts = {
      sourceIp: req.ip,
      secure: req.protocol === 'https',
      now: o.clock.now(),
      region: verified.region,
    };
    const context = { ...globalConditions(caller, facts), ...prepared.conditions };
    // The first resource refused is the one named, as AWS names it.
    for (const arn of [resource, ...(await prepared.alsoResources(ctx))]) {
      if (!(await o.authorize(caller, prepared.permission, arn, context))) {
        throw new GatehouseError('GH_API_ACCESS_DENIED', {
          principal: caller.arn,
          action: prepared.permission,
          resource: arn,
        });
      }
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
