// SCRAM client-final mutations: an honest client-first (SCRAM-SHA-256, or -PLUS with the real certificate hash
// inside TLS), the server-first, then a client-final with a mutated channel binding, nonce, proof, attribute list
// or framing; now and then the honest final with the right password (a real login) or a wrong one.
import { mutate, randomText } from '../mutate.js';
import type { Rng } from '../rng.js';
import type { CaseFamily, FuzzCase } from '../target.js';
import { AUTH_SASL_CONTINUE, authCode, frame, saslInitialResponse, saslResponse } from './codec.js';
import { channelBindingValue, clientProof, parseServerFirst, type ServerFirst } from './scram.js';
import { nonce, PLAIN, PLUS, startScram } from './scram-first-family.js';
import { type PgFuzzSetup, pickFinish, splitOption } from './setup.js';

interface Honest {
  readonly gs2: string;
  readonly bare: string;
  readonly cbind: string;
  readonly server: ServerFirst;
  readonly password: string;
}

const b64 = (b: Buffer) => b.toString('base64');

/** The right proof with one bit flipped: a wrong password as the server sees it, without another PBKDF2. */
function flipProofBit(rng: Rng, final: string): Buffer {
  const at = final.lastIndexOf(',p=') + 3;
  const proof = Buffer.from(final.slice(at), 'base64');
  const i = rng.int(0, proof.length - 1);
  proof[i] = (proof[i] as number) ^ (1 << rng.int(0, 7));
  return Buffer.from(`${final.slice(0, at)}${b64(proof)}`, 'latin1');
}

function finalMessage(rng: Rng, h: Honest): { bytes: Buffer; success: boolean } {
  const prove = (withoutProof: string, password = h.password) =>
    `${withoutProof},p=${b64(clientProof(password, h.server, h.bare, withoutProof))}`;
  const honest = `c=${h.cbind},r=${h.server.nonce}`;
  const text = (s: string) => ({ bytes: Buffer.from(s, 'latin1'), success: false });
  return rng.weighted<() => { bytes: Buffer; success: boolean }>([
    [6, () => ({ bytes: Buffer.from(prove(honest), 'latin1'), success: true })],
    [12, () => text(prove(honest, `wrong-${rng.int(0, 3)}`))],
    [8, () => ({ bytes: flipProofBit(rng, prove(honest)), success: false })],
    // c=: swapped flags, foreign data, broken base64, empty.
    [
      3,
      () =>
        text(
          prove(`c=${rng.pick(['biws', 'eSws', 'cD10bHMtc2VydmVyLWVuZC1wb2ludCws'])},r=${h.server.nonce}`),
        ),
    ],
    [2, () => text(prove(`c=${b64(rng.bytes(rng.int(1, 64)))},r=${h.server.nonce}`))],
    [2, () => text(prove(`c=${rng.pick(['!!', 'biw', 'biws=', '', '===='])},r=${h.server.nonce}`))],
    [2, () => text(prove(`c=${channelBindingValue(h.gs2, rng.bytes(32))},r=${h.server.nonce}`))],
    // r=: the client's half only, extended, empty, absent.
    [
      2,
      () => text(prove(`c=${h.cbind},r=${h.server.nonce.slice(0, rng.int(0, h.server.nonce.length - 1))}`)),
    ],
    [2, () => text(prove(`c=${h.cbind},r=${h.server.nonce}x`))],
    [2, () => text(prove(`c=${h.cbind}`))],
    [1, () => text(prove(`c=${h.cbind},r=${h.server.nonce},r=${h.server.nonce}`))],
    // p=: random, wrong length, broken base64, empty, absent, doubled, not last.
    [3, () => text(`${honest},p=${b64(rng.bytes(32))}`)],
    [2, () => text(`${honest},p=${b64(rng.bytes(rng.pick([0, 1, 31, 33, 64, 4096])))}`)],
    [2, () => text(`${honest},p=${rng.pick(['!!!', 'AAAA=', '', 'p', '====', randomText(rng, 50)])}`)],
    [2, () => text(honest)],
    [1, () => text(`${prove(honest)},p=${b64(rng.bytes(32))}`)],
    [1, () => text(`${prove(honest)},x=1`)],
    [2, () => text(prove(`${honest},x=${randomText(rng, 20)}`))],
    [1, () => text(`${prove(honest)},`)],
    // The honest message with bytes broken, or framed wrongly.
    [12, () => ({ bytes: mutate(rng, Buffer.from(prove(honest), 'latin1')).bytes, success: false })],
  ])();
}

export function scramFinalFamily(setup: PgFuzzSetup): CaseFamily {
  return {
    name: 'scram-final',
    weight: 20,
    kind: 'pre-auth',
    generate(rng, ctx): FuzzCase {
      const forceSsl = setup.tls && rng.chance(0.15);
      const listener = forceSsl ? setup.listeners.forceSsl : setup.listeners.password;
      return {
        listener,
        async run(wire) {
          const own = forceSsl ? setup.forceSslUser : setup.passwordUser;
          const user = rng.chance(0.85) ? own : `ghost${rng.int(0, 20)}`;
          const offered = await startScram(wire, rng, setup, forceSsl, ctx.tlsProbability * 2, user);
          if (!offered) return 'fin';
          const hash = wire.encrypted ? wire.certificateHash() : null;
          const plus = offered.includes(PLUS) && hash !== null && rng.chance(0.8);
          const gs2 = plus ? 'p=tls-server-end-point,,' : wire.encrypted && rng.chance(0.2) ? 'y,,' : 'n,,';
          const bare = `n=*,r=${nonce(rng)}`;
          await wire.send(saslInitialResponse(plus ? PLUS : PLAIN, Buffer.from(gs2 + bare, 'latin1')));
          const m = await wire.readMessage();
          if (authCode(m) !== AUTH_SASL_CONTINUE || !m) return 'fin';
          const server = parseServerFirst(m.body.subarray(4));
          if (!server) return 'fin';
          const cbind = channelBindingValue(gs2, plus ? hash : null);
          const final = finalMessage(rng, { gs2, bare, cbind, server, password: setup.password });
          let msg = saslResponse(final.bytes);
          const framing = rng.float();
          if (framing < 0.04) msg = frame(rng.pick(['Q', 'X', 'P', '\0']), final.bytes);
          else if (framing < 0.1) msg = mutate(rng, msg, [1]).bytes;
          else if (framing < 0.13) msg = Buffer.concat([msg, msg]);
          await wire.send(msg, { split: splitOption(rng, msg.length) });
          // A real login: read up to ReadyForQuery (the session is relayed from then on), then leave.
          if (final.success && framing >= 0.13) await wire.readUntil('Z', 10_000);
          else if (rng.chance(0.5)) await wire.maybeMessage();
          return pickFinish(rng);
        },
      };
    },
  };
}
