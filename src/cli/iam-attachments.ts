// `gatehouse iam` commands for managed-policy attachments: {attach,detach}-{user,group,role}-policy,
// list-attached-{user,group,role}-policies, and list-entities-for-policy (AWS CLI names and flags).
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  type EntityType,
  type IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListEntitiesForPolicyCommand,
  type PolicyUsageType,
} from '@aws-sdk/client-iam';
import { type Command, Option } from 'commander';
import type { CliIo } from './context.js';
import { ownerFlag } from './iam-inline-policies.js';
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
  policyArn?: string;
  pathPrefix?: string;
  entityFilter?: EntityType;
  policyUsageFilter?: PolicyUsageType;
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

export const USAGE_FILTERS = ['PermissionsPolicy', 'PermissionsBoundary'];

export function registerIamAttachments(iam: Command, io: CliIo): void {
  for (const ops of ATTACHMENT_OPS) registerAttachments(iam, io, ops);

  iam
    .command('list-entities-for-policy')
    .description('list the groups, users and roles a managed policy is attached to (or bounds)')
    .requiredOption('--policy-arn <arn>', 'managed policy ARN')
    .addOption(
      new Option('--entity-filter <type>', 'only this kind of entity').choices([
        'User',
        'Role',
        'Group',
        'LocalManagedPolicy',
        'AWSManagedPolicy',
      ]),
    )
    .option('--path-prefix <prefix>', 'only entities whose path starts with this')
    .addOption(new Option('--policy-usage-filter <usage>', 'how the policy is used').choices(USAGE_FILTERS))
    .action((f: ManagedFlags, cmd: Command) =>
      iamListAll(
        cmd,
        io,
        'ListEntitiesForPolicy',
        ['PolicyGroups', 'PolicyUsers', 'PolicyRoles'],
        (c, Marker) =>
          c.send(
            new ListEntitiesForPolicyCommand({
              PolicyArn: f.policyArn,
              EntityFilter: f.entityFilter,
              PathPrefix: f.pathPrefix,
              PolicyUsageFilter: f.policyUsageFilter,
              Marker,
            }),
          ),
      ),
    );
}
