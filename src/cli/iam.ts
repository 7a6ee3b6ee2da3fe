// `gatehouse iam …`: the AWS CLI's IAM commands, sent with the AWS SDK to the Gatehouse IAM Query API.
import type { Command } from 'commander';
import type { CliIo } from './context.js';
import { registerIamAccessKeys } from './iam-access-keys.js';
import { registerIamAccountDetails } from './iam-account-details.js';
import { registerIamAttachments } from './iam-attachments.js';
import { registerIamGroupsRoles } from './iam-groups-roles.js';
import { registerIamInlinePolicies } from './iam-inline-policies.js';
import { registerIamManagedPolicies } from './iam-managed-policies.js';
import { registerIamRoles } from './iam-roles.js';
import { registerIamSimulate } from './iam-simulate.js';
import { registerIamUsers } from './iam-users.js';

export function registerIam(program: Command, io: CliIo): void {
  const iam = program
    .command('iam')
    .description('manage users, groups, roles, access keys and policies (AWS IAM-compatible)');
  registerIamUsers(iam, io);
  registerIamAccessKeys(iam, io);
  registerIamGroupsRoles(iam, io);
  registerIamRoles(iam, io);
  registerIamInlinePolicies(iam, io);
  registerIamManagedPolicies(iam, io);
  registerIamAttachments(iam, io);
  registerIamAccountDetails(iam, io);
  registerIamSimulate(iam, io);
}
