// Pre-auth sequences around the first packet: GSSENCRequest / SSLRequest / CancelRequest in legal and illegal
// orders, buffer stuffing after a request (CVE-2021-23214), TLS abandoned or faked, a StartupMessage sent twice.
import { mutate } from '../mutate.js';
import type { Rng } from '../rng.js';
import type { CaseFamily, FuzzCase } from '../target.js';
import type { Wire } from '../wire.js';
import { cancelRequest, gssencRequest, int32, sslRequest, startupMessage, startupPacket } from './codec.js';
import { type PgFuzzSetup, pickFinish, splitOption, upgrade } from './setup.js';
import { pickListener, randomFrame } from './startup-family.js';

type Step = (wire: Wire, rng: Rng, setup: PgFuzzSetup) => Promise<boolean>;

/**
 * Send one message, then read the single-byte answer if one is due. Now and then the message is mutated instead;
 * the sequence then ends there (whatever followed would be read by the server as part of the broken message).
 */
function request(build: () => Buffer, answered: boolean): Step {
  return async (wire, rng) => {
    if (rng.chance(0.1)) {
      const msg = mutate(rng, build(), [0, 4]).bytes;
      await wire.send(msg, { split: splitOption(rng, msg.length) });
      return false;
    }
    const msg = build();
    if (!(await wire.send(msg, { split: splitOption(rng, msg.length) }))) return false;
    return !answered || (await wire.readByte()) !== null;
  };
}

const gssenc = request(gssencRequest, true);
const sslNoHandshake = request(sslRequest, true);
const tls: Step = async (wire, _rng, setup) => setup.tls && upgrade(wire);
/** TLS 1.2, then client-initiated renegotiations (OpenSSL 3 servers refuse them; the server must survive it). */
const renegotiate: Step = async (wire, rng, setup) => {
  if (!setup.tls || !(await wire.send(sslRequest())) || (await wire.readByte()) !== 0x53) return false;
  if (!(await wire.startTls({ tls12: true }))) return false;
  for (let i = rng.int(1, 5); i > 0 && !wire.closed; i--) await wire.renegotiate();
  return !wire.closed;
};

function cancel(rng: Rng): Buffer {
  const keyLength = rng.weighted<number>([
    [5, 4],
    [3, 32],
    [2, 0],
    [2, 256],
    [2, 257],
    [2, rng.int(1, 300)],
  ]);
  return cancelRequest(rng.chance(0.5) ? rng.int(1, 2 ** 31 - 1) : rng.next() | 0, rng.bytes(keyLength));
}

const startup: Step = async (wire, _rng, setup) => {
  await wire.send(
    startupMessage([
      ['user', setup.passwordUser],
      ['database', setup.database],
    ]),
  );
  return (await wire.readMessage()) !== null;
};

/** A request and more bytes in the same write: the server must not read past the request in plaintext. */
function stuffed(build: () => Buffer): Step {
  return async (wire, rng) => {
    const extra = rng.chance(0.5)
      ? startupMessage([['user', 'postgres']])
      : Buffer.concat([randomFrame(rng), rng.bytes(rng.int(1, 40))]);
    await wire.send(Buffer.concat([build(), extra]), { messages: 2 });
    return false;
  };
}

const SEQUENCES: ReadonlyArray<readonly [number, readonly Step[]]> = [
  [6, [gssenc, startup]],
  [5, [gssenc, sslNoHandshake, tls, startup]],
  [3, [sslNoHandshake, tls, gssenc]],
  [3, [sslNoHandshake, tls, request(sslRequest, true)]],
  [3, [gssenc, gssenc]],
  [4, [stuffed(sslRequest)]],
  [4, [stuffed(gssencRequest)]],
  [6, [async (w, r) => w.send(cancel(r))]],
  [2, [gssenc, async (w, r) => w.send(cancel(r))]],
  [3, [sslNoHandshake, tls, async (w, r) => w.send(cancel(r))]],
  [3, [sslNoHandshake, tls, startup, startup]],
  [3, [renegotiate, startup]],
  [
    3,
    [
      async (w, _r, s) =>
        w.send(Buffer.concat([startupMessage([['user', s.passwordUser]]), startupMessage([['user', 'x']])]), {
          messages: 2,
        }),
    ],
  ],
  // 'S' answered, then plaintext instead of a ClientHello.
  [3, [sslNoHandshake, async (w, _r, s) => w.send(startupMessage([['user', s.passwordUser]]))]],
  [3, [sslNoHandshake, async (w, r) => w.send(r.bytes(r.int(1, 600)))]],
  // Near-miss request codes and request packets with a body.
  [2, [async (w, r) => w.send(startupPacket(80877103 + r.pick([-2, 2, 3, 65536]), Buffer.alloc(0)))]],
  [2, [async (w, r) => w.send(startupPacket(80877103, r.bytes(r.int(1, 8))))]],
  [2, [async (w) => w.send(Buffer.concat([int32(8), int32(80877104), int32(8)]))]],
];

export function negotiationFamily(setup: PgFuzzSetup): CaseFamily {
  return {
    name: 'negotiation',
    weight: 12,
    kind: 'pre-auth',
    generate(rng): FuzzCase {
      const listener = pickListener(rng, setup);
      const steps = rng.weighted(SEQUENCES);
      return {
        listener,
        async run(wire) {
          for (const step of steps) {
            if (!(await step(wire, rng, setup))) break;
          }
          return pickFinish(rng);
        },
      };
    },
  };
}
