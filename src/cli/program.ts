// The `gatehouse` command tree (commander) and its runner; main.ts wires it to the real process.
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { registerAudit } from './audit.js';
import { finishCommandTree } from './command-tree.js';
import { CliExit, type CliIo, globalsOf } from './context.js';
import { registerDb } from './db.js';
import { loadGateway } from './gateway-loader.js';
import { registerIam } from './iam.js';
import { formatCliError, OUTPUT_FORMATS } from './output.js';
import { checkPagination, paginationOf } from './paginate.js';
import { checkQuery } from './query.js';
import { registerRds } from './rds.js';
import { registerServe } from './serve.js';
import { registerSts } from './sts.js';
import { registerUp } from './up.js';

// package.json sits two levels up from both src/cli/ and dist/cli/.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(io: CliIo): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse: RDS-style access management for PostgreSQL')
    .version(version)
    .option(
      '--profile <name>',
      'credentials profile in <data-dir>/credentials (default: $AWS_PROFILE or "default")',
    )
    .option(
      '--endpoint-url <url>',
      'management API URL (default: from gateway.json, else https://127.0.0.1:8433)',
    )
    .option('--region <region>', "signing region (default: the running gateway's, else us-east-1)")
    .addOption(new Option('--output <format>', 'output format').choices(OUTPUT_FORMATS).default('json'))
    .option('--data-dir <dir>', 'Gatehouse home (default: $GATEHOUSE_HOME or ~/.gatehouse)')
    .option('--ca-bundle <file>', 'CA certificate bundle to verify the API with (default: <data-dir>/ca.pem)')
    .option('--query <expression>', 'JMESPath expression applied to the result before it is printed')
    .option('--no-paginate', 'only the first page of a paginated result, with its own Marker / NextToken')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerRds(program, io);
  registerDb(program, io);
  registerIam(program, io);
  registerSts(program, io);
  registerAudit(program, io);
  registerUp(program, io);
  registerServe(program, io);
  // Last, so every command registered above (whoever adds it) gets the shared flags and help layout.
  finishCommandTree(program, io);
  // Usage errors found before anything is sent: a --query that does not parse, conflicting paging flags.
  program.hook('preAction', (_program, action) => {
    const { query } = globalsOf(action);
    if (query !== undefined) checkQuery(query);
    checkPagination(paginationOf(action));
  });
  return program;
}

/** Run with user arguments (no node/script prefix); returns the exit code, errors already printed. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    // Usage errors, --help and --version: commander has already written its message.
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof CliExit) return e.exitCode;
    io.stderr.write(formatCliError(e));
    return 1;
  }
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    signals: process,
    exit: (code) => process.exit(code),
    loadGateway,
  };
}
