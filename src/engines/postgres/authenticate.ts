// Step 2: SCRAM-SHA-256(-PLUS) exchange with the client (PG doc 55.3 "SASL Authentication").
import type { AuthStep } from '../../auth/authenticator.js';
import { createScramServer, scramMechanisms } from '../../auth/scram/server.js';
import { GatehouseError } from '../../core/errors.js';
import {
  createAuthenticationSASL,
  createAuthenticationSASLContinue,
  parseSASLInitialResponse,
} from '../../protocol/postgres/index.js';
import type { FrontendConnection } from './frontend-connection.js';
import type { StartupRequest } from './negotiate.js';
import type { PgEngineDeps, PgInstance, PgLogin } from './types.js';

export interface Authenticated {
  readonly login: PgLogin;
  readonly method: string;
  /** SASL final message to send just before AuthenticationOk. */
  readonly saslFinal: Buffer | null;
}

async function readPasswordMessage(conn: FrontendConnection, deps: PgEngineDeps): Promise<Buffer> {
  const msg = await conn.readMessage(deps.limits.maxAuthMessageBytes);
  if (msg.type !== 'p') {
    throw new GatehouseError('GH_PROTOCOL_VIOLATION', {
      reason: `expected SASL response, got message type "${msg.type}"`,
    });
  }
  return msg.body;
}

function fail(step: Extract<AuthStep, { kind: 'failure' }>, user: string): never {
  throw new GatehouseError(step.code, { user, reason: step.detail }, { detail: step.detail });
}

export async function authenticate(
  conn: FrontendConnection,
  instance: PgInstance,
  startup: StartupRequest,
  deps: PgEngineDeps,
): Promise<Authenticated> {
  const login = await deps.logins.findLogin(instance, startup.user, deps.clock.now());
  const certificateHash = conn.encrypted && deps.tls ? deps.tls.certificateHash : null;
  const server = createScramServer({
    user: startup.user,
    secrets: login?.secrets ?? [], // unknown user: a mock exchange that fails exactly like a wrong password
    mockSecretKey: deps.scramMockKey,
    channelBinding: certificateHash ? { certificateHash } : null,
  });
  conn.write(createAuthenticationSASL(scramMechanisms(certificateHash)));

  const initial = parseSASLInitialResponse(await readPasswordMessage(conn, deps));
  if (initial.data === null) {
    throw new GatehouseError('GH_PROTOCOL_VIOLATION', { reason: 'SASL initial response without data' });
  }
  const first = server.initial(initial.mechanism, initial.data);
  if (first.kind === 'failure') fail(first, startup.user);
  if (first.kind !== 'challenge')
    throw new GatehouseError('GH_PROTOCOL_VIOLATION', { reason: 'unexpected SCRAM state' });
  conn.write(createAuthenticationSASLContinue(first.data));

  const final = await server.step(await readPasswordMessage(conn, deps));
  if (final.kind === 'failure') fail(final, startup.user);
  if (final.kind !== 'success' || !login) {
    // A mock exchange can never succeed; guard anyway so an unknown user is never let through.
    throw new GatehouseError('GH_AUTH_FAILED', { user: startup.user }, { detail: 'unknown user' });
  }
  return { login, method: final.identity.method, saslFinal: final.final };
}
