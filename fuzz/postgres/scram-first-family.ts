// SCRAM client-first mutations: a valid StartupMessage, the server's AuthenticationSASL, then a
// SASLInitialResponse with a mutated mechanism, gs2 header, username, nonce, extensions or framing.
import { mutate, randomText } from '../mutate.js';
import type { Rng } from '../rng.js';
import type { CaseFamily, FuzzCase } from '../target.js';
import type { Wire } from '../wire.js';
import {
  AUTH_SASL,
  AUTH_SASL_CONTINUE,
  authCode,
  type Bytes,
  saslInitialResponse,
  saslMechanisms,
  saslResponse,
  startupMessage,
} from './codec.js';
import { maybeTls, type PgFuzzSetup, pickFinish, pickUser, splitOption, upgrade } from './setup.js';

export const PLUS = 'SCRAM-SHA-256-PLUS';
export const PLAIN = 'SCRAM-SHA-256';
export const nonce = (rng: Rng): string => rng.bytes(18).toString('base64');

/**
 * Connect (TLS on the force-SSL listener, sometimes on the password one), send a StartupMessage and return the
 * mechanisms the server offered, or null if it refused or asked for something else.
 */
export async function startScram(
  wire: Wire,
  rng: Rng,
  setup: PgFuzzSetup,
  forceSsl: boolean,
  tlsProbability: number,
  user: Bytes,
): Promise<string[] | null> {
  if (forceSsl) {
    if (!(await upgrade(wire))) return null;
  } else await maybeTls(wire, rng, tlsProbability, setup);
  await wire.send(
    startupMessage([
      ['user', user],
      ['database', setup.database],
    ]),
  );
  const r = await wire.readUntil('R');
  return authCode(r) === AUTH_SASL && r ? saslMechanisms(r.body) : null;
}

function clientFirst(rng: Rng, offered: readonly string[]): { mechanism: Bytes; data: Buffer } {
  const best = offered[0] ?? PLAIN;
  const mechanism = rng.weighted<() => Bytes>([
    [45, () => best],
    [25, () => PLAIN],
    [8, () => PLUS],
    [3, () => 'SCRAM-SHA-1'],
    [3, () => ''],
    [3, () => 'scram-sha-256'],
    [3, () => randomText(rng, 40)],
    [2, () => `${PLAIN}\0junk`],
    [1, () => 'x'.repeat(rng.int(100, 5000))],
  ])();
  const honestGs2 = mechanism === PLUS ? 'p=tls-server-end-point,,' : 'n,,';
  const gs2 = rng.weighted<() => string>([
    [50, () => honestGs2],
    [8, () => 'y,,'],
    [6, () => 'n,,'],
    [4, () => 'p=tls-unique,,'],
    [3, () => 'p=,,'],
    [3, () => 'p=tls server end point,,'],
    [3, () => 'x,,'],
    [3, () => 'n,a=fuzz,'],
    [3, () => 'n,'],
    [3, () => ''],
    [3, () => `${randomText(rng, 12)},,`],
  ])();
  const n = rng.weighted<() => string>([
    [40, () => nonce(rng)],
    [4, () => ''],
    [4, () => 'a,b'],
    [4, () => 'has space'],
    [4, () => `${nonce(rng)}\x01\x7f`],
    [3, () => 'r'.repeat(rng.int(1000, 20_000))],
    [3, () => '\u00e9\u00e8'],
    [3, () => randomText(rng, 40)],
  ])();
  const userAttr = rng.weighted<() => string>([
    [40, () => 'n=*'],
    [20, () => 'n='],
    [5, () => 'n=fuzz'],
    [4, () => 'n==2C==3D'],
    [4, () => 'n=a,b'],
    [4, () => 'n==ZZ'],
    [3, () => `n=${randomText(rng, 30)}`],
    [3, () => ''],
  ])();
  const bare = rng.weighted<() => string>([
    [70, () => `${userAttr},r=${n}`],
    [5, () => `r=${n},${userAttr}`],
    [5, () => userAttr],
    [5, () => `${userAttr},r=${n},m=ext`],
    [4, () => `m=ext,${userAttr},r=${n}`],
    [4, () => `${userAttr},r=${n},x=1`],
    [4, () => `${userAttr},r=${n},`],
    [3, () => `${userAttr},r=${n},r=${n}`],
  ])();
  return { mechanism, data: Buffer.from(gs2 + bare, 'utf8') };
}

export function scramFirstFamily(setup: PgFuzzSetup): CaseFamily {
  return {
    name: 'scram-first',
    weight: 16,
    kind: 'pre-auth',
    generate(rng, ctx): FuzzCase {
      const forceSsl = setup.tls && rng.chance(0.15);
      const listener = forceSsl ? setup.listeners.forceSsl : setup.listeners.password;
      return {
        listener,
        async run(wire) {
          const own = forceSsl ? setup.forceSslUser : setup.passwordUser;
          const user = rng.chance(0.8) ? own : pickUser(rng, setup, `ghost${rng.int(0, 999)}`);
          const offered = await startScram(wire, rng, setup, forceSsl, ctx.tlsProbability * 2, user);
          if (!offered) return 'fin';
          const { mechanism, data } = clientFirst(rng, offered);
          const declared = rng.weighted<number | undefined>([
            [85, undefined],
            [4, -1],
            [3, data.length - 1],
            [3, data.length + 1],
            [2, 0],
            [3, rng.pick([0x7fffffff, -2, 65_536])],
          ]);
          let msg = saslInitialResponse(mechanism, declared === -1 ? null : data, declared);
          if (declared === -1 && rng.chance(0.5)) msg = saslInitialResponse(mechanism, data, -1);
          if (rng.chance(0.2)) msg = mutate(rng, msg, [1]).bytes;
          await wire.send(msg, { split: splitOption(rng, msg.length) });
          if (rng.chance(0.5)) {
            const m = await wire.maybeMessage();
            if (authCode(m) === AUTH_SASL_CONTINUE && rng.chance(0.5)) {
              await wire.send(saslResponse(rng.chance(0.5) ? rng.bytes(rng.int(0, 200)) : Buffer.alloc(0)));
            }
          }
          return pickFinish(rng);
        },
      };
    },
  };
}
