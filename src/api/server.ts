// The management API: HTTPS (fastify), every /v1/<Action> call SigV4-verified, authorised, then run; with
// `query`, also AWS's IAM/STS/RDS Query protocol on `/` (src/api/query/).
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { AuditSink } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import { newRequestId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { AccessKeyLookup, ControlPlane } from '../core/types.js';
import { API_ACTIONS } from './actions.js';
import { toApiError } from './error-response.js';
import { claimedCredential, createCallAuditor } from './management-audit.js';
import { isQueryRequest, QUERY_SERVICES, registerQueryApi, sendQueryError } from './query/endpoint.js';
import type { QueryApiOptions } from './query/types.js';
import { servedList, verifySigV4 } from './sigv4-verify.js';

/** SigV4 signing name of the JSON management API (the credential scope's service). */
export const API_SIGNING_SERVICE = 'gatehouse';
const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AuthorizeRequest {
  principalArn: string;
  accessKeyId: string;
  action: string;
  params: Record<string, unknown>;
}

/** Policy seam: throw a GatehouseError to deny. The default allows every valid active key. */
export type Authorize = (request: AuthorizeRequest) => Promise<void> | void;

export interface ApiServerOptions {
  host: string;
  port: number;
  tls: { certPem: string; keyPem: string } | null;
  controlPlane: ControlPlane;
  keys: AccessKeyLookup;
  region: string;
  clock: Clock;
  logger: Logger;
  authorize?: Authorize;
  /** Serve the AWS Query protocol (IAM 2010-05-08, STS 2011-06-15, RDS 2014-10-31) on `POST /` and `GET /`. */
  query?: QueryApiOptions;
  /** `GET /metrics` (Prometheus text) and `GET /readyz`, unauthenticated like `/healthz`. */
  health?: HealthEndpoints;
  /** Where each management call's CloudTrail-shaped event goes (the audit trail). */
  audit?: AuditSink;
  /** A listening socket handed over by a predecessor process (rolling restart), listened on instead of binding. */
  handle?: object;
}

export interface HealthEndpoints {
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Whether this node can serve: each check's result (`ok` or why not). */
  ready(): Promise<{ ready: boolean; checks: Record<string, string> }>;
}

export interface RunningApiServer {
  url: string;
  port: number;
  /** The listening socket, to hand to a successor process (rolling restart). */
  server: import('node:net').Server;
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function rawPathAndQuery(req: FastifyRequest): { path: string; query: Record<string, string | string[]> } {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const query: Record<string, string | string[]> = {};
  if (q !== -1) {
    for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
  }
  return { path: q === -1 ? url : url.slice(0, q), query };
}

export async function startApiServer(o: ApiServerOptions): Promise<RunningApiServer> {
  const authorize: Authorize = o.authorize ?? (() => undefined);
  // Tracks each management call for the access log line and its audit event (never the body in the log: it
  // may hold passwords; the audit event records it redacted).
  const auditor = createCallAuditor({
    clock: o.clock,
    logger: o.logger,
    ...(o.audit ? { audit: o.audit } : {}),
  });
  const sendJsonError = (err: unknown, req: FastifyRequest, reply: FastifyReply): void => {
    const { status, body } = toApiError(err, req.id, o.logger);
    const info = auditor.record(req);
    if (info) info.error = { code: body.Error.Code, message: body.Error.Message };
    void reply.code(status).send(body);
  };
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => newRequestId(),
    https: o.tls ? { cert: o.tls.certPem, key: o.tls.keyPem } : null,
  });

  // The signature covers the exact bytes, so keep the body raw and parse JSON only after verifying it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-amzn-requestid', req.id);
    const path = (req.raw.url ?? '').split('?')[0] ?? '';
    // Registered here, not in the route, so calls refused before routing (body too large) are logged too.
    if (path.startsWith('/v1/')) auditor.start(req, reply, 'json').action = path.slice(4);
    else if (o.query && isQueryRequest(req)) auditor.start(req, reply, 'query');
  });
  app.addHook('onSend', async (req, reply) => {
    auditor.decided(req, reply);
  });
  app.addHook('onResponse', async (req, reply) => {
    auditor.finished(req, reply);
    const info = auditor.record(req);
    if (!info) return;
    o.logger.info(
      {
        requestId: req.id,
        action: info.action,
        principal: info.principalArn,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'management API call',
    );
  });
  app.setErrorHandler((err, req, reply) => {
    // Errors the framework raises before the Query route runs (body too large) must be XML too.
    if (o.query && isQueryRequest(req)) {
      const sent = sendQueryError(err, req, reply, o.logger);
      const info = auditor.record(req);
      if (info) info.error = sent;
      return;
    }
    sendJsonError(err, req, reply);
  });
  app.setNotFoundHandler((req, reply) => {
    // An AWS tool pointed here for another service (`aws lambda … --endpoint-url`): name the service, in a body
    // rest-json parsers read too (x-amzn-errortype, message), rather than "unknown action GET /2015-03-31/…".
    const service = claimedCredential(req)?.service;
    if (service !== undefined && service !== API_SIGNING_SERVICE) {
      const served = o.query
        ? `${servedList(QUERY_SERVICES)} (at /) and ${API_SIGNING_SERVICE} (under /v1/)`
        : API_SIGNING_SERVICE;
      const err = new GatehouseError('GH_API_UNKNOWN_SERVICE', { served, service });
      const { status, body } = toApiError(err, req.id, o.logger);
      const info = auditor.record(req);
      if (info) info.error = { code: body.Error.Code, message: body.Error.Message };
      void reply
        .code(status)
        .header('x-amzn-errortype', body.Error.Code)
        .send({ ...body, __type: body.Error.Code, message: body.Error.Message });
      return;
    }
    const action = `${req.method} ${req.url.split('?')[0]}`;
    sendJsonError(new GatehouseError('GH_API_UNKNOWN_ACTION', { action }), req, reply);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  const health = o.health;
  if (health) {
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await health.metrics();
      return reply.type(contentType).send(body);
    });
    app.get('/readyz', async (_request, reply) => {
      const { ready, checks } = await health.ready();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    });
  }

  if (o.query) {
    registerQueryApi(app, {
      ...o.query,
      controlPlane: o.controlPlane,
      keys: o.keys,
      region: o.region,
      clock: o.clock,
      logger: o.logger,
      track: (req) => auditor.record(req) ?? {},
    });
  }

  app.post<{ Params: { action: string } }>('/v1/:action', async (req) => {
    const info = auditor.record(req) ?? {};
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const caller = await verifySigV4(
      { method: req.method, ...rawPathAndQuery(req), headers: req.headers, body },
      { keys: o.keys, service: API_SIGNING_SERVICE, region: o.region, clock: o.clock },
    );
    info.principalArn = caller.principalArn;
    info.accessKeyId = caller.accessKeyId;
    const handler = API_ACTIONS.get(req.params.action);
    if (!handler) throw new GatehouseError('GH_API_UNKNOWN_ACTION', { action: req.params.action });
    const call = handler.prepare(parseJson(body));
    await authorize({
      principalArn: caller.principalArn,
      accessKeyId: caller.accessKeyId,
      action: req.params.action,
      params: call.params,
    });
    const result = await call.run(o.controlPlane);
    info.response = result;
    return result;
  });

  try {
    // Fastify passes its options on to net.Server#listen, which takes `handle` (not in Fastify's types).
    const inherited = o.handle ? ({ handle: o.handle } as Record<string, unknown>) : { port: o.port };
    await app.listen({ host: o.host, ...inherited });
  } catch (e) {
    await app.close();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new GatehouseError(
        'GH_PORT_IN_USE',
        { host: o.host, port: o.port, flag: '--api-port' },
        { cause: e },
      );
    }
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return {
    url: `${o.tls ? 'https' : 'http'}://${urlHost(o.host)}:${port}`,
    port,
    server: app.server,
    close: () => app.close(),
  };
}

/** An empty body means "no parameters"; anything else must be a JSON document. */
function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatehouseError('GH_API_VALIDATION', { reason: 'request body is not valid JSON' });
  }
}
