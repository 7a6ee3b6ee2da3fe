// ListEntitiesForPolicy: the groups, users and roles a managed policy is attached to (or bounds), paged.
import { type EntityKind, pagePolicyEntities } from '../store/iam-policy-entities-repo.js';
import { pageRequest, toPage } from './pagination.js';
import type { IamContext } from './service-context.js';
import { requirePolicy } from './service-principals.js';
import type { IamService } from './types.js';
import { checkPathPrefix, validationError } from './validate.js';

const ENTITY_FILTERS = ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'] as const;
const USAGE_FILTERS = ['PermissionsPolicy', 'PermissionsBoundary'] as const;

/** EntityFilter names one kind; the policy kinds match no user, group or role (as in AWS, an empty result). */
function kindsOf(filter: string | undefined): EntityKind[] {
  if (filter === undefined) return ['Group', 'User', 'Role'];
  if (!(ENTITY_FILTERS as readonly string[]).includes(filter)) {
    throw validationError('entityFilter', filter, `satisfy enum value set: [${ENTITY_FILTERS.join(', ')}]`);
  }
  return filter === 'User' || filter === 'Group' || filter === 'Role' ? [filter] : [];
}

export function createPolicyEntityMethods(ctx: IamContext): Pick<IamService, 'listEntitiesForPolicy'> {
  const { store } = ctx;
  return {
    async listEntitiesForPolicy(p) {
      const kinds = kindsOf(p.EntityFilter);
      const usage = p.PolicyUsageFilter ?? null;
      if (usage !== null && !(USAGE_FILTERS as readonly string[]).includes(usage)) {
        throw validationError(
          'policyUsageFilter',
          usage,
          `satisfy enum value set: [${USAGE_FILTERS.join(', ')}]`,
        );
      }
      const pathPrefix = checkPathPrefix('pathPrefix', p.PathPrefix);
      const req = pageRequest('policy-entities', p);
      const policy = await requirePolicy(store.pool, p.PolicyArn);
      const rows = await pagePolicyEntities(store.pool, policy.arn, { kinds, pathPrefix, usage }, req);
      const { items, page } = toPage(req, rows);
      return {
        PolicyGroups: items
          .filter((e) => e.kind === 'Group')
          .map((e) => ({ GroupName: e.name, GroupId: e.id })),
        PolicyUsers: items.filter((e) => e.kind === 'User').map((e) => ({ UserName: e.name, UserId: e.id })),
        PolicyRoles: items.filter((e) => e.kind === 'Role').map((e) => ({ RoleName: e.name, RoleId: e.id })),
        ...page,
      };
    },
  };
}
