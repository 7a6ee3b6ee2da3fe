// `gatehouse iam` commands for access keys: create, list, last used, update, delete (AWS CLI names and flags).
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  ListAccessKeysCommand,
  type StatusType,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { type Command, Option } from 'commander';
import type { CliIo } from './context.js';
import { iamCall, iamListAll } from './iam-run.js';

interface KeyFlags {
  userName?: string;
  accessKeyId?: string;
  status?: StatusType;
}

export function registerIamAccessKeys(iam: Command, io: CliIo): void {
  iam
    .command('create-access-key')
    .description('create an access key; the secret is shown only in this output')
    .option('--user-name <name>', 'user name (default: the caller)')
    .action((f: KeyFlags, cmd: Command) =>
      iamCall(cmd, io, 'CreateAccessKey', (c) =>
        c.send(new CreateAccessKeyCommand({ UserName: f.userName })),
      ),
    );

  iam
    .command('list-access-keys')
    .description("list a user's access keys (default: the caller's)")
    .option('--user-name <name>', 'user name')
    .action((f: KeyFlags, cmd: Command) =>
      iamListAll(cmd, io, 'ListAccessKeys', 'AccessKeyMetadata', (c, Marker) =>
        c.send(new ListAccessKeysCommand({ UserName: f.userName, Marker })),
      ),
    );

  iam
    .command('get-access-key-last-used')
    .description('when, and for which service, an access key was last used')
    .requiredOption('--access-key-id <id>', 'access key id')
    .action((f: KeyFlags, cmd: Command) =>
      iamCall(cmd, io, 'GetAccessKeyLastUsed', (c) =>
        c.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: f.accessKeyId })),
      ),
    );

  iam
    .command('update-access-key')
    .description('activate or deactivate an access key')
    .requiredOption('--access-key-id <id>', 'access key id')
    .addOption(
      new Option('--status <status>', 'new status').choices(['Active', 'Inactive']).makeOptionMandatory(),
    )
    .option('--user-name <name>', 'owner of the key (default: the caller)')
    .action((f: KeyFlags, cmd: Command) =>
      iamCall(cmd, io, 'UpdateAccessKey', (c) =>
        c.send(
          new UpdateAccessKeyCommand({ AccessKeyId: f.accessKeyId, Status: f.status, UserName: f.userName }),
        ),
      ),
    );

  iam
    .command('delete-access-key')
    .description('delete an access key')
    .requiredOption('--access-key-id <id>', 'access key id')
    .option('--user-name <name>', 'owner of the key (default: the caller)')
    .action((f: KeyFlags, cmd: Command) =>
      iamCall(cmd, io, 'DeleteAccessKey', (c) =>
        c.send(new DeleteAccessKeyCommand({ AccessKeyId: f.accessKeyId, UserName: f.userName })),
      ),
    );
}
