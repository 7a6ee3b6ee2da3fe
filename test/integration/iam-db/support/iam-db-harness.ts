// Shared helpers of the IAM database auth integration tests: a gateway with captured logs and audit, login attempts, SDK clients.
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import pg from 'pg';
import { pino } from 'pino';
import { expect } from 'vitest';
import type { AuditEvent, ConnectAttemptEvent } from '../../../../src/core/audit.js';
import { findInstance } from '../../../../src/store/instances-repo.js';
import { waitFor } from '../../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../../support/gateway.js';
import { conninfo, runPsql } from '../../../support/psql.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

export interface SdkKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A test gateway whose every log line (debug and up, raw text) and audit event is kept for assertions. */
export interface IamDbGateway {
  readonly t: TestGateway;
  readonly events: AuditEvent[];
  /** Raw pino lines as written: exactly what an operator's log file would hold. */
  readonly logLines: string[];
  readonly ca: string;
  readonly region: string;
  readonly accountId: string;
  readonly admin: SdkKeys;
  iam(keys?: SdkKeys): IAMClient;
  sts(keys: SdkKeys): STSClient;
  /** `arn:aws:rds-db:REGION:ACCOUNT:dbuser:DBI/USER` of a user on an instance. */
  dbUserArn(instance: string, user: string): Promise<string>;
}

export async function startIamDbGateway(): Promise<IamDbGateway> {
  const events: AuditEvent[] = [];
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const t = await startTestGateway({ logger, audit: { emit: (e) => void events.push(e) } });
  const ca = readFileSync(t.caFile, 'utf8');
  const agent = new Agent({ ca });
  const config = (credentials: SdkKeys) => ({
    endpoint: t.gateway.apiUrl,
    region: t.gateway.account.region,
    credentials,
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    maxAttempts: 1,
  });
  const admin = t.gateway.bootstrapKey as SdkKeys;
  return {
    t,
    events,
    logLines,
    ca,
    region: t.gateway.account.region,
    accountId: t.gateway.account.accountId,
    admin,
    iam: (keys = admin) => new IAMClient(config(keys)),
    sts: (keys) => new STSClient(config(keys)),
    async dbUserArn(instance, user) {
      const row = await findInstance(t.gateway.store.pool, instance);
      if (!row) throw new Error(`no instance ${instance}`);
      return `arn:aws:rds-db:${t.gateway.account.region}:${t.gateway.account.accountId}:dbuser:${row.dbiResourceId}/${user}`;
    },
  };
}

/** psql (at `bin`) logs in as `user` with a token as PGPASSWORD over verified TLS and runs `sql`. */
export function psqlWithToken(o: {
  readonly bin: string;
  readonly port: number;
  readonly user: string;
  readonly caFile: string;
  readonly token: string;
  readonly sql: string;
}): ReturnType<typeof runPsql> {
  return runPsql(
    conninfo({
      host: 'localhost',
      port: o.port,
      dbname: 'app',
      user: o.user,
      sslmode: 'verify-full',
      sslrootcert: o.caFile,
    }),
    o.sql,
    { bin: o.bin, password: o.token },
  );
}

export interface LoginOptions {
  readonly port: number;
  readonly user: string;
  /** A string, or a function node-postgres calls only when the server asks for the password. */
  readonly password: string | (() => string | Promise<string>);
  /** Verified TLS against the test CA (default), or plaintext. */
  readonly tls?: boolean;
  readonly ca: string;
}

export type LoginResult =
  | { readonly ok: true; readonly user: string }
  | { readonly ok: false; readonly sqlstate: string | undefined; readonly message: string };

/** One node-postgres login plus `select current_user`; never throws for a refusal. */
export async function pgLogin(o: LoginOptions): Promise<LoginResult> {
  const client = new pg.Client({
    host: 'localhost',
    port: o.port,
    user: o.user,
    database: 'app',
    password: o.password,
    ssl: o.tls === false ? false : { ca: o.ca, servername: 'localhost' },
    connectionTimeoutMillis: 15_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query('select current_user as u');
    return { ok: true, user: (rows[0] as { u: string }).u };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { ok: false, sqlstate: err.code, message: err.message };
  } finally {
    await client.end().catch(() => {});
  }
}

/** A refusal as the client saw it, split into message and request id, with its audit event. */
export interface Refusal {
  readonly sqlstate: string | undefined;
  /** The ErrorResponse message without the ` (request id …)` suffix. */
  readonly message: string;
  readonly requestId: string;
  readonly event: ConnectAttemptEvent;
}

const WITH_REQUEST_ID = /^(.*) \(request id ([0-9a-f]{16})\)$/s;

/** The 'db.connect' audit event of a request id; the gateway emits it just after answering the client. */
export async function auditEvent(
  events: readonly AuditEvent[],
  requestId: string,
): Promise<ConnectAttemptEvent> {
  const e = await waitFor(() => events.find((x) => x.type === 'db.connect' && x.requestId === requestId), {
    timeoutMs: 3000,
    intervalMs: 10,
    what: `the db.connect audit event of request id ${requestId}`,
  });
  return e as ConnectAttemptEvent;
}

/**
 * Expect the login to have been refused; returns what the client saw and the matching audit event, after
 * checking the operator log has the refusal under the same request id and code.
 */
export async function refusalOf(
  result: LoginResult,
  from: { readonly events: readonly AuditEvent[]; readonly logLines: readonly string[] },
): Promise<Refusal> {
  if (result.ok) throw new Error(`login unexpectedly succeeded as ${result.user}`);
  const m = WITH_REQUEST_ID.exec(result.message);
  if (!m) throw new Error(`refusal without a request id: ${result.message}`);
  const requestId = m[2] as string;
  const event = await auditEvent(from.events, requestId);
  expect(event.outcome).toBe('failure');
  const logged = from.logLines
    .map((l) => JSON.parse(l) as { requestId?: string; code?: string; audit?: boolean })
    .find((l) => !l.audit && l.requestId === requestId && l.code !== undefined);
  expect(logged?.code, `operator log line of request ${requestId}`).toBe(event.code);
  return { sqlstate: result.sqlstate, message: m[1] as string, requestId, event };
}

/** The 64-hex X-Amz-Signature of a token. */
export function signatureOf(token: string): string {
  const m = /[?&]X-Amz-Signature=([0-9a-f]{64})/.exec(token);
  if (!m) throw new Error('token without X-Amz-Signature');
  return m[1] as string;
}

/** No log line holds any of the tokens, nor the full signature of any (a token's 8-hex prefix is fine). */
export function expectNoTokenLogged(logLines: readonly string[], tokens: Iterable<string>): void {
  let checked = 0;
  for (const token of tokens) {
    const signature = /X-Amz-Signature=([0-9a-f]{64})/.exec(token)?.[1];
    for (const line of logLines) {
      expect(line.includes(token), 'a log line holds a whole token').toBe(false);
      if (signature) expect(line.includes(signature), 'a log line holds a full token signature').toBe(false);
    }
    checked++;
  }
  expect(checked).toBeGreaterThan(0);
  expect(logLines.length).toBeGreaterThan(0);
}
