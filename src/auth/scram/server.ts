// Server side of SCRAM-SHA-256(-PLUS) as PostgreSQL runs it (auth-scram.c): mock exchange for unknown users,
// channel binding tls-server-end-point (RFC 5929 §4.1), rotation grace with several secrets.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { clientText } from '../../core/client-text.js';
import { type Authenticator, type AuthFailureCode, type AuthStep, authFailure } from '../authenticator.js';
import {
  buildServerFinal,
  buildServerFirst,
  type ClientFirstMessage,
  messageBytes,
  parseClientFinal,
  parseClientFirst,
} from './messages.js';
import {
  SCRAM_DEFAULT_ITERATIONS,
  SCRAM_KEY_LENGTH,
  type ScramSecret,
  scramHash,
  scramHmac,
  xorBuffers,
} from './verifier.js';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';
const CB_TYPE = 'tls-server-end-point';
const MOCK_SALT_LENGTH = 16;

export interface ScramServerOptions {
  /** StartupMessage user; the `n=` of client-first is ignored, as in PostgreSQL. */
  user: string;
  /**
   * Current secrets. Empty = unknown user or no password: a mock exchange that fails at the end. Several = rotation
   * grace: they must share salt and iterations (secrets that differ from the first are ignored).
   */
  secrets: ScramSecret[];
  /** Per-deployment secret; the mock salt is HMAC-SHA-256(mockSecretKey, user)[0..16]. */
  mockSecretKey: Buffer;
  /** Set on TLS connections where -PLUS is offered: the tls-server-end-point hash of our certificate. */
  channelBinding: { certificateHash: Buffer } | null;
  /** Verifiers above this are not served (clients refuse them too); default 100000. */
  maxIterations?: number;
  /** Random bytes in the server nonce (base64 encoded); default 18, as PostgreSQL. */
  serverNonceBytes?: number;
  /** Tests only: a fixed server nonce (e.g. RFC 7677's test vector). */
  serverNonce?: string;
}

export interface ScramServer extends Authenticator {
  /** Handle the SASLInitialResponse (mechanism + client-first-message). */
  start(mechanism: string, clientFirst: Buffer): AuthStep;
  /** Handle the SASLResponse (client-final-message). */
  step(clientFinal: Buffer): AuthStep;
}

/** Mechanisms for AuthenticationSASL, in server preference order (-PLUS only when it can be bound). */
export function scramMechanisms(tlsCertHash: Buffer | null): string[] {
  return tlsCertHash ? [SCRAM_SHA_256_PLUS, SCRAM_SHA_256] : [SCRAM_SHA_256];
}

interface Exchange {
  first: ClientFirstMessage;
  serverFirst: string;
  nonce: string;
  secrets: ScramSecret[];
  /** Why the exchange must fail whatever the proof (mock); null for a real one. */
  doomedReason: string | null;
}

export function createScramServer(o: ScramServerOptions): ScramServer {
  const maxIterations = o.maxIterations ?? 100_000;
  let state: 'init' | 'salt-sent' | 'done' = 'init';
  let exchange: Exchange | null = null;
  let method = 'scram-sha-256';

  const refuse = (code: AuthFailureCode, detail: string): AuthStep => {
    state = 'done';
    return authFailure(code, detail);
  };

  function start(mechanism: string, clientFirst: Buffer): AuthStep {
    if (state !== 'init') return refuse('GH_PROTOCOL_VIOLATION', 'SCRAM client-first-message out of order');
    const offered = scramMechanisms(o.channelBinding?.certificateHash ?? null);
    if (!offered.includes(mechanism)) {
      return refuse('GH_AUTH_METHOD_MISMATCH', `client selected an invalid SASL authentication mechanism`);
    }
    const parsed = parseClientFirst(clientFirst);
    if (!parsed.ok) return refuse(parsed.code, parsed.reason);
    const first = parsed.value;
    const plus = mechanism === SCRAM_SHA_256_PLUS;
    const cbind = first.cbind;
    if (plus && cbind.flag !== 'p') {
      return refuse(
        'GH_PROTOCOL_VIOLATION',
        'client selected SCRAM-SHA-256-PLUS without channel-binding data',
      );
    }
    if (!plus && cbind.flag === 'p') {
      return refuse('GH_PROTOCOL_VIOLATION', 'client selected SCRAM-SHA-256 but sent channel-binding data');
    }
    if (cbind.flag === 'p' && cbind.cbName !== CB_TYPE) {
      return refuse(
        'GH_SCRAM_CHANNEL_BINDING',
        'unsupported SCRAM channel-binding type (only tls-server-end-point)',
      );
    }
    // RFC 5802 §6: "y" means the client could bind but believes we cannot. We can, so someone stripped -PLUS.
    if (cbind.flag === 'y' && o.channelBinding) {
      return refuse(
        'GH_SCRAM_CHANNEL_BINDING',
        'client supports channel binding but thinks the server does not, although -PLUS was offered (downgrade)',
      );
    }
    const { secrets, doomedReason, salt, iterations } = selectSecrets(o, maxIterations);
    const nonce =
      first.clientNonce + (o.serverNonce ?? randomBytes(o.serverNonceBytes ?? 18).toString('base64'));
    const serverFirst = buildServerFirst({ nonce, salt, iterations });
    exchange = { first, serverFirst, nonce, secrets, doomedReason };
    method = plus ? 'scram-sha-256-plus' : 'scram-sha-256';
    state = 'salt-sent';
    return { kind: 'challenge', data: messageBytes(serverFirst) };
  }

  function step(clientFinal: Buffer): AuthStep {
    if (state !== 'salt-sent' || !exchange) {
      return refuse('GH_PROTOCOL_VIOLATION', 'SCRAM client-final-message out of order');
    }
    const ex = exchange;
    state = 'done';
    const parsed = parseClientFinal(clientFinal);
    if (!parsed.ok) return refuse(parsed.code, parsed.reason);
    const final = parsed.value;
    if (!equalBytes(final.channelBinding, expectedCbindInput(ex.first, o.channelBinding))) {
      return refuse(
        'GH_SCRAM_CHANNEL_BINDING',
        'SCRAM channel-binding data (c=) does not match this connection',
      );
    }
    if (final.nonce !== ex.nonce) {
      return refuse('GH_PROTOCOL_VIOLATION', 'invalid SCRAM response (nonce mismatch)');
    }
    const authMessage = `${ex.first.bare},${ex.serverFirst},${final.withoutProof}`;
    // Check the proof against every secret, without early exit, even in a mock exchange (auth-scram.c does the
    // same "to thwart timing attacks" that would reveal whether the user exists).
    let matched: ScramSecret | null = null;
    for (const secret of ex.secrets) {
      const clientKey = xorBuffers(final.proof, scramHmac(secret.storedKey, authMessage));
      const ok = equalBytes(scramHash(clientKey), secret.storedKey);
      if (ok && matched === null) matched = secret;
    }
    if (ex.doomedReason !== null) return refuse('GH_AUTH_FAILED', ex.doomedReason);
    if (matched === null) {
      const n = ex.secrets.length;
      return refuse(
        'GH_AUTH_FAILED',
        `wrong password for user "${o.user}": the SCRAM proof matches none of its ${n} current secret(s) (a password past its rotation grace counts as wrong)`,
      );
    }
    return {
      kind: 'success',
      final: messageBytes(buildServerFinal(scramHmac(matched.serverKey, authMessage))),
      identity: { user: o.user, method },
    };
  }

  return {
    get method() {
      return method;
    },
    start,
    step,
  };
}

/** The secrets to check and what to advertise; a mock (PostgreSQL's mock_scram_secret) when there is none usable. */
function selectSecrets(
  o: ScramServerOptions,
  maxIterations: number,
): { secrets: ScramSecret[]; doomedReason: string | null; salt: Buffer; iterations: number } {
  const first = o.secrets[0];
  let doomedReason: string;
  if (!first) {
    doomedReason = `unknown user "${clientText(o.user)}" or no SCRAM secret: mock exchange`;
  } else if (!isUsable(first)) {
    doomedReason = `the SCRAM secret of user "${o.user}" is malformed: mock exchange`;
  } else if (first.iterations > maxIterations) {
    doomedReason = `the SCRAM secret of user "${o.user}" has ${first.iterations} iterations, above maxIterations ${maxIterations}: not served, mock exchange`;
  } else {
    const secrets = o.secrets.filter(
      (s) => isUsable(s) && s.iterations === first.iterations && s.salt.equals(first.salt),
    );
    return { secrets, doomedReason: null, salt: first.salt, iterations: first.iterations };
  }
  // Same salt for the same user every time, so probing twice shows nothing; keys derived so the proof check
  // does the same HMAC work as for a real secret.
  const digest = scramHmac(o.mockSecretKey, Buffer.from(o.user, 'utf8'));
  const salt = digest.subarray(0, MOCK_SALT_LENGTH);
  const mockKey = scramHmac(o.mockSecretKey, Buffer.concat([Buffer.from('mock-key\0'), Buffer.from(o.user)]));
  const mock: ScramSecret = {
    iterations: SCRAM_DEFAULT_ITERATIONS,
    salt,
    storedKey: mockKey,
    serverKey: mockKey,
  };
  return { secrets: [mock], doomedReason, salt, iterations: SCRAM_DEFAULT_ITERATIONS };
}

function isUsable(s: ScramSecret): boolean {
  return (
    Number.isInteger(s.iterations) &&
    s.iterations >= 1 &&
    s.salt.length > 0 &&
    s.storedKey.length === SCRAM_KEY_LENGTH &&
    s.serverKey.length === SCRAM_KEY_LENGTH
  );
}

/** cbind-input (RFC 5802 §7): the gs2-header, plus the certificate hash when channel binding is in use. */
function expectedCbindInput(first: ClientFirstMessage, cb: { certificateHash: Buffer } | null): Buffer {
  const header = messageBytes(first.gs2Header);
  return first.cbind.flag === 'p' && cb ? Buffer.concat([header, cb.certificateHash]) : header;
}

function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
