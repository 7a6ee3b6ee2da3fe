// Pre-auth families on the first packet: StartupMessage grammar + mutations (optionally with pipelined
// follow-ups), protocol noise from other protocols, and oversize lengths with real bodies behind them.
import { mutate, randomText } from '../mutate.js';
import type { Rng } from '../rng.js';
import type { CaseFamily, FuzzCase, Listener } from '../target.js';
import type { Wire } from '../wire.js';
import {
  frame,
  int32,
  passwordMessage,
  saslInitialResponse,
  startupMessage,
  startupPacket,
  V3_0,
} from './codec.js';
import {
  maybeTls,
  type PgFuzzSetup,
  pickFinish,
  pickUser,
  pickVersion,
  splitOption,
  startupParameters,
  upgrade,
} from './setup.js';

export function pickListener(rng: Rng, setup: PgFuzzSetup): Listener {
  const { password, iam, forceSsl } = setup.listeners;
  return rng.weighted([
    [60, password],
    [25, iam],
    [15, forceSsl],
  ]);
}

/** A typed message of a random kind with a random (sometimes lying) body, for pipelining after a start. */
export function randomFrame(rng: Rng): Buffer {
  const type = rng.chance(0.7) ? rng.pick([...'pQPBDESHCXFdcf']) : String.fromCharCode(rng.int(0, 255));
  const body = rng.chance(0.5) ? Buffer.from(randomText(rng, 80), 'utf8') : rng.bytes(rng.size(200));
  const f = frame(type, body);
  return rng.chance(0.2) ? mutate(rng, f, [1]).bytes : f;
}

export function startupFamily(setup: PgFuzzSetup): CaseFamily {
  return {
    name: 'startup',
    weight: 25,
    kind: 'pre-auth',
    generate(rng, ctx): FuzzCase {
      const listener = pickListener(rng, setup);
      return {
        listener,
        async run(wire: Wire) {
          await maybeTls(wire, rng, ctx.tlsProbability, setup);
          const { iam, forceSsl } = setup.listeners;
          const preferred =
            listener === iam
              ? setup.iamUser
              : listener === forceSsl
                ? setup.forceSslUser
                : setup.passwordUser;
          const user = pickUser(rng, setup, preferred);
          let msg = startupMessage(startupParameters(rng, setup, user), pickVersion(rng));
          const mutated = rng.chance(0.6);
          if (mutated) msg = mutate(rng, msg, [0, 4]).bytes;
          if (rng.chance(0.35)) {
            // Pipelined pre-auth garbage: more messages in the same write, before any answer.
            const extra = Array.from({ length: rng.int(1, 8) }, () => randomFrame(rng));
            await wire.send(Buffer.concat([msg, ...extra]), { messages: 1 + extra.length });
          } else {
            await wire.send(msg, { split: splitOption(rng, msg.length) });
            if (!mutated && rng.chance(0.5)) await wire.readMessage();
          }
          return pickFinish(rng);
        },
      };
    },
  };
}

const FOREIGN_PROTOCOLS = [
  'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n',
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  'SSH-2.0-OpenSSH_9.2\r\n',
  '*1\r\n$4\r\nPING\r\n',
  'EHLO fuzz\r\n',
  '\x16\x03\x01\x00\x05hello',
];

export function noiseFamily(setup: PgFuzzSetup): CaseFamily {
  return {
    name: 'noise',
    weight: 6,
    kind: 'pre-auth',
    generate(rng, ctx): FuzzCase {
      const listener = pickListener(rng, setup);
      return {
        listener,
        async run(wire) {
          await maybeTls(wire, rng, ctx.tlsProbability / 2, setup);
          const bytes = rng.weighted<() => Buffer>([
            [4, () => rng.bytes(rng.size(4000) + 1)],
            [
              3,
              () => {
                const n = rng.int(8, 600);
                return Buffer.concat([int32(n), rng.bytes(Math.max(0, n - 4 - rng.int(0, 2)))]);
              },
            ],
            [2, () => Buffer.concat(Array.from({ length: rng.int(1, 8) }, () => randomFrame(rng)))],
            [2, () => Buffer.from(rng.pick(FOREIGN_PROTOCOLS), 'latin1')],
            [1, () => Buffer.alloc(rng.int(1, 64))],
          ])();
          await wire.send(bytes, { split: splitOption(rng, bytes.length) });
          return pickFinish(rng);
        },
      };
    },
  };
}

/** A StartupMessage padded with parameters to exactly `target` bytes (±), around the packet cap. */
function startupOfSize(target: number, user: string): Buffer {
  const params: Array<[string, string]> = [['user', user]];
  let size = startupMessage(params).length;
  for (let i = 0; size + 8 < target; i++) {
    const value = 'v'.repeat(Math.min(200, Math.max(0, target - size - 8 - String(i).length - 3)));
    params.push([`p${i}`, value]);
    size = startupMessage(params).length;
  }
  return startupMessage(params);
}

export function oversizeFamily(setup: PgFuzzSetup): CaseFamily {
  return {
    name: 'oversize',
    weight: 3,
    kind: 'pre-auth',
    generate(rng, ctx): FuzzCase {
      const variant = rng.int(0, 4);
      const { password, iam } = setup.listeners;
      const listener = variant === 4 ? iam : variant === 3 ? password : pickListener(rng, setup);
      return {
        listener,
        async run(wire) {
          if (variant === 0) {
            // A declared length past the cap with the whole body behind it.
            const body = rng.bytes(rng.int(10_000, 80_000));
            await wire.send(startupPacket(V3_0, body));
          } else if (variant === 1) {
            await wire.send(Buffer.concat([int32(rng.pick([0x7fffffff, 1 << 30, 262_145])), int32(V3_0)]));
          } else if (variant === 2) {
            await maybeTls(wire, rng, ctx.tlsProbability, setup);
            await wire.send(startupOfSize(rng.int(9_900, 10_100), setup.passwordUser));
          } else if (variant === 3) {
            // Past the startup packet: an auth message above (or just under) its cap.
            await wire.send(
              startupMessage([
                ['user', setup.passwordUser],
                ['database', setup.database],
              ]),
            );
            await wire.readMessage();
            const size = rng.pick([65_000, 65_530, 65_531, 65_536, 70_000, 200_000]);
            await wire.send(saslInitialResponse('SCRAM-SHA-256', rng.bytes(size)));
          } else if (setup.tls && (await upgrade(wire))) {
            // An IAM password around the token cap (8 KiB) and the auth message cap.
            await wire.send(
              startupMessage([
                ['user', setup.iamUser],
                ['database', setup.database],
              ]),
            );
            await wire.readMessage();
            const size = rng.pick([8_191, 8_192, 8_193, 9_000, 65_530, 70_000]);
            await wire.send(passwordMessage('x'.repeat(size)));
          }
          return pickFinish(rng);
        },
      };
    },
  };
}
