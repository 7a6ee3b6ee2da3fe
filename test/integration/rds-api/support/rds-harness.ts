// Shared helpers of the RDS Query API tests: a real gateway with its audit events kept, RDS SDK clients trusting
// its CA, and a way to send Gatehouse's extra Query parameters (BackendUrl, Listen, …) through the unmodified SDK.
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { RDSClient } from '@aws-sdk/client-rds';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpRequest } from '@smithy/types';
import { expect } from 'vitest';
import type { AuditEvent, ManagementEvent } from '../../../../src/core/audit.js';
import { findFreePort } from '../../../../src/store/embedded.js';
import { waitFor } from '../../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../../support/gateway.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

export interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface RdsGateway {
  readonly t: TestGateway;
  readonly events: AuditEvent[];
  readonly ca: string;
  readonly agent: Agent;
  readonly region: string;
  readonly accountId: string;
  readonly admin: Keys;
  rds(keys?: Keys, region?: string): RDSClient;
  /** The backend of the test cluster's `app` database, with its admin password (as CreateDBInstance takes it). */
  backendUrl(): string;
  /** A free `127.0.0.1:PORT` for a new instance's listener. */
  freeListen(): Promise<string>;
  /** The one `api.call` event of a request id (waits for it). */
  eventOf(requestId: string | undefined): Promise<ManagementEvent>;
  stop(): Promise<void>;
}

/** `defaultBackend`: config rds.defaultBackendUrl is the test cluster (CreateDBInstance needs no BackendUrl). */
export async function startRdsGateway(o: { defaultBackend?: boolean } = {}): Promise<RdsGateway> {
  const events: AuditEvent[] = [];
  const t = await startTestGateway({
    audit: { emit: (e) => void events.push(e) },
    ...(o.defaultBackend ? { defaultBackend: true } : {}),
  });
  const ca = readFileSync(t.caFile, 'utf8');
  const agent = new Agent({ ca });
  const region = t.gateway.account.region;
  const admin = t.gateway.bootstrapKey as Keys;
  return {
    t,
    events,
    ca,
    agent,
    region,
    accountId: t.gateway.account.accountId,
    admin,
    rds: (keys = admin, r = region) =>
      new RDSClient({
        endpoint: t.gateway.apiUrl,
        region: r,
        credentials: keys,
        requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
        maxAttempts: 1,
      }),
    backendUrl: () => `${t.postgres.adminUrl('app')}?sslmode=disable`,
    freeListen: async () => `127.0.0.1:${await findFreePort()}`,
    async eventOf(requestId) {
      expect(requestId).toMatch(/^[0-9a-f]{16}$/);
      return waitFor(
        () => events.find((e): e is ManagementEvent => e.type === 'api.call' && e.requestId === requestId),
        { what: `the api.call event of request ${requestId}` },
      );
    },
    stop: () => t.stop(),
  };
}

interface HasMiddleware {
  middlewareStack: {
    add(
      m: (
        next: (args: { request: unknown }) => Promise<unknown>,
      ) => (args: { request: unknown }) => Promise<unknown>,
      o: { step: 'build'; priority: 'high'; name: string },
    ): void;
  };
}

/**
 * The command with Gatehouse's extra parameters appended to its form body before it is signed: how an SDK user
 * sends what the RDS model has no member for (docs/rds-api.md).
 */
export function withExtras<C>(command: C, extras: Record<string, string>): C {
  (command as unknown as HasMiddleware).middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as HttpRequest;
      request.body = `${String(request.body)}&${new URLSearchParams(extras).toString()}`;
      delete request.headers['content-length'];
      return next(args);
    },
    { step: 'build', priority: 'high', name: 'gatehouseExtraParameters' },
  );
  return command;
}

/** The SDK error of a call that must fail. */
export async function failure(
  p: Promise<unknown>,
): Promise<Error & { Code?: string; $metadata: { httpStatusCode?: number; requestId?: string } }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error('expected the call to fail');
  return e as Error & { $metadata: { httpStatusCode?: number; requestId?: string } };
}
