// Client side of SCRAM-SHA-256(-PLUS), used by Gatehouse to log in to backend PostgreSQL; the backend must prove
// it holds the verifier (server signature, RFC 5802 §3) before Gatehouse relays anything.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { GatehouseError } from '../../core/errors.js';
import {
  buildClientFinal,
  buildClientFinalWithoutProof,
  buildClientFirst,
  buildGs2Header,
  type Gs2CbindFlag,
  messageBytes,
  messageText,
  parseServerFinal,
  parseServerFirst,
} from './messages.js';
import { scramHmac, scramKeys, scramSaltedPassword, xorBuffers } from './verifier.js';

const SCRAM_SHA_256 = 'SCRAM-SHA-256';
const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';

export interface ScramClientOptions {
  password: string;
  /** tls-server-end-point hash of the backend's certificate when the connection is TLS; enables -PLUS. */
  channelBinding?: { certificateHash: Buffer } | null;
  /** Fail rather than log in without channel binding when the server does not offer -PLUS. */
  requireChannelBinding?: boolean;
  /** Refuse servers asking for more PBKDF2 iterations (CPU exhaustion); default 100000 like node-postgres. */
  maxIterations?: number;
  /** The `n=` name; PostgreSQL ignores it and libpq sends it empty, which is the default. */
  username?: string;
  /** Instance identifier for error messages. */
  instance?: string;
  /** Tests only: a fixed client nonce (e.g. RFC 7677's test vector). */
  clientNonce?: string;
}

export interface ScramClient {
  /** The mechanism in use (after chooseMechanism, or the default). */
  readonly mechanism: string;
  /** Pick from the server's AuthenticationSASL list; -PLUS when channel binding is possible. */
  chooseMechanism(offered: string[]): string;
  /** The client-first-message for SASLInitialResponse. */
  clientFirst(): Buffer;
  /** Answer AuthenticationSASLContinue with the client-final-message for SASLResponse. */
  clientFinal(serverFirst: Buffer): Buffer;
  /** Check AuthenticationSASLFinal; throws unless the server signature proves the backend knows the verifier. */
  verifyServerFinal(serverFinal: Buffer): void;
}

export function createScramClient(o: ScramClientOptions): ScramClient {
  const cb = o.channelBinding ?? null;
  const maxIterations = o.maxIterations ?? 100_000;
  const clientNonce = o.clientNonce ?? randomBytes(18).toString('base64');
  let state: 'init' | 'first-sent' | 'final-sent' | 'done' = 'init';
  let mechanism = cb ? SCRAM_SHA_256_PLUS : SCRAM_SHA_256;
  let cbind: Gs2CbindFlag = cb ? { flag: 'p', cbName: 'tls-server-end-point' } : { flag: 'n' };
  let bare = '';
  let expectedServerSignature: Buffer | null = null;

  const refuse = (detail: string): GatehouseError => {
    state = 'done';
    return new GatehouseError('GH_BACKEND_REFUSED', { instance: o.instance ?? 'backend' }, { detail });
  };

  return {
    get mechanism() {
      return mechanism;
    },

    chooseMechanism(offered) {
      if (state !== 'init') throw refuse('SCRAM mechanism chosen after the exchange started');
      if (cb && offered.includes(SCRAM_SHA_256_PLUS)) {
        mechanism = SCRAM_SHA_256_PLUS;
        cbind = { flag: 'p', cbName: 'tls-server-end-point' };
      } else if (o.requireChannelBinding) {
        throw refuse('channel binding is required but the server did not offer SCRAM-SHA-256-PLUS');
      } else if (offered.includes(SCRAM_SHA_256)) {
        mechanism = SCRAM_SHA_256;
        // RFC 5802 §6: "y" tells a server that does support binding that someone stripped -PLUS on the way.
        cbind = cb ? { flag: 'y' } : { flag: 'n' };
      } else {
        throw refuse(`server offered no supported SASL mechanism (${offered.join(', ')})`);
      }
      return mechanism;
    },

    clientFirst() {
      if (state !== 'init') throw refuse('SCRAM client-first-message already sent');
      const first = buildClientFirst({ cbind, username: o.username ?? '', clientNonce });
      bare = first.bare;
      state = 'first-sent';
      return messageBytes(first.text);
    },

    clientFinal(serverFirstBytes) {
      if (state !== 'first-sent') throw refuse('SCRAM server-first-message out of order');
      const parsed = parseServerFirst(serverFirstBytes);
      if (!parsed.ok) throw refuse(`backend sent a bad SCRAM server-first-message: ${parsed.reason}`);
      const { nonce, salt, iterations } = parsed.value;
      if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
        throw refuse('backend SCRAM nonce does not extend the client nonce');
      }
      if (iterations > maxIterations) {
        throw refuse(`backend asks for ${iterations} SCRAM iterations, above maxIterations ${maxIterations}`);
      }
      const header = messageBytes(buildGs2Header(cbind));
      const cbindInput = cbind.flag === 'p' && cb ? Buffer.concat([header, cb.certificateHash]) : header;
      const withoutProof = buildClientFinalWithoutProof({ channelBinding: cbindInput, nonce });
      const authMessage = `${bare},${messageText(serverFirstBytes)},${withoutProof}`;
      const { clientKey, storedKey, serverKey } = scramKeys(
        scramSaltedPassword(o.password, salt, iterations),
      );
      const proof = xorBuffers(clientKey, scramHmac(storedKey, authMessage));
      expectedServerSignature = scramHmac(serverKey, authMessage);
      state = 'final-sent';
      return messageBytes(buildClientFinal(withoutProof, proof));
    },

    verifyServerFinal(serverFinalBytes) {
      if (state !== 'final-sent' || !expectedServerSignature) {
        throw refuse('SCRAM server-final-message out of order');
      }
      const expected = expectedServerSignature;
      state = 'done';
      const parsed = parseServerFinal(serverFinalBytes);
      if (!parsed.ok) throw refuse(`backend sent a bad SCRAM server-final-message: ${parsed.reason}`);
      if (parsed.value.kind === 'error') throw refuse('backend refused the SCRAM proof (e=...)');
      if (!timingSafeEqual(parsed.value.signature, expected)) {
        throw refuse('backend SCRAM server signature is wrong: it does not know this role’s verifier');
      }
    },
  };
}
