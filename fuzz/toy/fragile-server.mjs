// A deliberately fragile PostgreSQL-ish server, to show the fuzz harness catches what it is meant to catch
// (test/fuzz/detector.test.ts). FUZZ_TOY_MODE:
//   crash  - throws (an uncaught exception: the process dies) on a startup packet declaring over 10,000 bytes;
//   reject - leaves a promise rejection unhandled whenever input contains an ESC byte, and keeps serving;
//   wedge  - after input with an ESC byte, stops answering anyone (the good client must notice).
import { createServer } from 'node:net';

const mode = process.env.FUZZ_TOY_MODE ?? 'crash';
let wedged = false;

function errorResponse(message) {
  const body = Buffer.concat([
    Buffer.from('SFATAL\0C08P01\0M', 'latin1'),
    Buffer.from(`${message}\0\0`, 'utf8'),
  ]);
  const head = Buffer.alloc(5);
  head.write('E', 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

const server = createServer((socket) => {
  let buf = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    if (buf.includes(0x1b)) {
      if (mode === 'reject') void Promise.reject(new Error('toy: an ESC byte in the input'));
      if (mode === 'wedge') wedged = true;
    }
    if (wedged || buf.length < 8) return;
    const len = buf.readInt32BE(0);
    if (mode === 'crash' && len > 10_000) throw new Error(`toy: cannot handle a ${len}-byte startup packet`);
    const code = buf.readInt32BE(4);
    if (len === 8 && (code === 80877103 || code === 80877104)) {
      socket.write('N');
      buf = buf.subarray(8);
      return;
    }
    socket.end(errorResponse('the toy server refuses everything'));
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'fuzz:ready', info: { port: server.address().port } });
});
process.on('message', (m) => {
  if (m?.type === 'fuzz:stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
