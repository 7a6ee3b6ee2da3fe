// The password method: SCRAM-SHA-256 (and -PLUS over TLS) as a multi-step SASL exchange against the user's
// stored SCRAM verifiers. An unknown user gets a mock exchange that fails exactly like a wrong password.
import type { AuthStep } from '../../../auth/authenticator.js';
import { createScramServer, SCRAM_SHA_256, scramMechanisms } from '../../../auth/scram/server.js';
import { parseScramVerifier, type ScramSecret } from '../../../auth/scram/verifier.js';
import { GatehouseError } from '../../../core/errors.js';
import type { AuthMethod, AuthRequest, SaslTurn } from '../auth-method.js';
import type { Login, PasswordLogin } from '../login.js';
import { wrongSecret } from './refusals.js';

export interface ScramMethodOptions {
  /** Per-deployment secret for deterministic mock salts of unknown users. */
  readonly mockKey: Buffer;
}

function scramSecrets(login: PasswordLogin | null): ScramSecret[] {
  const secrets: ScramSecret[] = [];
  for (const v of login?.verifiers ?? []) {
    if (v.mechanism !== SCRAM_SHA_256) continue;
    const secret = parseScramVerifier(v.verifier);
    if (secret) secrets.push(secret);
  }
  return secrets;
}

/** A failed step becomes the refusal; a wrong password is refused as every method refuses a wrong secret. */
function refusal(step: Extract<AuthStep, { kind: 'failure' }>, request: AuthRequest): GatehouseError {
  const { user } = request;
  const options = { detail: step.detail };
  switch (step.code) {
    case 'GH_AUTH_FAILED':
      return wrongSecret(request, step.detail);
    case 'GH_AUTH_METHOD_MISMATCH':
      return new GatehouseError(step.code, { user, reason: step.detail }, options);
    case 'GH_PROTOCOL_VIOLATION':
      return new GatehouseError(step.code, { reason: step.detail }, options);
    case 'GH_SCRAM_CHANNEL_BINDING':
      return new GatehouseError(step.code, {}, options);
  }
}

export function createScramMethod(options: ScramMethodOptions): AuthMethod {
  return {
    kind: 'password',
    engines: ['postgres'],
    name: 'scram-sha-256',
    begin(request, login: Login | null) {
      const password = login?.kind === 'password' ? login : null;
      const server = createScramServer({
        user: request.user,
        secrets: scramSecrets(password), // none: a mock exchange that fails like a wrong password
        mockSecretKey: options.mockKey,
        channelBinding: request.certificateHash ? { certificateHash: request.certificateHash } : null,
      });
      const turn = (step: AuthStep): SaslTurn => {
        if (step.kind === 'failure') throw refusal(step, request);
        if (step.kind === 'challenge') return step;
        // A mock exchange can never succeed; guard anyway so an unknown user is never let through.
        if (!password)
          throw new GatehouseError('GH_AUTH_FAILED', { user: request.user }, { detail: 'unknown user' });
        return {
          kind: 'done',
          authenticated: {
            method: step.identity.method,
            backendSecret: password.backendSecret,
            final: step.final,
            logFields: {},
            revocable: null,
          },
        };
      };
      return {
        shape: 'sasl',
        mechanisms: scramMechanisms(request.certificateHash),
        start: (mechanism, data) => {
          const step = server.start(mechanism, data);
          if (step.kind === 'success') {
            throw new GatehouseError('GH_PROTOCOL_VIOLATION', { reason: 'unexpected SCRAM state' });
          }
          return turn(step);
        },
        step: (data) => turn(server.step(data)),
      };
    },
  };
}
