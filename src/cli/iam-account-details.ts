// `gatehouse iam get-account-authorization-details`: every user, group, role and managed policy with its policies.
import { type EntityType, GetAccountAuthorizationDetailsCommand } from '@aws-sdk/client-iam';
import { type Command, InvalidArgumentError } from 'commander';
import type { CliIo } from './context.js';
import { stringList } from './iam-params.js';
import { iamListAll } from './iam-run.js';

const ENTITY_TYPES = ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'];

function entityTypes(values: readonly string[]): EntityType[] {
  const types = stringList(values, '--filter');
  for (const t of types) {
    if (!ENTITY_TYPES.includes(t)) {
      throw new InvalidArgumentError(`--filter ${t}: expected one of ${ENTITY_TYPES.join(', ')}`);
    }
  }
  return types as EntityType[];
}

export function registerIamAccountDetails(iam: Command, io: CliIo): void {
  iam
    .command('get-account-authorization-details')
    .description('every user, group, role and managed policy, with their policies (for audits and backups)')
    .option('--filter <types...>', `only these entity types: ${ENTITY_TYPES.join(' ')}`)
    .action((f: { filter?: string[] }, cmd: Command) => {
      const Filter = f.filter === undefined ? undefined : entityTypes(f.filter);
      return iamListAll(
        cmd,
        io,
        'GetAccountAuthorizationDetails',
        ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'],
        (c, Marker) => c.send(new GetAccountAuthorizationDetailsCommand({ Filter, Marker })),
      );
    });
}
