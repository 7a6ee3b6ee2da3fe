// PG17 direct TLS (`sslnegotiation=direct`): a TLS ClientHello as the very first bytes. Real handshakes with and
// without the mandatory ALPN "postgresql", then a StartupMessage inside; and captured ClientHellos, mutated.
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { mutate } from '../mutate.js';
import type { CaseFamily, FuzzCase } from '../target.js';
import { startupMessage } from './codec.js';
import { type PgFuzzSetup, pickFinish, splitOption } from './setup.js';
import { pickListener } from './startup-family.js';

/** The first record a Node TLS client sends (its ClientHello), captured without any network. */
export function captureClientHello(alpn: string[] | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let done = false;
    const sink = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        if (!done) {
          done = true;
          resolve(Buffer.from(chunk));
          queueMicrotask(() => secure.destroy());
        }
        callback();
      },
    });
    const secure = tlsConnect({
      socket: sink,
      servername: 'localhost',
      rejectUnauthorized: false,
      ...(alpn ? { ALPNProtocols: alpn } : {}),
    });
    secure.on('error', () => {});
    setTimeout(() => {
      if (!done) reject(new Error('no ClientHello captured'));
      secure.destroy();
    }, 5000).unref();
  });
}

export async function directTlsFamily(setup: PgFuzzSetup): Promise<CaseFamily> {
  const hellos = [await captureClientHello(['postgresql']), await captureClientHello(undefined)];
  return {
    name: 'direct-tls',
    weight: 3,
    kind: 'pre-auth',
    generate(rng): FuzzCase {
      const listener = pickListener(rng, setup);
      return {
        listener,
        async run(wire) {
          if (rng.chance(0.6)) {
            const hello = rng.pick(hellos);
            const bytes = rng.chance(0.9) ? mutate(rng, hello, [1, 5]).bytes : hello;
            await wire.send(bytes, { split: splitOption(rng, bytes.length) });
            return pickFinish(rng);
          }
          const alpn = rng.weighted<string[] | undefined>([
            [70, ['postgresql']],
            [15, undefined],
            [15, ['http/1.1']],
          ]);
          if (!(await wire.startTls(alpn ? { alpn } : {}))) return 'fin';
          let msg = startupMessage([
            ['user', setup.passwordUser],
            ['database', setup.database],
          ]);
          if (rng.chance(0.5)) msg = mutate(rng, msg, [0, 4]).bytes;
          await wire.send(msg);
          if (rng.chance(0.5)) await wire.maybeMessage();
          return pickFinish(rng);
        },
      };
    },
  };
}
