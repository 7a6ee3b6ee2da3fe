// `gatehouse iam {put,get,delete}-{user,group,role}-policy` and `list-{user,group,role}-policies`.
import {
  DeleteGroupPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetGroupPolicyCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListGroupPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import type { Command } from 'commander';
import type { CliIo } from './context.js';
import { DOCUMENT_HELP } from './iam-groups-roles.js';
import { readParamValue } from './iam-params.js';
import { iamCall, iamListAll, type ListPage } from './iam-run.js';

/** The SDK calls for the inline policies of one kind of principal; `owner` is its name. */
export interface InlinePolicyOps {
  kind: 'User' | 'Group' | 'Role';
  put(c: IAMClient, owner: string, policyName: string, document: string): Promise<object>;
  get(c: IAMClient, owner: string, policyName: string): Promise<object>;
  remove(c: IAMClient, owner: string, policyName: string): Promise<object>;
  list(c: IAMClient, owner: string, marker: string | undefined): Promise<ListPage>;
}

const INLINE_POLICY_OPS: readonly InlinePolicyOps[] = [
  {
    kind: 'User',
    put: (c, UserName, PolicyName, PolicyDocument) =>
      c.send(new PutUserPolicyCommand({ UserName, PolicyName, PolicyDocument })),
    get: (c, UserName, PolicyName) => c.send(new GetUserPolicyCommand({ UserName, PolicyName })),
    remove: (c, UserName, PolicyName) => c.send(new DeleteUserPolicyCommand({ UserName, PolicyName })),
    list: (c, UserName, Marker) => c.send(new ListUserPoliciesCommand({ UserName, Marker })),
  },
  {
    kind: 'Group',
    put: (c, GroupName, PolicyName, PolicyDocument) =>
      c.send(new PutGroupPolicyCommand({ GroupName, PolicyName, PolicyDocument })),
    get: (c, GroupName, PolicyName) => c.send(new GetGroupPolicyCommand({ GroupName, PolicyName })),
    remove: (c, GroupName, PolicyName) => c.send(new DeleteGroupPolicyCommand({ GroupName, PolicyName })),
    list: (c, GroupName, Marker) => c.send(new ListGroupPoliciesCommand({ GroupName, Marker })),
  },
  {
    kind: 'Role',
    put: (c, RoleName, PolicyName, PolicyDocument) =>
      c.send(new PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument })),
    get: (c, RoleName, PolicyName) => c.send(new GetRolePolicyCommand({ RoleName, PolicyName })),
    remove: (c, RoleName, PolicyName) => c.send(new DeleteRolePolicyCommand({ RoleName, PolicyName })),
    list: (c, RoleName, Marker) => c.send(new ListRolePoliciesCommand({ RoleName, Marker })),
  },
];

interface PolicyFlags {
  policyName: string;
  policyDocument: string;
}

/** `--user-name` (or group, role) and its value among the parsed flags (commander's `userName`). */
export function ownerFlag(kind: 'User' | 'Group' | 'Role'): { flag: string; of(flags: object): string } {
  const noun = kind.toLowerCase();
  return {
    flag: `--${noun}-name <name>`,
    of: (flags) => (flags as Record<string, string | undefined>)[`${noun}Name`] ?? '',
  };
}

function registerKind(iam: Command, io: CliIo, ops: InlinePolicyOps): void {
  const { kind } = ops;
  const noun = kind.toLowerCase();
  const owner = ownerFlag(kind);

  iam
    .command(`put-${noun}-policy`)
    .description(`add or replace an inline policy of a ${noun}`)
    .requiredOption(owner.flag, `${noun} name`)
    .requiredOption('--policy-name <name>', 'policy name')
    .requiredOption('--policy-document <json>', DOCUMENT_HELP)
    .action((f: PolicyFlags, cmd: Command) => {
      const document = readParamValue(f.policyDocument, '--policy-document');
      return iamCall(cmd, io, `Put${kind}Policy`, (c) => ops.put(c, owner.of(f), f.policyName, document));
    });

  iam
    .command(`get-${noun}-policy`)
    .description(`show an inline policy of a ${noun}, its document decoded`)
    .requiredOption(owner.flag, `${noun} name`)
    .requiredOption('--policy-name <name>', 'policy name')
    .action((f: PolicyFlags, cmd: Command) =>
      iamCall(cmd, io, `Get${kind}Policy`, (c) => ops.get(c, owner.of(f), f.policyName)),
    );

  iam
    .command(`delete-${noun}-policy`)
    .description(`delete an inline policy of a ${noun}`)
    .requiredOption(owner.flag, `${noun} name`)
    .requiredOption('--policy-name <name>', 'policy name')
    .action((f: PolicyFlags, cmd: Command) =>
      iamCall(cmd, io, `Delete${kind}Policy`, (c) => ops.remove(c, owner.of(f), f.policyName)),
    );

  iam
    .command(`list-${noun}-policies`)
    .description(`list the inline policy names of a ${noun}`)
    .requiredOption(owner.flag, `${noun} name`)
    .action((f: PolicyFlags, cmd: Command) =>
      iamListAll(cmd, io, `List${kind}Policies`, 'PolicyNames', (c, marker) =>
        ops.list(c, owner.of(f), marker),
      ),
    );
}

export function registerIamInlinePolicies(iam: Command, io: CliIo): void {
  for (const ops of INLINE_POLICY_OPS) registerKind(iam, io, ops);
}
