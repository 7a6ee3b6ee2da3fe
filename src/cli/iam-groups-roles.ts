// `gatehouse iam` commands for groups, group membership and roles (AWS CLI names and flags).
import {
  AddUserToGroupCommand,
  CreateGroupCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  GetRoleCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import type { Command } from 'commander';
import type { CliIo } from './context.js';
import { integerArg, readParamValue, tagList } from './iam-params.js';
import { iamCall } from './iam-run.js';
import { TAGS_HELP } from './iam-users.js';

interface GroupRoleFlags {
  groupName?: string;
  userName?: string;
  roleName?: string;
  path?: string;
  assumeRolePolicyDocument?: string;
  description?: string;
  maxSessionDuration?: number;
  tags?: string[];
  permissionsBoundary?: string;
}

export const DOCUMENT_HELP = 'policy JSON, inline or file://path';

function registerGroups(iam: Command, io: CliIo): void {
  iam
    .command('create-group')
    .description('create a group')
    .requiredOption('--group-name <name>', 'group name')
    .option('--path <path>', 'path (default /)')
    .action((f: GroupRoleFlags, cmd: Command) =>
      iamCall(cmd, io, 'CreateGroup', (c) =>
        c.send(new CreateGroupCommand({ GroupName: f.groupName, Path: f.path })),
      ),
    );

  iam
    .command('add-user-to-group')
    .description('add a user to a group')
    .requiredOption('--group-name <name>', 'group name')
    .requiredOption('--user-name <name>', 'user name')
    .action((f: GroupRoleFlags, cmd: Command) =>
      iamCall(cmd, io, 'AddUserToGroup', (c) =>
        c.send(new AddUserToGroupCommand({ GroupName: f.groupName, UserName: f.userName })),
      ),
    );

  iam
    .command('remove-user-from-group')
    .description('remove a user from a group')
    .requiredOption('--group-name <name>', 'group name')
    .requiredOption('--user-name <name>', 'user name')
    .action((f: GroupRoleFlags, cmd: Command) =>
      iamCall(cmd, io, 'RemoveUserFromGroup', (c) =>
        c.send(new RemoveUserFromGroupCommand({ GroupName: f.groupName, UserName: f.userName })),
      ),
    );
}

function registerRoles(iam: Command, io: CliIo): void {
  iam
    .command('create-role')
    .description('create a role with a trust policy saying who may assume it')
    .requiredOption('--role-name <name>', 'role name')
    .requiredOption('--assume-role-policy-document <json>', `trust ${DOCUMENT_HELP}`)
    .option('--path <path>', 'path (default /)')
    .option('--description <text>', 'description')
    .option(
      '--max-session-duration <seconds>',
      'longest session AssumeRole may grant (3600-43200)',
      integerArg,
    )
    .option('--tags <tags...>', TAGS_HELP)
    .option('--permissions-boundary <arn>', 'ARN of the managed policy that bounds the role')
    .action((f: GroupRoleFlags, cmd: Command) => {
      const input = {
        RoleName: f.roleName,
        AssumeRolePolicyDocument: readParamValue(
          f.assumeRolePolicyDocument ?? '',
          '--assume-role-policy-document',
        ),
        Path: f.path,
        Description: f.description,
        MaxSessionDuration: f.maxSessionDuration,
        Tags: f.tags === undefined ? undefined : tagList(f.tags),
        PermissionsBoundary: f.permissionsBoundary,
      };
      return iamCall(cmd, io, 'CreateRole', (c) => c.send(new CreateRoleCommand(input)));
    });

  iam
    .command('get-role')
    .description('show a role, its trust policy decoded')
    .requiredOption('--role-name <name>', 'role name')
    .action((f: GroupRoleFlags, cmd: Command) =>
      iamCall(cmd, io, 'GetRole', (c) => c.send(new GetRoleCommand({ RoleName: f.roleName }))),
    );

  iam
    .command('delete-role')
    .description('delete a role (it must have no policies left)')
    .requiredOption('--role-name <name>', 'role name')
    .action((f: GroupRoleFlags, cmd: Command) =>
      iamCall(cmd, io, 'DeleteRole', (c) => c.send(new DeleteRoleCommand({ RoleName: f.roleName }))),
    );
}

export function registerIamGroupsRoles(iam: Command, io: CliIo): void {
  registerGroups(iam, io);
  registerRoles(iam, io);
}
