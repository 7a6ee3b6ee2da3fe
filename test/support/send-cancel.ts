// A raw CancelRequest to a gateway port; resolves with whatever it answered (it must answer nothing).
import { connect } from 'node:net';
import { createCancelRequest } from '../../src/protocol/postgres/index.js';

export function sendCancel(port: number, processId: number, secretKey: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port }, () =>
      socket.write(createCancelRequest(processId, secretKey)),
    );
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the gateway did not close the cancel connection'));
    }, 5000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {}); // a reset after our request is as good as a close
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}
