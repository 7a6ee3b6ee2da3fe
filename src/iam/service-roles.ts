// IAM roles: create (trust policy checked as a trust document), get, list, update, delete (DeleteConflict while policies remain), tags, boundary.
import { GatehouseError } from '../core/errors.js';
import { listAttachedRows } from '../store/iam-attachments-repo.js';
import { listInlinePolicies } from '../store/iam-inline-policies-repo.js';
import {
  deleteRoleRow,
  findRoleByName,
  insertRoleRow,
  pageRoleRows,
  setRoleBoundary,
  updateRoleRow,
} from '../store/iam-roles-repo.js';
import { deleteRoleSessions } from '../store/iam-sessions-repo.js';
import { deleteTagRows, pageTagRows } from '../store/iam-tags-repo.js';
import { iamArn } from './arns.js';
import { newIamId } from './ids.js';
import { pageRequest, toPage } from './pagination.js';
import { checkPolicyDocument } from './policy-documents.js';
import { deleteConflict, type IamContext, uniqueName } from './service-context.js';
import { requirePolicy, requireRole, roleView, tagsOf } from './service-principals.js';
import { addTags, removeTags } from './service-tags.js';
import type { IamService } from './types.js';
import {
  checkDescription,
  checkIntRange,
  checkName,
  checkPath,
  checkPathPrefix,
  checkTagKeys,
  checkTags,
  NAME_LIMITS,
} from './validate.js';

type RoleMethods = Pick<
  IamService,
  | 'createRole'
  | 'getRole'
  | 'listRoles'
  | 'deleteRole'
  | 'updateRole'
  | 'updateRoleDescription'
  | 'updateAssumeRolePolicy'
  | 'tagRole'
  | 'untagRole'
  | 'listRoleTags'
  | 'putRolePermissionsBoundary'
  | 'deleteRolePermissionsBoundary'
>;

/** CreateRole MaxSessionDuration: 1 to 12 hours, default 1 hour. */
export const SESSION_DURATION = { default: 3600, min: 3600, max: 43200 } as const;

function checkMaxSession(value: number | undefined): number | undefined {
  return value === undefined
    ? undefined
    : checkIntRange('maxSessionDuration', value, SESSION_DURATION.min, SESSION_DURATION.max);
}

export function createRoleMethods(ctx: IamContext): RoleMethods {
  const { store } = ctx;
  return {
    async createRole(p) {
      const name = checkName('roleName', p.RoleName, NAME_LIMITS.role);
      const path = checkPath('path', p.Path);
      const description = checkDescription(p.Description);
      const maxSessionDuration = checkMaxSession(p.MaxSessionDuration) ?? SESSION_DURATION.default;
      const tags = checkTags(p.Tags);
      const trustPolicy = checkPolicyDocument(p.AssumeRolePolicyDocument, { kind: 'trust' });
      return ctx.mutate(async (tx) => {
        if (await findRoleByName(tx, name))
          throw new GatehouseError('GH_IAM_ENTITY_EXISTS', { entity: 'Role', name });
        const boundaryArn =
          p.PermissionsBoundary === undefined
            ? null
            : (await requirePolicy(tx, p.PermissionsBoundary, true)).arn;
        const row = await uniqueName('Role', name, () =>
          insertRoleRow(tx, {
            roleId: newIamId('AROA'),
            name,
            path,
            arn: iamArn(ctx.account.accountId, 'role', path, name),
            trustPolicy,
            description,
            maxSessionDuration,
            boundaryArn,
            createdAt: ctx.clock.now(),
          }),
        );
        await addTags(tx, 'Role', row.roleId, tags, 'TagsPerRole');
        return { Role: roleView(row, tags) };
      });
    },

    async getRole(p) {
      const row = await requireRole(store.pool, p.RoleName);
      return { Role: roleView(row, await tagsOf(store.pool, 'Role', row.roleId)) };
    },

    async listRoles(p) {
      const pathPrefix = checkPathPrefix('pathPrefix', p.PathPrefix);
      const req = pageRequest('roles', p);
      const { items, page } = toPage(req, await pageRoleRows(store.pool, pathPrefix, req));
      return { Roles: items.map((r) => roleView(r)), ...page };
    },

    async deleteRole(p) {
      await ctx.mutate(async (tx) => {
        const row = await requireRole(tx, p.RoleName, true);
        // AWS DeleteRole: inline policies must be deleted and managed policies detached first.
        if ((await listInlinePolicies(tx, 'Role', row.roleId)).length > 0) {
          throw deleteConflict('Cannot delete entity, must delete policies first.');
        }
        if ((await listAttachedRows(tx, 'Role', row.roleId)).length > 0) {
          throw deleteConflict('Cannot delete entity, must detach all policies first.');
        }
        await deleteTagRows(tx, 'Role', row.roleId, 'all');
        // Its sessions die with it: a re-created role of the same name has a new id and does not revive them.
        await deleteRoleSessions(tx, row.roleId);
        await deleteRoleRow(tx, row.roleId);
      });
    },

    async updateRole(p) {
      const description = p.Description === undefined ? undefined : checkDescription(p.Description);
      const maxSessionDuration = checkMaxSession(p.MaxSessionDuration);
      await ctx.mutate(async (tx) => {
        const row = await requireRole(tx, p.RoleName, true);
        await updateRoleRow(tx, row.roleId, {
          ...(description !== undefined && { description }),
          ...(maxSessionDuration !== undefined && { maxSessionDuration }),
        });
      });
    },

    async updateRoleDescription(p) {
      const description = checkDescription(p.Description);
      return ctx.mutate(async (tx) => {
        const row = await requireRole(tx, p.RoleName, true);
        await updateRoleRow(tx, row.roleId, { description });
        const updated = await requireRole(tx, p.RoleName);
        return { Role: roleView(updated, await tagsOf(tx, 'Role', row.roleId)) };
      });
    },

    async updateAssumeRolePolicy(p) {
      const trustPolicy = checkPolicyDocument(p.PolicyDocument, { kind: 'trust' });
      await ctx.mutate(async (tx) => {
        const row = await requireRole(tx, p.RoleName, true);
        await updateRoleRow(tx, row.roleId, { trustPolicy });
      });
    },

    async tagRole(p) {
      const tags = checkTags(p.Tags);
      await ctx.mutate(async (tx) => {
        const row = await requireRole(tx, p.RoleName, true);
        await addTags(tx, 'Role', row.roleId, tags, 'TagsPerRole');
      });
    },

    async untagRole(p) {
      const keys = checkTagKeys(p.TagKeys);
      await ctx.mutate(async (tx) => {
        const row = await requireRole(tx, p.RoleName, true);
        await removeTags(tx, 'Role', row.roleId, keys);
      });
    },

    async listRoleTags(p) {
      const req = pageRequest('tags', p);
      const row = await requireRole(store.pool, p.RoleName);
      const { items, page } = toPage(req, await pageTagRows(store.pool, 'Role', row.roleId, req));
      return { Tags: items.map((t) => ({ Key: t.key, Value: t.value })), ...page };
    },

    async putRolePermissionsBoundary(p) {
      await ctx.mutate(async (tx) => {
        const row = await requireRole(tx, p.RoleName, true);
        const policy = await requirePolicy(tx, p.PermissionsBoundary, true);
        await setRoleBoundary(tx, row.roleId, policy.arn);
      });
    },

    async deleteRolePermissionsBoundary(p) {
      await ctx.mutate(async (tx) => {
        const row = await requireRole(tx, p.RoleName, true);
        await setRoleBoundary(tx, row.roleId, null);
      });
    },
  };
}
