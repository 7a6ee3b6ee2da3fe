// `gatehouse iam` commands for users and their access keys (AWS CLI names and flags).
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListUsersCommand,
  type StatusType,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { type Command, Option } from 'commander';
import type { CliIo } from './context.js';
import { tagList } from './iam-params.js';
import { iamCall, iamListAll } from './iam-run.js';

interface UserFlags {
  userName?: string;
  path?: string;
  pathPrefix?: string;
  tags?: string[];
  permissionsBoundary?: string;
  accessKeyId?: string;
  status?: StatusType;
}

export const TAGS_HELP = 'tags as Key=k,Value=v (shorthand; several separated by spaces) or JSON';

export function registerIamUsers(iam: Command, io: CliIo): void {
  iam
    .command('create-user')
    .description('create an IAM user')
    .requiredOption('--user-name <name>', 'user name')
    .option('--path <path>', 'path, e.g. /engineering/ (default /)')
    .option('--tags <tags...>', TAGS_HELP)
    .option('--permissions-boundary <arn>', 'ARN of the managed policy that bounds the user')
    .action((f: UserFlags, cmd: Command) => {
      const input = {
        UserName: f.userName,
        Path: f.path,
        PermissionsBoundary: f.permissionsBoundary,
        Tags: f.tags === undefined ? undefined : tagList(f.tags),
      };
      return iamCall(cmd, io, 'CreateUser', (c) => c.send(new CreateUserCommand(input)));
    });

  iam
    .command('get-user')
    .description('show a user (default: the caller)')
    .option('--user-name <name>', 'user name')
    .action((f: UserFlags, cmd: Command) =>
      iamCall(cmd, io, 'GetUser', (c) => c.send(new GetUserCommand({ UserName: f.userName }))),
    );

  iam
    .command('list-users')
    .description('list users')
    .option('--path-prefix <prefix>', 'only users whose path starts with this')
    .action((f: UserFlags, cmd: Command) =>
      iamListAll(cmd, io, 'ListUsers', 'Users', (c, Marker) =>
        c.send(new ListUsersCommand({ PathPrefix: f.pathPrefix, Marker })),
      ),
    );

  iam
    .command('delete-user')
    .description('delete a user (it must have no keys, policies or groups left)')
    .requiredOption('--user-name <name>', 'user name')
    .action((f: UserFlags, cmd: Command) =>
      iamCall(cmd, io, 'DeleteUser', (c) => c.send(new DeleteUserCommand({ UserName: f.userName }))),
    );

  iam
    .command('tag-user')
    .description('add or overwrite tags of a user')
    .requiredOption('--user-name <name>', 'user name')
    .requiredOption('--tags <tags...>', TAGS_HELP)
    .action((f: UserFlags, cmd: Command) => {
      const input = { UserName: f.userName, Tags: tagList(f.tags ?? []) };
      return iamCall(cmd, io, 'TagUser', (c) => c.send(new TagUserCommand(input)));
    });

  iam
    .command('create-access-key')
    .description('create an access key; the secret is shown only in this output')
    .option('--user-name <name>', 'user name (default: the caller)')
    .action((f: UserFlags, cmd: Command) =>
      iamCall(cmd, io, 'CreateAccessKey', (c) =>
        c.send(new CreateAccessKeyCommand({ UserName: f.userName })),
      ),
    );

  iam
    .command('list-access-keys')
    .description("list a user's access keys (default: the caller's)")
    .option('--user-name <name>', 'user name')
    .action((f: UserFlags, cmd: Command) =>
      iamListAll(cmd, io, 'ListAccessKeys', 'AccessKeyMetadata', (c, Marker) =>
        c.send(new ListAccessKeysCommand({ UserName: f.userName, Marker })),
      ),
    );

  iam
    .command('get-access-key-last-used')
    .description('when, and for which service, an access key was last used')
    .requiredOption('--access-key-id <id>', 'access key id')
    .action((f: UserFlags, cmd: Command) =>
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
    .action((f: UserFlags, cmd: Command) =>
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
    .action((f: UserFlags, cmd: Command) =>
      iamCall(cmd, io, 'DeleteAccessKey', (c) =>
        c.send(new DeleteAccessKeyCommand({ AccessKeyId: f.accessKeyId, UserName: f.userName })),
      ),
    );
}
