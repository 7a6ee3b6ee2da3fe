// What every command needs: the process streams (injectable for tests) and the call-and-print helper.
import type { Command } from 'commander';
import { type ApiClient, createApiClient } from './api-client.js';
import { type GlobalOptions, resolveClientConfig } from './client-config.js';
import type { GatewayModule } from './gateway-loader.js';
import { formatOutput, type OutputFormat } from './output.js';
import { applyQuery } from './query.js';

export interface SignalSource {
  on(event: NodeJS.Signals, listener: () => void): unknown;
  off(event: NodeJS.Signals, listener: () => void): unknown;
}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  signals: SignalSource;
  exit(code: number): void;
  /** How `up` and `serve` reach the composition root (src/gateway.ts). */
  loadGateway(): Promise<GatewayModule>;
}

export type CliGlobals = GlobalOptions & {
  output: OutputFormat;
  /** --query: a JMESPath expression, checked before the command runs (program.ts). */
  query?: string;
  /** false with --no-paginate. */
  paginate: boolean;
};

/**
 * Ends a command with this exit code once it has printed its own answer (e.g. `audit verify` reporting
 * tampering): nothing more is written to stderr.
 */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CliExit';
  }
}

export function globalsOf(cmd: Command): CliGlobals {
  return cmd.optsWithGlobals<CliGlobals>();
}

export function clientFor(cmd: Command, io: CliIo): ApiClient {
  return createApiClient(resolveClientConfig(globalsOf(cmd), io.env));
}

/** Call one API action and print its result in the chosen --output format. */
export async function callAndPrint(
  cmd: Command,
  io: CliIo,
  action: string,
  params: Record<string, unknown>,
): Promise<void> {
  const result = await clientFor(cmd, io).call(action, params);
  printResult(cmd, io, result, action);
}

/** A result narrowed by --query, then printed in the chosen --output format (`title` heads a table). */
export function printResult(cmd: Command, io: CliIo, result: unknown, title: string): void {
  const globals = globalsOf(cmd);
  io.stdout.write(formatOutput(applyQuery(result, globals.query), globals.output, title));
}

/** A secret piped on stdin (`--password-stdin`), without its final line break. */
export async function readSecretFromStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text === '') throw new Error('--password-stdin: nothing was read from standard input');
  return text;
}
