// Captured stdin/stdout/stderr, signals and exit for running the CLI in-process.
import { EventEmitter } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../../../src/cli/context.js';
import type { GatewayModule } from '../../../../src/cli/gateway-loader.js';

export interface TestIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
  exits: number[];
  signals: EventEmitter;
}

function capture(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return { stream, text: () => text };
}

export function testIo(o: { stdin?: string; env?: NodeJS.ProcessEnv; gateway?: GatewayModule } = {}): TestIo {
  const out = capture();
  const err = capture();
  const signals = new EventEmitter();
  const exits: number[] = [];
  const io: CliIo = {
    stdout: out.stream,
    stderr: err.stream,
    stdin: Readable.from(o.stdin === undefined ? [] : [Buffer.from(o.stdin)]),
    env: o.env ?? {},
    signals,
    exit: (code) => {
      exits.push(code);
    },
    loadGateway: async () => {
      if (!o.gateway) throw new Error('no gateway in this test');
      return o.gateway;
    },
  };
  return { io, stdout: out.text, stderr: err.text, exits, signals };
}
