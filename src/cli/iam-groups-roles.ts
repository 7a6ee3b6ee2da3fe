// `gatehouse iam` commands for groups and group membership (AWS CLI names and flags); roles: iam-roles.ts.
import {
  AddUserToGroupCommand,
  CreateGroupCommand,
  DeleteGroupCommand,
  GetGroupCommand,
  ListGroupsCommand,
  RemoveUserFromGroupCommand,
  UpdateGroupCommand,
} from '@aws-sdk/client-iam';
import type { Command } from 'commander';
import type { CliIo } from './context.js';
import { iamCall, iamListAll } from './iam-run.js';

interface GroupFlags {
  groupName?: string;
  userName?: string;
  path?: string;
  pathPrefix?: string;
  newGroupName?: string;
  newPath?: string;
}

export const DOCUMENT_HELP = 'policy JSON, inline or file://path';

function registerGroups(iam: Command, io: CliIo): void {
  iam
    .command('create-group')
    .description('create a group')
    .requiredOption('--group-name <name>', 'group name')
    .option('--path <path>', 'path (default /)')
    .action((f: GroupFlags, cmd: Command) =>
      iamCall(cmd, io, 'CreateGroup', (c) =>
        c.send(new CreateGroupCommand({ GroupName: f.groupName, Path: f.path })),
      ),
    );

  iam
    .command('get-group')
    .description('show a group and its members')
    .requiredOption('--group-name <name>', 'group name')
    .action((f: GroupFlags, cmd: Command) =>
      iamListAll(cmd, io, 'GetGroup', 'Users', (c, Marker) =>
        c.send(new GetGroupCommand({ GroupName: f.groupName, Marker })),
      ),
    );

  iam
    .command('list-groups')
    .description('list groups')
    .option('--path-prefix <prefix>', 'only groups whose path starts with this')
    .action((f: GroupFlags, cmd: Command) =>
      iamListAll(cmd, io, 'ListGroups', 'Groups', (c, Marker) =>
        c.send(new ListGroupsCommand({ PathPrefix: f.pathPrefix, Marker })),
      ),
    );

  iam
    .command('update-group')
    .description('rename a group or move it to another path (its members and policies stay)')
    .requiredOption('--group-name <name>', 'current group name')
    .option('--new-group-name <name>', 'new group name')
    .option('--new-path <path>', 'new path')
    .action((f: GroupFlags, cmd: Command) => {
      const input = { GroupName: f.groupName, NewGroupName: f.newGroupName, NewPath: f.newPath };
      return iamCall(cmd, io, 'UpdateGroup', (c) => c.send(new UpdateGroupCommand(input)));
    });

  iam
    .command('delete-group')
    .description('delete a group (it must have no members or policies left)')
    .requiredOption('--group-name <name>', 'group name')
    .action((f: GroupFlags, cmd: Command) =>
      iamCall(cmd, io, 'DeleteGroup', (c) => c.send(new DeleteGroupCommand({ GroupName: f.groupName }))),
    );

  iam
    .command('add-user-to-group')
    .description('add a user to a group')
    .requiredOption('--group-name <name>', 'group name')
    .requiredOption('--user-name <name>', 'user name')
    .action((f: GroupFlags, cmd: Command) =>
      iamCall(cmd, io, 'AddUserToGroup', (c) =>
        c.send(new AddUserToGroupCommand({ GroupName: f.groupName, UserName: f.userName })),
      ),
    );

  iam
    .command('remove-user-from-group')
    .description('remove a user from a group')
    .requiredOption('--group-name <name>', 'group name')
    .requiredOption('--user-name <name>', 'user name')
    .action((f: GroupFlags, cmd: Command) =>
      iamCall(cmd, io, 'RemoveUserFromGroup', (c) =>
        c.send(new RemoveUserFromGroupCommand({ GroupName: f.groupName, UserName: f.userName })),
      ),
    );
}

export function registerIamGroupsRoles(iam: Command, io: CliIo): void {
  registerGroups(iam, io);
}
