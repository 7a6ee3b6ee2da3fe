// Step 2: authenticate the client: SCRAM-SHA-256(-PLUS) for password users (PG doc 55.3 "SASL Authentication"),
// an RDS IAM auth token sent as a cleartext password inside TLS for IAM users (as RDS does).
import type { AuthStep } from '../../auth/authenticator.js';
import { looksLikeToken } from '../../auth/iam-token/parse.js';
import type { VerifiedToken } from '../../auth/iam-token/verify.js';
import { createScramServer, scramMechanisms } from '../../auth/scram/server.js';
import { GatehouseError } from '../../core/errors.js';
import {
  createAuthenticationCleartextPassword,
  createAuthenticationSASL,
  createAuthenticationSASLContinue,
  parsePasswordMessage,
  parseSASLInitialResponse,
} from '../../protocol/postgres/index.js';
import type { FrontendConnection } from './frontend-connection.js';
import type { StartupRequest } from './negotiate.js';
import type { PgEngineDeps, PgIamLogin, PgInstance, PgPasswordLogin } from './types.js';

export interface Authenticated {
  /** The secret Gatehouse logs in to the backend with, as this user. */
  readonly backendSecret: string;
  readonly method: string;
  /** SASL final message to send just before AuthenticationOk. */
  readonly saslFinal: Buffer | null;
  /** Who signed the token, for IAM logins. */
  readonly iam: VerifiedToken | null;
}

/** What is known of an attempt so far, for its audit event (filled in as authentication proceeds). */
export interface AttemptFacts {
  method: string;
  principalArn?: string;
  accessKeyId?: string;
}

async function readPasswordMessage(
  conn: FrontendConnection,
  maxBytes: number,
  what: string,
): Promise<Buffer> {
  const msg = await conn.readMessage(maxBytes);
  if (msg.type !== 'p') {
    throw new GatehouseError('GH_PROTOCOL_VIOLATION', {
      reason: `expected ${what}, got message type "${msg.type}"`,
    });
  }
  return msg.body;
}

function fail(step: Extract<AuthStep, { kind: 'failure' }>, user: string, instance: PgInstance): never {
  // On an IAM-enabled instance a failed password may have been a token sent for a non-IAM user: say so
  // (unknown users get the same answer, so this reveals nothing about which users exist).
  const code = step.code === 'GH_AUTH_FAILED' && instance.iamAuth ? 'GH_IAM_USER_NOT_ENABLED' : step.code;
  throw new GatehouseError(code, { user, reason: step.detail }, { detail: step.detail });
}

export async function authenticate(
  conn: FrontendConnection,
  instance: PgInstance,
  startup: StartupRequest,
  deps: PgEngineDeps,
  facts: AttemptFacts,
): Promise<Authenticated> {
  const login = await deps.logins.findLogin(instance, startup.user, deps.clock.now());
  if (login?.kind === 'iam') {
    facts.method = 'iam';
    return authenticateIam(conn, instance, startup, deps, login, facts);
  }
  facts.method = 'scram-sha-256';
  return authenticateScram(conn, instance, startup, deps, login);
}

async function authenticateScram(
  conn: FrontendConnection,
  instance: PgInstance,
  startup: StartupRequest,
  deps: PgEngineDeps,
  login: PgPasswordLogin | null,
): Promise<Authenticated> {
  const certificateHash = conn.encrypted && deps.tls ? deps.tls.certificateHash : null;
  const server = createScramServer({
    user: startup.user,
    secrets: login?.secrets ?? [], // unknown user: a mock exchange that fails exactly like a wrong password
    mockSecretKey: deps.scramMockKey,
    channelBinding: certificateHash ? { certificateHash } : null,
  });
  conn.write(createAuthenticationSASL(scramMechanisms(certificateHash)));
  const max = deps.limits.maxAuthMessageBytes;

  const initial = parseSASLInitialResponse(await readPasswordMessage(conn, max, 'SASL response'));
  if (initial.data === null) {
    throw new GatehouseError('GH_PROTOCOL_VIOLATION', { reason: 'SASL initial response without data' });
  }
  const first = server.initial(initial.mechanism, initial.data);
  if (first.kind === 'failure') fail(first, startup.user, instance);
  if (first.kind !== 'challenge')
    throw new GatehouseError('GH_PROTOCOL_VIOLATION', { reason: 'unexpected SCRAM state' });
  conn.write(createAuthenticationSASLContinue(first.data));

  const final = await server.step(await readPasswordMessage(conn, max, 'SASL response'));
  if (final.kind === 'failure') fail(final, startup.user, instance);
  if (final.kind !== 'success' || !login) {
    // A mock exchange can never succeed; guard anyway so an unknown user is never let through.
    throw new GatehouseError('GH_AUTH_FAILED', { user: startup.user }, { detail: 'unknown user' });
  }
  return {
    backendSecret: login.backendSecret,
    method: final.identity.method,
    saslFinal: final.final,
    iam: null,
  };
}

async function authenticateIam(
  conn: FrontendConnection,
  instance: PgInstance,
  startup: StartupRequest,
  deps: PgEngineDeps,
  login: PgIamLogin,
  facts: AttemptFacts,
): Promise<Authenticated> {
  // Refused before the password is asked for: a token must never travel in the clear.
  if (!instance.iamAuth) throw new GatehouseError('GH_IAM_AUTH_DISABLED', { instance: instance.identifier });
  if (!conn.encrypted) throw new GatehouseError('GH_IAM_TLS_REQUIRED', { user: startup.user });
  conn.write(createAuthenticationCleartextPassword());
  const limit = deps.limits.maxIamTokenBytes;
  // Read up to the auth message cap, then judge the size here so an over-long token gets its own code.
  const body = await readPasswordMessage(conn, Math.max(limit, deps.limits.maxAuthMessageBytes), 'password');
  if (body.length - 1 > limit) {
    throw new GatehouseError('GH_IAM_TOKEN_TOO_LARGE', { size: body.length - 1, limit });
  }
  const token = parsePasswordMessage(body);
  if (!looksLikeToken(token))
    throw new GatehouseError('GH_IAM_ONLY_USER', { user: startup.user, why: login.why });
  const remote = conn.socket.remoteAddress ?? '';
  const verified = await deps.iamTokens
    .verify({
      token,
      user: startup.user,
      endpoints: instance.endpoints,
      dbiResourceId: instance.dbiResourceId,
      sourceIp: remote,
      secureTransport: true,
    })
    .catch((e: unknown) => {
      if (e instanceof GatehouseError && e.audit) {
        if (e.audit['principalArn'] !== undefined) facts.principalArn = e.audit['principalArn'];
        if (e.audit['accessKeyId'] !== undefined) facts.accessKeyId = e.audit['accessKeyId'];
      }
      throw e;
    });
  facts.principalArn = verified.principalArn;
  facts.accessKeyId = verified.accessKeyId;
  const backendSecret = login.backendSecret ?? (await deps.logins.adoptIamUser(instance, startup.user));
  return { backendSecret, method: 'iam', saslFinal: null, iam: verified };
}
