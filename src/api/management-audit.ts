// One `api.call` audit event per management call (JSON API and IAM/STS/RDS Query API), emitted once its answer is
// sent, successes and refusals alike (signature, validation, policy). The call's record is filled in as the
// request goes (who signed, what it returned, which error the caller got); the rest is read from the request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditSink } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { createManagementEvent, type ManagementCall } from './management-events.js';
import { RDS_VERSION } from './query/actions-rds.js';
import { STS_VERSION } from './query/actions-sts.js';
import { decodeParams, type ParamMap } from './query/params.js';
import { requestFields, splitUrl } from './query/request.js';

/** The JSON management API's eventSource (CloudTrail names the service's endpoint). */
export const JSON_EVENT_SOURCE = 'gatehouse.api';

/** What is known of one call as it goes; also what the access log line reports. */
export interface CallRecord {
  /** Access log: the JSON action as in the path, or `iam:CreateUser` for the Query API. */
  action?: string;
  /** The action as the API understood it (JSON: the route parameter; Query: the Action parameter). */
  eventName?: string;
  /** Set once the signature verified, with the key that signed. */
  principalArn?: string;
  accessKeyId?: string;
  /** Query API: the verified signing name (`iam`, `sts` or `rds`). */
  service?: string;
  /** The successful call's result (the JSON body, or the <ActionResult> content). */
  response?: unknown;
  /** The AWS error code and message the caller got. */
  error?: { code: string; message: string };
}

export type ManagementApi = 'json' | 'query';

interface Tracked {
  readonly api: ManagementApi;
  readonly record: CallRecord;
  /** The answer is decided (onSend ran): the record is complete. */
  decided: boolean;
  /** The connection closed; when before `decided`, the answer will never finish sending. */
  closed: boolean;
  emitted: boolean;
}

export interface CallAuditor {
  /** onRequest: track a management call from its arrival. */
  start(req: FastifyRequest, reply: FastifyReply, api: ManagementApi): CallRecord;
  record(req: FastifyRequest): CallRecord | undefined;
  /** onSend: the answer (success or error) is decided. */
  decided(req: FastifyRequest, reply: FastifyReply): void;
  /** onResponse: the answer was sent. */
  finished(req: FastifyRequest, reply: FastifyReply): void;
}

export interface CallAuditorOptions {
  audit?: AuditSink;
  clock: Clock;
  logger: Logger;
}

/**
 * Emits exactly once per tracked call: when the response finished (onResponse), or, when the client went away
 * before it could be sent, as soon as the answer is decided (the call still ran, and must be on the trail).
 */
export function createCallAuditor(o: CallAuditorOptions): CallAuditor {
  const calls = new WeakMap<FastifyRequest, Tracked>();
  const emit = (t: Tracked, req: FastifyRequest, reply: FastifyReply): void => {
    if (t.emitted || !o.audit) return;
    t.emitted = true;
    try {
      o.audit.emit(createManagementEvent(callOf(t, req, reply, o.clock.now())));
    } catch (err) {
      // The caller already has its answer; a broken sink must not break the server.
      o.logger.error({ requestId: req.id, err }, 'could not audit the management call');
    }
  };
  return {
    start(req, reply, api) {
      const t: Tracked = { api, record: {}, decided: false, closed: false, emitted: false };
      calls.set(req, t);
      reply.raw.once('close', () => {
        t.closed = true;
        if (t.decided) emit(t, req, reply);
      });
      return t.record;
    },
    record: (req) => calls.get(req)?.record,
    decided(req, reply) {
      const t = calls.get(req);
      if (!t) return;
      t.decided = true;
      if (t.closed) emit(t, req, reply);
    },
    finished(req, reply) {
      const t = calls.get(req);
      if (t) emit(t, req, reply);
    },
  };
}

function callOf(t: Tracked, req: FastifyRequest, reply: FastifyReply, at: Date): ManagementCall {
  const r = t.record;
  const claim = claimedCredential(req);
  const body = Buffer.isBuffer(req.body) ? req.body : undefined;
  const request = t.api === 'json' ? jsonRequest(req, body) : queryRequest(req, body, r, claim?.service);
  const accessKeyId = r.accessKeyId ?? claim?.accessKeyId;
  // Every error answer records its code on the way out; this is only a backstop for one that did not.
  const status = reply.statusCode;
  const error =
    r.error ?? (status >= 400 ? { code: String(status), message: `HTTP status ${status}` } : undefined);
  return {
    at,
    requestId: req.id,
    eventSource: request.eventSource,
    eventName: request.eventName,
    ...(r.principalArn !== undefined ? { principalArn: r.principalArn } : {}),
    ...(accessKeyId !== undefined ? { accessKeyId } : {}),
    sourceIp: req.ip,
    ...(req.headers['user-agent'] !== undefined ? { userAgent: req.headers['user-agent'] } : {}),
    parameters: request.parameters,
    ...(r.response !== undefined ? { response: r.response } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

interface RequestFacts {
  eventSource: string;
  eventName: string;
  parameters: unknown;
}

/** The JSON body as sent (null when it is not JSON, or was never read: too large); empty means no parameters. */
function jsonRequest(req: FastifyRequest, body: Buffer | undefined): RequestFacts {
  const path = (req.raw.url ?? '').split('?')[0] ?? '';
  const eventName =
    req.routeOptions.url === '/v1/:action' ? (req.params as { action?: string }).action : undefined;
  let parameters: unknown = null;
  if (body !== undefined) {
    try {
      parameters = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      parameters = null;
    }
  }
  return { eventSource: JSON_EVENT_SOURCE, eventName: eventName ?? path.slice('/v1/'.length), parameters };
}

/**
 * The Query parameters minus Action, Version and the SigV4 ones (X-Amz-*), as the action reads them (a tree:
 * `Tags.member.1.Key` is `Tags[0].Key`), or flat when they do not decode. The service: the verified signing name,
 * else the one the credential scope claims, else the one the Version names.
 */
function queryRequest(
  req: FastifyRequest,
  body: Buffer | undefined,
  r: CallRecord,
  claimedService: string | undefined,
): RequestFacts {
  const url = splitUrl(req.raw.url ?? '');
  const fields = queryFields(url.rawQuery, body ?? Buffer.alloc(0), req.headers['content-type']);
  const action = fields.get('Action');
  const version = fields.get('Version');
  fields.delete('Action');
  fields.delete('Version');
  let parameters: ParamMap | Record<string, string>;
  try {
    parameters = decodeParams(fields);
  } catch {
    parameters = Object.fromEntries(fields);
  }
  const service =
    r.service ??
    (claimedService === 'iam' || claimedService === 'sts' || claimedService === 'rds'
      ? claimedService
      : undefined) ??
    (version === STS_VERSION ? 'sts' : version === RDS_VERSION ? 'rds' : 'iam');
  return {
    eventSource: `${service}.amazonaws.com`,
    eventName: r.eventName ?? action ?? '',
    parameters,
  };
}

/** As the endpoint reads them; for a request it refused as malformed, leniently (first value wins). */
function queryFields(rawQuery: string, body: Buffer, contentType: string | undefined): Map<string, string> {
  try {
    return requestFields(rawQuery, body, contentType);
  } catch {
    const fields = new Map<string, string>();
    const add = (text: string) => {
      for (const [name, value] of new URLSearchParams(text)) {
        if (!name.startsWith('X-Amz-') && !fields.has(name)) fields.set(name, value);
      }
    };
    add(rawQuery);
    const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
    if (type === 'application/x-www-form-urlencoded') add(body.toString('utf8'));
    return fields;
  }
}

/**
 * The access key id and signing name the request's credential scope names (Authorization header or presigned
 * X-Amz-Credential), read without verifying anything: who a refused request claimed to be.
 */
export function claimedCredential(
  req: FastifyRequest,
): { accessKeyId?: string; service?: string } | undefined {
  const header = req.headers.authorization;
  const fromHeader = typeof header === 'string' ? /Credential=([^,\s]+)/.exec(header)?.[1] : undefined;
  const fromQuery = splitUrl(req.raw.url ?? '').query['X-Amz-Credential'];
  const credential = fromHeader ?? (typeof fromQuery === 'string' ? fromQuery : undefined);
  if (credential === undefined) return undefined;
  const [accessKeyId, , , service] = credential.split('/');
  return {
    ...(accessKeyId ? { accessKeyId } : {}),
    ...(service ? { service } : {}),
  };
}
