// `gatehouse iam` commands for roles: create, get, list, update, delete, tags, boundary (AWS CLI names and flags).
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  GetRoleCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePermissionsBoundaryCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  UpdateRoleDescriptionCommand,
} from '@aws-sdk/client-iam';
import type { Command } from 'commander';
import type { CliIo } from './context.js';
import { DOCUMENT_HELP } from './iam-groups-roles.js';
import { integerArg, readParamValue, stringList, tagList } from './iam-params.js';
import { iamCall, iamListAll } from './iam-run.js';
import { TAG_KEYS_HELP, TAGS_HELP } from './iam-users.js';

interface RoleFlags {
  roleName?: string;
  path?: string;
  pathPrefix?: string;
  assumeRolePolicyDocument?: string;
  policyDocument?: string;
  description?: string;
  maxSessionDuration?: number;
  tags?: string[];
  tagKeys?: string[];
  permissionsBoundary?: string;
}

const SESSION_HELP = 'longest session AssumeRole may grant (3600-43200)';

function registerRoleLifecycle(iam: Command, io: CliIo): void {
  iam
    .command('create-role')
    .description('create a role with a trust policy saying who may assume it')
    .requiredOption('--role-name <name>', 'role name')
    .requiredOption('--assume-role-policy-document <json>', `trust ${DOCUMENT_HELP}`)
    .option('--path <path>', 'path (default /)')
    .option('--description <text>', 'description')
    .option('--max-session-duration <seconds>', SESSION_HELP, integerArg)
    .option('--tags <tags...>', TAGS_HELP)
    .option('--permissions-boundary <arn>', 'ARN of the managed policy that bounds the role')
    .action((f: RoleFlags, cmd: Command) => {
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
    .action((f: RoleFlags, cmd: Command) =>
      iamCall(cmd, io, 'GetRole', (c) => c.send(new GetRoleCommand({ RoleName: f.roleName }))),
    );

  iam
    .command('list-roles')
    .description('list roles')
    .option('--path-prefix <prefix>', 'only roles whose path starts with this')
    .action((f: RoleFlags, cmd: Command) =>
      iamListAll(cmd, io, 'ListRoles', 'Roles', (c, Marker) =>
        c.send(new ListRolesCommand({ PathPrefix: f.pathPrefix, Marker })),
      ),
    );

  iam
    .command('update-role')
    .description("change a role's description or maximum session duration")
    .requiredOption('--role-name <name>', 'role name')
    .option('--description <text>', 'description')
    .option('--max-session-duration <seconds>', SESSION_HELP, integerArg)
    .action((f: RoleFlags, cmd: Command) => {
      const input = {
        RoleName: f.roleName,
        Description: f.description,
        MaxSessionDuration: f.maxSessionDuration,
      };
      return iamCall(cmd, io, 'UpdateRole', (c) => c.send(new UpdateRoleCommand(input)));
    });

  iam
    .command('update-role-description')
    .description("change a role's description and show the role")
    .requiredOption('--role-name <name>', 'role name')
    .requiredOption('--description <text>', 'description')
    .action((f: RoleFlags, cmd: Command) => {
      const input = { RoleName: f.roleName, Description: f.description };
      return iamCall(cmd, io, 'UpdateRoleDescription', (c) =>
        c.send(new UpdateRoleDescriptionCommand(input)),
      );
    });

  iam
    .command('update-assume-role-policy')
    .description("replace a role's trust policy")
    .requiredOption('--role-name <name>', 'role name')
    .requiredOption('--policy-document <json>', `trust ${DOCUMENT_HELP}`)
    .action((f: RoleFlags, cmd: Command) => {
      const input = {
        RoleName: f.roleName,
        PolicyDocument: readParamValue(f.policyDocument ?? '', '--policy-document'),
      };
      return iamCall(cmd, io, 'UpdateAssumeRolePolicy', (c) =>
        c.send(new UpdateAssumeRolePolicyCommand(input)),
      );
    });

  iam
    .command('delete-role')
    .description('delete a role (it must have no policies left)')
    .requiredOption('--role-name <name>', 'role name')
    .action((f: RoleFlags, cmd: Command) =>
      iamCall(cmd, io, 'DeleteRole', (c) => c.send(new DeleteRoleCommand({ RoleName: f.roleName }))),
    );
}

function registerRoleTagsAndBoundary(iam: Command, io: CliIo): void {
  iam
    .command('tag-role')
    .description('add or overwrite tags of a role')
    .requiredOption('--role-name <name>', 'role name')
    .requiredOption('--tags <tags...>', TAGS_HELP)
    .action((f: RoleFlags, cmd: Command) => {
      const input = { RoleName: f.roleName, Tags: tagList(f.tags ?? []) };
      return iamCall(cmd, io, 'TagRole', (c) => c.send(new TagRoleCommand(input)));
    });

  iam
    .command('untag-role')
    .description('remove tags from a role')
    .requiredOption('--role-name <name>', 'role name')
    .requiredOption('--tag-keys <keys...>', TAG_KEYS_HELP)
    .action((f: RoleFlags, cmd: Command) => {
      const input = { RoleName: f.roleName, TagKeys: stringList(f.tagKeys ?? [], '--tag-keys') };
      return iamCall(cmd, io, 'UntagRole', (c) => c.send(new UntagRoleCommand(input)));
    });

  iam
    .command('list-role-tags')
    .description('list the tags of a role')
    .requiredOption('--role-name <name>', 'role name')
    .action((f: RoleFlags, cmd: Command) =>
      iamListAll(cmd, io, 'ListRoleTags', 'Tags', (c, Marker) =>
        c.send(new ListRoleTagsCommand({ RoleName: f.roleName, Marker })),
      ),
    );

  iam
    .command('put-role-permissions-boundary')
    .description('set the managed policy that bounds what a role may do')
    .requiredOption('--role-name <name>', 'role name')
    .requiredOption('--permissions-boundary <arn>', 'managed policy ARN')
    .action((f: RoleFlags, cmd: Command) => {
      const input = { RoleName: f.roleName, PermissionsBoundary: f.permissionsBoundary };
      return iamCall(cmd, io, 'PutRolePermissionsBoundary', (c) =>
        c.send(new PutRolePermissionsBoundaryCommand(input)),
      );
    });

  iam
    .command('delete-role-permissions-boundary')
    .description("remove a role's permissions boundary")
    .requiredOption('--role-name <name>', 'role name')
    .action((f: RoleFlags, cmd: Command) =>
      iamCall(cmd, io, 'DeleteRolePermissionsBoundary', (c) =>
        c.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: f.roleName })),
      ),
    );
}

export function registerIamRoles(iam: Command, io: CliIo): void {
  registerRoleLifecycle(iam, io);
  registerRoleTagsAndBoundary(iam, io);
}
