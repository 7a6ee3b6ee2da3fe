// `gatehouse iam` commands for users: create, get, list, update, delete, tags, boundary, groups (AWS CLI names and flags).
import {
  CreateUserCommand,
  DeleteUserCommand,
  DeleteUserPermissionsBoundaryCommand,
  GetUserCommand,
  ListGroupsForUserCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  PutUserPermissionsBoundaryCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateUserCommand,
} from '@aws-sdk/client-iam';
import type { Command } from 'commander';
import type { CliIo } from './context.js';
import { stringList, tagList } from './iam-params.js';
import { iamCall, iamListAll } from './iam-run.js';

interface UserFlags {
  userName?: string;
  path?: string;
  pathPrefix?: string;
  tags?: string[];
  permissionsBoundary?: string;
  newUserName?: string;
  newPath?: string;
  tagKeys?: string[];
}

export const TAGS_HELP = 'tags as Key=k,Value=v (shorthand; several separated by spaces) or JSON';
export const TAG_KEYS_HELP = 'tag keys to remove (several separated by spaces, or a JSON list)';

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
    .command('update-user')
    .description('rename a user or move it to another path (its keys, policies and groups stay)')
    .requiredOption('--user-name <name>', 'current user name')
    .option('--new-user-name <name>', 'new user name')
    .option('--new-path <path>', 'new path, e.g. /engineering/')
    .action((f: UserFlags, cmd: Command) => {
      const input = { UserName: f.userName, NewUserName: f.newUserName, NewPath: f.newPath };
      return iamCall(cmd, io, 'UpdateUser', (c) => c.send(new UpdateUserCommand(input)));
    });

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

  registerUserTagsAndBoundary(iam, io);
}

function registerUserTagsAndBoundary(iam: Command, io: CliIo): void {
  iam
    .command('untag-user')
    .description('remove tags from a user')
    .requiredOption('--user-name <name>', 'user name')
    .requiredOption('--tag-keys <keys...>', TAG_KEYS_HELP)
    .action((f: UserFlags, cmd: Command) => {
      const input = { UserName: f.userName, TagKeys: stringList(f.tagKeys ?? [], '--tag-keys') };
      return iamCall(cmd, io, 'UntagUser', (c) => c.send(new UntagUserCommand(input)));
    });

  iam
    .command('list-user-tags')
    .description('list the tags of a user')
    .requiredOption('--user-name <name>', 'user name')
    .action((f: UserFlags, cmd: Command) =>
      iamListAll(cmd, io, 'ListUserTags', 'Tags', (c, Marker) =>
        c.send(new ListUserTagsCommand({ UserName: f.userName, Marker })),
      ),
    );

  iam
    .command('list-groups-for-user')
    .description('list the groups a user belongs to')
    .requiredOption('--user-name <name>', 'user name')
    .action((f: UserFlags, cmd: Command) =>
      iamListAll(cmd, io, 'ListGroupsForUser', 'Groups', (c, Marker) =>
        c.send(new ListGroupsForUserCommand({ UserName: f.userName, Marker })),
      ),
    );

  iam
    .command('put-user-permissions-boundary')
    .description('set the managed policy that bounds what a user may do')
    .requiredOption('--user-name <name>', 'user name')
    .requiredOption('--permissions-boundary <arn>', 'managed policy ARN')
    .action((f: UserFlags, cmd: Command) => {
      const input = { UserName: f.userName, PermissionsBoundary: f.permissionsBoundary };
      return iamCall(cmd, io, 'PutUserPermissionsBoundary', (c) =>
        c.send(new PutUserPermissionsBoundaryCommand(input)),
      );
    });

  iam
    .command('delete-user-permissions-boundary')
    .description("remove a user's permissions boundary")
    .requiredOption('--user-name <name>', 'user name')
    .action((f: UserFlags, cmd: Command) =>
      iamCall(cmd, io, 'DeleteUserPermissionsBoundary', (c) =>
        c.send(new DeleteUserPermissionsBoundaryCommand({ UserName: f.userName })),
      ),
    );
}
