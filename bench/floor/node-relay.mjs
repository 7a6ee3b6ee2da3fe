// The Node floor: the cheapest relay Node can be, as a bench target. `net.createServer` + `pipe()` both ways with
// noDelay, no parsing, no logging. With `--tls CERT KEY` it also terminates PostgreSQL's TLS (answers the
// SSLRequest with 'S', then a server TLSSocket), as Gatehouse + TLS does; the backend leg is plain in both.
// Usage: node node-relay.mjs LISTEN_PORT BACKEND_PORT [--tls CERT_FILE KEY_FILE]; prints "ready" when listening.
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';

const [listenPort, backendPort, flag, certFile, keyFile] = process.argv.slice(2);
const tls =
  flag === '--tls'
    ? createSecureContext({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' })
    : null;

/** Pipe `client` to a new backend connection and back; either side closing or failing closes both. */
function relay(client) {
  const backend = connect({ host: '127.0.0.1', port: Number(backendPort), noDelay: true });
  const close = () => {
    client.destroy();
    backend.destroy();
  };
  client.on('error', close).on('close', close);
  backend.on('error', close).on('close', close);
  client.setNoDelay(true);
  client.pipe(backend);
  backend.pipe(client);
}

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => socket.destroy());
  if (!tls) {
    relay(socket);
    return;
  }
  // libpq sends an 8-byte SSLRequest first; answer 'S' and wrap, or refuse anything else.
  socket.once('readable', function first() {
    const head = socket.read(8);
    if (head === null) {
      socket.once('readable', first);
      return;
    }
    if (!head.equals(SSL_REQUEST)) {
      socket.destroy();
      return;
    }
    socket.write('S');
    const secure = new TLSSocket(socket, { isServer: true, secureContext: tls });
    secure.once('secure', () => relay(secure));
    secure.on('error', () => socket.destroy());
  });
});
server.listen(Number(listenPort), '127.0.0.1', () => console.log('ready'));
process.once('SIGTERM', () => process.exit(0));
