// Stalled starts (slowloris): a partial packet, an SSLRequest without a handshake, a handshake without a
// StartupMessage, a start-up without an answer to the password request, or a StartupMessage dripped a byte at
// a time. The server's start-up deadline must close every one of them.
import type { CaseFamily, FuzzCase } from '../target.js';
import type { Wire } from '../wire.js';
import { authCode, startupMessage } from './codec.js';
import { type PgFuzzSetup, upgrade } from './setup.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function stallFamily(setup: PgFuzzSetup, dripIntervalMs = 400): CaseFamily {
  return {
    name: 'stall',
    weight: 1,
    kind: 'stall',
    generate(rng): FuzzCase {
      const variant = rng.int(0, setup.tls ? 5 : 2);
      const iam = variant === 5;
      const user = iam ? setup.iamUser : setup.passwordUser;
      const start = startupMessage([
        ['user', user],
        ['database', setup.database],
        ['application_name', 'x'.repeat(40)],
      ]);
      return {
        listener: iam ? setup.listeners.iam : setup.listeners.password,
        async run(wire: Wire) {
          if (variant === 0) {
            await wire.send(start.subarray(0, rng.int(1, start.length - 1)));
          } else if (variant === 1) {
            await wire.send(start);
            await wire.readMessage(); // the password request, left unanswered
          } else if (variant === 2) {
            // Drip: one byte per interval, until the server gives up (it must, at its deadline).
            for (let i = 0; i < start.length && !wire.closed; i++) {
              await wire.send(start.subarray(i, i + 1), { messages: i === start.length - 1 ? 1 : 0 });
              await sleep(dripIntervalMs);
            }
          } else if (variant === 3) {
            await wire.send(Buffer.from([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f])); // SSLRequest, then no handshake
            await wire.readByte();
          } else if (variant === 4) {
            await upgrade(wire);
          } else if (await upgrade(wire)) {
            await wire.send(start);
            authCode(await wire.readMessage());
          }
          return 'hold';
        },
      };
    },
  };
}
