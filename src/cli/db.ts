// `gatehouse db …`: database users of an instance (passwords, rotation with a grace period, IAM users).
import { type Command, Option } from 'commander';
import { DB_USER_AUTH } from '../core/types.js';
import { type CliIo, callAndPrint, readSecretFromStdin } from './context.js';
import { parseDuration } from './duration.js';

interface UserFlags {
  dbInstanceIdentifier: string;
  username: string;
  auth?: string;
  passwordStdin?: boolean;
  grace?: number;
  grant?: string[];
}

/** Repeatable --grant: each occurrence adds one. */
function collectGrant(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The password from stdin when asked for; otherwise none, and the gateway generates one and shows it once. */
async function passwordParam(f: UserFlags, io: CliIo): Promise<Record<string, unknown>> {
  return f.passwordStdin ? { Password: await readSecretFromStdin(io.stdin) } : {};
}

export function registerDb(program: Command, io: CliIo): void {
  const db = program.command('db').description('manage database users of an instance');

  db.command('create-user')
    .description(
      'create a database user; without --password-stdin a password is generated and printed once. ' +
        'An --auth iam user has no password: it logs in with IAM auth tokens (its backend role is granted rds_iam)',
    )
    .requiredOption('--db-instance-identifier <name>', 'instance name')
    .requiredOption('--username <name>', 'database user name')
    .addOption(
      new Option('--auth <method>', 'how the user authenticates: a password, or IAM auth tokens')
        .choices(DB_USER_AUTH)
        .makeOptionMandatory(),
    )
    .option('--password-stdin', 'read the password from standard input (--auth password only)')
    .option(
      '--grant <privileges:object>',
      'GRANT on the backend, repeatable: PRIVILEGES is all or a comma list of select, insert, update, delete, ' +
        'truncate, references, trigger; OBJECT is a table (items, sales.orders) or schema.NAME for every table ' +
        'in a schema. E.g. --grant select:items --grant select,insert:items --grant all:schema.public',
      collectGrant,
    )
    .action(async (f: UserFlags, cmd: Command) =>
      callAndPrint(cmd, io, 'CreateDBUser', {
        DBInstanceIdentifier: f.dbInstanceIdentifier,
        Username: f.username,
        Auth: f.auth,
        ...(await passwordParam(f, io)),
        ...(f.grant === undefined ? {} : { Grants: f.grant }),
      }),
    );

  db.command('list-users')
    .description('list the database users of an instance')
    .requiredOption('--db-instance-identifier <name>', 'instance name')
    .action((f: UserFlags, cmd: Command) =>
      callAndPrint(cmd, io, 'ListDBUsers', { DBInstanceIdentifier: f.dbInstanceIdentifier }),
    );

  db.command('delete-user')
    .description('delete a database user (its backend role loses LOGIN)')
    .requiredOption('--db-instance-identifier <name>', 'instance name')
    .requiredOption('--username <name>', 'database user name')
    .action((f: UserFlags, cmd: Command) =>
      callAndPrint(cmd, io, 'DeleteDBUser', {
        DBInstanceIdentifier: f.dbInstanceIdentifier,
        Username: f.username,
      }),
    );

  db.command('rotate-password')
    .description('set a new password; the old one keeps working for --grace')
    .requiredOption('--db-instance-identifier <name>', 'instance name')
    .requiredOption('--username <name>', 'database user name')
    .option(
      '--grace <duration>',
      'how long the old password stays valid: 90s, 15m, 1h, 2d or seconds',
      parseDuration,
      0,
    )
    .option('--password-stdin', 'read the new password from standard input (default: generate one)')
    .action(async (f: UserFlags, cmd: Command) =>
      callAndPrint(cmd, io, 'RotateDBUserPassword', {
        DBInstanceIdentifier: f.dbInstanceIdentifier,
        Username: f.username,
        GraceSeconds: f.grace ?? 0,
        ...(await passwordParam(f, io)),
      }),
    );
}
