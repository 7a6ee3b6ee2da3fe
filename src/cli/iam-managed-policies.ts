// `gatehouse iam` commands for managed policies: create-policy, create-policy-version and
// {attach,detach}-{user,group,role}-policy, list-attached-{user,group,role}-policies.
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  type IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import type { Command } from 'commander';
import type { CliIo } from './context.js';
import { DOCUMENT_HELP } from './iam-groups-roles.js';
import { ownerFlag } from './iam-inline-policies.js';
import { readParamValue } from './iam-params.js';
import { iamCall, iamListAll, type ListPage } from './iam-run.js';

interface AttachmentOps {
  kind: 'User' | 'Group' | 'Role';
  attach(c: IAMClient, owner: string, policyArn: string): Promise<object>;
  detach(c: IAMClient, owner: string, policyArn: string): Promise<object>;
  list(
    c: IAMClient,
    owner: string,
    pathPrefix: string | undefined,
    marker: string | undefined,
  ): Promise<ListPage>;
}

const ATTACHMENT_OPS: readonly AttachmentOps[] = [
  {
    kind: 'User',
    attach: (c, UserName, PolicyArn) => c.send(new AttachUserPolicyCommand({ UserName, PolicyArn })),
    detach: (c, UserName, PolicyArn) => c.send(new DetachUserPolicyCommand({ UserName, PolicyArn })),
    list: (c, UserName, PathPrefix, Marker) =>
      c.send(new ListAttachedUserPoliciesCommand({ UserName, PathPrefix, Marker })),
  },
  {
    kind: 'Group',
    attach: (c, GroupName, PolicyArn) => c.send(new AttachGroupPolicyCommand({ GroupName, PolicyArn })),
    detach: (c, GroupName, PolicyArn) => c.send(new DetachGroupPolicyCommand({ GroupName, PolicyArn })),
    list: (c, GroupName, PathPrefix, Marker) =>
      c.send(new ListAttachedGroupPoliciesCommand({ GroupName, PathPrefix, Marker })),
  },
  {
    kind: 'Role',
    attach: (c, RoleName, PolicyArn) => c.send(new AttachRolePolicyCommand({ RoleName, PolicyArn })),
    detach: (c, RoleName, PolicyArn) => c.send(new DetachRolePolicyCommand({ RoleName, PolicyArn })),
    list: (c, RoleName, PathPrefix, Marker) =>
      c.send(new ListAttachedRolePoliciesCommand({ RoleName, PathPrefix, Marker })),
  },
];

interface ManagedFlags {
  policyName?: string;
  policyDocument?: string;
  policyArn?: string;
  path?: string;
  pathPrefix?: string;
  description?: string;
  setAsDefault?: boolean;
}

function registerAttachments(iam: Command, io: CliIo, ops: AttachmentOps): void {
  const { kind } = ops;
  const noun = kind.toLowerCase();
  const owner = ownerFlag(kind);

  iam
    .command(`attach-${noun}-policy`)
    .description(`attach a managed policy to a ${noun}`)
    .requiredOption(owner.flag, `${noun} name`)
    .requiredOption('--policy-arn <arn>', 'managed policy ARN')
    .action((f: ManagedFlags, cmd: Command) =>
      iamCall(cmd, io, `Attach${kind}Policy`, (c) => ops.attach(c, owner.of(f), f.policyArn ?? '')),
    );

  iam
    .command(`detach-${noun}-policy`)
    .description(`detach a managed policy from a ${noun}`)
    .requiredOption(owner.flag, `${noun} name`)
    .requiredOption('--policy-arn <arn>', 'managed policy ARN')
    .action((f: ManagedFlags, cmd: Command) =>
      iamCall(cmd, io, `Detach${kind}Policy`, (c) => ops.detach(c, owner.of(f), f.policyArn ?? '')),
    );

  iam
    .command(`list-attached-${noun}-policies`)
    .description(`list the managed policies attached to a ${noun}`)
    .requiredOption(owner.flag, `${noun} name`)
    .option('--path-prefix <prefix>', 'only policies whose path starts with this')
    .action((f: ManagedFlags, cmd: Command) =>
      iamListAll(cmd, io, `ListAttached${kind}Policies`, 'AttachedPolicies', (c, marker) =>
        ops.list(c, owner.of(f), f.pathPrefix, marker),
      ),
    );
}

export function registerIamManagedPolicies(iam: Command, io: CliIo): void {
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

  for (const ops of ATTACHMENT_OPS) registerAttachments(iam, io, ops);
}
