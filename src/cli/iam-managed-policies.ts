// `gatehouse iam` commands for managed policies and their versions: create, get, list, delete, and
// {create,get,list,delete}-policy-version, set-default-policy-version (AWS CLI names and flags).
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  type PolicyScopeType,
  type PolicyUsageType,
  SetDefaultPolicyVersionCommand,
} from '@aws-sdk/client-iam';
import { type Command, Option } from 'commander';
import type { CliIo } from './context.js';
import { USAGE_FILTERS } from './iam-attachments.js';
import { DOCUMENT_HELP } from './iam-groups-roles.js';
import { readParamValue } from './iam-params.js';
import { iamCall, iamListAll } from './iam-run.js';

interface ManagedFlags {
  policyName?: string;
  policyDocument?: string;
  policyArn?: string;
  versionId?: string;
  path?: string;
  pathPrefix?: string;
  description?: string;
  setAsDefault?: boolean;
  scope?: PolicyScopeType;
  onlyAttached?: boolean;
  policyUsageFilter?: PolicyUsageType;
}

function registerPolicies(iam: Command, io: CliIo): void {
  iam
    .command('create-policy')
    .description('create a managed policy (version v1, the default)')
    .requiredOption('--policy-name <name>', 'policy name')
    .requiredOption('--policy-document <json>', DOCUMENT_HELP)
    .option('--path <path>', 'path (default /)')
    .option('--description <text>', 'description')
    .action((f: ManagedFlags, cmd: Command) => {
      const input = {
        PolicyName: f.policyName,
        PolicyDocument: readParamValue(f.policyDocument ?? '', '--policy-document'),
        Path: f.path,
        Description: f.description,
      };
      return iamCall(cmd, io, 'CreatePolicy', (c) => c.send(new CreatePolicyCommand(input)));
    });

  iam
    .command('get-policy')
    .description('show a managed policy (its default version id; get-policy-version has the document)')
    .requiredOption('--policy-arn <arn>', 'managed policy ARN')
    .action((f: ManagedFlags, cmd: Command) =>
      iamCall(cmd, io, 'GetPolicy', (c) => c.send(new GetPolicyCommand({ PolicyArn: f.policyArn }))),
    );

  iam
    .command('list-policies')
    .description('list managed policies')
    .addOption(
      new Option('--scope <scope>', 'All, AWS or Local (default All)').choices(['All', 'AWS', 'Local']),
    )
    .option('--only-attached', 'only policies attached to a user, group or role')
    .option('--no-only-attached', 'every policy (the default)')
    .option('--path-prefix <prefix>', 'only policies whose path starts with this')
    .addOption(new Option('--policy-usage-filter <usage>', 'how the policy is used').choices(USAGE_FILTERS))
    .action((f: ManagedFlags, cmd: Command) =>
      iamListAll(cmd, io, 'ListPolicies', 'Policies', (c, Marker) =>
        c.send(
          new ListPoliciesCommand({
            Scope: f.scope,
            OnlyAttached: f.onlyAttached,
            PathPrefix: f.pathPrefix,
            PolicyUsageFilter: f.policyUsageFilter,
            Marker,
          }),
        ),
      ),
    );

  iam
    .command('delete-policy')
    .description('delete a managed policy (detach it and delete its other versions first)')
    .requiredOption('--policy-arn <arn>', 'managed policy ARN')
    .action((f: ManagedFlags, cmd: Command) =>
      iamCall(cmd, io, 'DeletePolicy', (c) => c.send(new DeletePolicyCommand({ PolicyArn: f.policyArn }))),
    );
}

function registerVersions(iam: Command, io: CliIo): void {
  iam
    .command('create-policy-version')
    .description('add a version to a managed policy')
    .requiredOption('--policy-arn <arn>', 'managed policy ARN')
    .requiredOption('--policy-document <json>', DOCUMENT_HELP)
    .option('--set-as-default', 'make the new version the one in effect')
    .option('--no-set-as-default', 'keep the current default version (the default)')
    .action((f: ManagedFlags, cmd: Command) => {
      const input = {
        PolicyArn: f.policyArn,
        PolicyDocument: readParamValue(f.policyDocument ?? '', '--policy-document'),
        SetAsDefault: f.setAsDefault,
      };
      return iamCall(cmd, io, 'CreatePolicyVersion', (c) => c.send(new CreatePolicyVersionCommand(input)));
    });

  iam
    .command('get-policy-version')
    .description('show one version of a managed policy, its document decoded')
    .requiredOption('--policy-arn <arn>', 'managed policy ARN')
    .requiredOption('--version-id <id>', 'version, e.g. v2')
    .action((f: ManagedFlags, cmd: Command) =>
      iamCall(cmd, io, 'GetPolicyVersion', (c) =>
        c.send(new GetPolicyVersionCommand({ PolicyArn: f.policyArn, VersionId: f.versionId })),
      ),
    );

  iam
    .command('list-policy-versions')
    .description('list the versions of a managed policy, newest first')
    .requiredOption('--policy-arn <arn>', 'managed policy ARN')
    .action((f: ManagedFlags, cmd: Command) =>
      iamListAll(cmd, io, 'ListPolicyVersions', 'Versions', (c, Marker) =>
        c.send(new ListPolicyVersionsCommand({ PolicyArn: f.policyArn, Marker })),
      ),
    );

  iam
    .command('delete-policy-version')
    .description('delete a version of a managed policy (not its default version)')
    .requiredOption('--policy-arn <arn>', 'managed policy ARN')
    .requiredOption('--version-id <id>', 'version, e.g. v2')
    .action((f: ManagedFlags, cmd: Command) =>
      iamCall(cmd, io, 'DeletePolicyVersion', (c) =>
        c.send(new DeletePolicyVersionCommand({ PolicyArn: f.policyArn, VersionId: f.versionId })),
      ),
    );

  iam
    .command('set-default-policy-version')
    .description('make a version the one in effect')
    .requiredOption('--policy-arn <arn>', 'managed policy ARN')
    .requiredOption('--version-id <id>', 'version, e.g. v2')
    .action((f: ManagedFlags, cmd: Command) =>
      iamCall(cmd, io, 'SetDefaultPolicyVersion', (c) =>
        c.send(new SetDefaultPolicyVersionCommand({ PolicyArn: f.policyArn, VersionId: f.versionId })),
      ),
    );
}

export function registerIamManagedPolicies(iam: Command, io: CliIo): void {
  registerPolicies(iam, io);
  registerVersions(iam, io);
}
