// `gatehouse rds …`: DB instances, with the AWS CLI's command and flag names.
import { type Command, Option } from 'commander';
import { generateAuthToken } from '../auth/iam-token/generate.js';
import { DB_ENGINES } from '../core/types.js';
import { resolveClientConfig } from './client-config.js';
import { type CliIo, callAndPrint, globalsOf } from './context.js';
import { parsePort } from './duration.js';

interface InstanceFlags {
  dbInstanceIdentifier: string;
  engine?: string;
  backendUrl?: string;
  dbName?: string;
  listen?: string;
  port?: number;
  dbPortNumber?: number;
  forceSsl?: boolean;
  enableIamDatabaseAuthentication?: boolean;
  endpointAliases?: string[];
  terminateRevokedIamSessions?: boolean;
  auditFailOpen?: boolean;
  auditStatements?: string[];
  auditStatementLiterals?: boolean;
  auditResultDigest?: boolean;
}

/** `--endpoint-aliases a:1,b:2`; an empty value ('') is an empty list, which clears the aliases. */
function parseAliases(value: string): string[] {
  return value
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

/** `--audit-statements READ,WRITE`; an empty value ('') is an empty list, which turns statement events off. */
function parseClasses(value: string): string[] {
  return value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

/** Only the flags given: an omitted flag leaves the setting to the gateway's default (or unchanged). */
function instanceParams(f: InstanceFlags): Record<string, unknown> {
  return {
    DBInstanceIdentifier: f.dbInstanceIdentifier,
    ...(f.engine !== undefined ? { Engine: f.engine } : {}),
    ...(f.backendUrl !== undefined ? { BackendUrl: f.backendUrl } : {}),
    ...(f.listen !== undefined ? { Listen: f.listen } : {}),
    ...(f.dbName !== undefined ? { DBName: f.dbName } : {}),
    ...(f.port !== undefined ? { Port: f.port } : {}),
    ...(f.dbPortNumber !== undefined ? { DBPortNumber: f.dbPortNumber } : {}),
    ...(f.forceSsl !== undefined ? { ForceSsl: f.forceSsl } : {}),
    ...(f.enableIamDatabaseAuthentication !== undefined
      ? { EnableIAMDatabaseAuthentication: f.enableIamDatabaseAuthentication }
      : {}),
    ...(f.endpointAliases !== undefined ? { EndpointAliases: f.endpointAliases } : {}),
    ...(f.terminateRevokedIamSessions !== undefined
      ? { TerminateRevokedIAMSessions: f.terminateRevokedIamSessions }
      : {}),
    ...(f.auditFailOpen !== undefined ? { AuditFailOpen: f.auditFailOpen } : {}),
    ...(f.auditStatements !== undefined ? { AuditStatements: f.auditStatements } : {}),
    ...(f.auditStatementLiterals !== undefined ? { AuditStatementLiterals: f.auditStatementLiterals } : {}),
    ...(f.auditResultDigest !== undefined ? { AuditResultDigest: f.auditResultDigest } : {}),
  };
}

/** The IAM database authentication flags, AWS CLI spelling; each pair's omission leaves the setting alone. */
function addIamOptions(command: Command, defaults: { iam: string; terminate: string }): Command {
  return command
    .option(
      '--enable-iam-database-authentication',
      `accept IAM auth tokens from IAM database users (${defaults.iam})`,
    )
    .option('--no-enable-iam-database-authentication', 'turn IAM database authentication off')
    .option(
      '--endpoint-aliases <host:port,...>',
      "other names clients may sign IAM auth tokens for, comma separated (at most 16; '' clears them)",
      parseAliases,
    )
    .option(
      '--terminate-revoked-iam-sessions',
      `end open IAM sessions when their key, principal or rds-db:connect permission goes (${defaults.terminate})`,
    )
    .option(
      '--no-terminate-revoked-iam-sessions',
      'let open IAM sessions run on after their access is revoked',
    );
}

/** The audit flags (docs/audit.md); each pair's omission leaves the setting alone (or at its default). */
function addAuditOptions(command: Command, create: boolean): Command {
  const was = (initially: string) => (create ? `default: ${initially}` : 'default: unchanged');
  return command
    .option(
      '--audit-fail-open',
      `admit a login even when its audit event cannot be committed (${was('refuse it')})`,
    )
    .option('--no-audit-fail-open', 'refuse a login whose audit event cannot be committed')
    .option(
      '--audit-statements <classes>',
      `record statements of these pgaudit classes: READ,WRITE,FUNCTION,ROLE,DDL,MISC or ALL, comma separated; '' turns it off (${was('off')})`,
      parseClasses,
    )
    .option('--audit-statement-literals', `keep literals in recorded statements (${was('replaced by $n')})`)
    .option('--no-audit-statement-literals', 'replace literals in recorded statements by $n')
    .option(
      '--audit-result-digest',
      `add the SHA-256 of the rows sent to the client to each statement event (${was('off')})`,
    )
    .option('--no-audit-result-digest', 'record no result digest');
}

const BACKEND_URL_HELP =
  'admin connection to the real database: postgres://ADMIN[:PASSWORD]@HOST:PORT/DB[?sslmode=…]';

export function registerRds(program: Command, io: CliIo): void {
  const rds = program.command('rds').description('manage DB instances (Amazon RDS-style)');

  const create = rds
    .command('create-db-instance')
    .description('register a backend database behind a new Gatehouse listener')
    .requiredOption('--db-instance-identifier <name>', 'instance name (letters, digits, hyphens)')
    .addOption(new Option('--engine <engine>', 'database engine').choices(DB_ENGINES).makeOptionMandatory())
    .option('--backend-url <url>', `${BACKEND_URL_HELP} (default: the gateway's rds.defaultBackendUrl)`)
    .option('--db-name <name>', "database on the backend; created if missing (default: the backend URL's)")
    .option(
      '--listen <host:port>',
      'address clients connect to, e.g. 127.0.0.1:5433 (default: rds.defaultListenHost and --port)',
    )
    .option(
      '--port <port>',
      "listener port on the gateway's rds.defaultListenHost (default: the engine's port, or the next free one)",
      parsePort,
    )
    .option(
      '--force-ssl',
      'refuse clients that do not use TLS (default: off, as on RDS; the demo instance of `gatehouse up` has it on)',
    )
    .option('--no-force-ssl', 'accept clients without TLS (the default)');
  addIamOptions(create, { iam: 'default: off', terminate: 'default: on' });
  addAuditOptions(create, true).action((f: InstanceFlags, cmd: Command) =>
    callAndPrint(cmd, io, 'CreateDBInstance', instanceParams(f)),
  );

  rds
    .command('describe-db-instances')
    .description('show one instance, or all')
    .option('--db-instance-identifier <name>', 'only this instance')
    .action((f: Partial<InstanceFlags>, cmd: Command) =>
      callAndPrint(
        cmd,
        io,
        'DescribeDBInstances',
        f.dbInstanceIdentifier !== undefined ? { DBInstanceIdentifier: f.dbInstanceIdentifier } : {},
      ),
    );

  const modify = rds
    .command('modify-db-instance')
    .description('change the backend, listen address, TLS requirement, IAM or audit settings of an instance')
    .requiredOption('--db-instance-identifier <name>', 'instance name')
    .option('--backend-url <url>', BACKEND_URL_HELP)
    .option('--listen <host:port>', 'new listen address')
    .option('--db-port-number <port>', 'move the listener to this port on its current host', parsePort)
    .option('--force-ssl', 'refuse clients that do not use TLS')
    .option('--no-force-ssl', 'accept clients without TLS');
  addIamOptions(modify, { iam: 'default: unchanged', terminate: 'default: unchanged' });
  addAuditOptions(modify, false).action((f: InstanceFlags, cmd: Command) =>
    callAndPrint(cmd, io, 'ModifyDBInstance', instanceParams(f)),
  );

  rds
    .command('delete-db-instance')
    .description('stop listening for an instance and forget it (the backend database is not touched)')
    .requiredOption('--db-instance-identifier <name>', 'instance name')
    .action((f: InstanceFlags, cmd: Command) =>
      callAndPrint(cmd, io, 'DeleteDBInstance', { DBInstanceIdentifier: f.dbInstanceIdentifier }),
    );

  rds
    .command('generate-db-auth-token')
    .description(
      'mint a 15-minute IAM database auth token (signed locally, as the AWS CLI does; no API call)',
    )
    .requiredOption('--hostname <host>', 'the endpoint host clients connect to')
    .requiredOption('--port <port>', 'the endpoint port', parsePort)
    .requiredOption('--username <name>', 'the database user')
    .action(async (f: { hostname: string; port: number; username: string }, cmd: Command) => {
      const config = resolveClientConfig(globalsOf(cmd), io.env);
      const token = await generateAuthToken({
        hostname: f.hostname,
        port: f.port,
        username: f.username,
        region: config.region,
        credentials: config.credentials,
      });
      io.stdout.write(`${token}\n`);
    });
}
