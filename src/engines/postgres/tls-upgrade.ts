// Server-side TLS on a client socket: after SSLRequest ('S'), or direct TLS (PG17 sslnegotiation=direct).
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { GatehouseError } from '../../core/errors.js';
import { ClientGoneError } from '../common/client-gone.js';
import type { TlsSettings } from '../common/limits.js';

/** ALPN name PostgreSQL clients send (PG17+); mandatory for direct TLS. */
export const PG_ALPN = 'postgresql';

/**
 * Wrap `raw` in a server TLSSocket and wait for the handshake. `head` holds bytes already read off the
 * socket (the ClientHello, for direct TLS): they are replayed through a small stream shim first.
 */
export function upgradeToTls(
  raw: Socket,
  tls: TlsSettings,
  head: Buffer | undefined,
  track: (cancel: ((reason: Error) => void) | null) => void,
): Promise<TLSSocket> {
  const transport = head && head.length > 0 ? prepend(raw, head) : raw;
  const secure = new TLSSocket(transport as Socket, {
    isServer: true,
    secureContext: tls.secureContext,
    ALPNProtocols: [PG_ALPN],
  });
  return new Promise((resolve, reject) => {
    const fail = (reason: Error) => {
      track(null);
      secure.destroy();
      raw.destroy();
      reject(reason);
    };
    const onError = (e: Error) =>
      fail(new GatehouseError('GH_TLS_HANDSHAKE_FAILED', {}, { detail: e.message, cause: e }));
    const onClose = () => fail(new ClientGoneError());
    secure.once('secure', () => {
      track(null);
      secure.off('error', onError);
      secure.off('close', onClose);
      resolve(secure);
    });
    secure.once('error', onError);
    secure.once('close', onClose);
    track(fail); // the session deadline can abandon the handshake
    raw.resume();
  });
}

function prepend(raw: Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      raw.write(chunk, callback);
    },
    final(callback) {
      raw.end();
      callback();
    },
    destroy(error, callback) {
      raw.destroy(error ?? undefined);
      callback(error);
    },
  });
  stream.push(head);
  raw.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) raw.pause();
  });
  raw.on('end', () => stream.push(null));
  raw.on('close', () => stream.destroy());
  raw.on('error', (e) => stream.destroy(e));
  return stream;
}
