// IAM users: create, get, list, update, delete (DeleteConflict until keys, policies and memberships are gone), tags, boundary.
import { GatehouseError } from '../core/errors.js';
import { listUserAccessKeys, setAccessKeysPrincipalArn } from '../store/iam-access-keys-repo.js';
import { listAttachedRows } from '../store/iam-attachments-repo.js';
import { listGroupsOfUser } from '../store/iam-groups-repo.js';
import { listInlinePolicies } from '../store/iam-inline-policies-repo.js';
import { deleteTagRows, pageTagRows } from '../store/iam-tags-repo.js';
import {
  deleteUserRow,
  findUserByArn,
  findUserByName,
  insertUserRow,
  pageUserRows,
  renameUserRow,
  setUserBoundary,
} from '../store/iam-users-repo.js';
import { iamArn } from './arns.js';
import { newIamId } from './ids.js';
import { pageRequest, toPage } from './pagination.js';
import { deleteConflict, type IamContext, type Tx, uniqueName } from './service-context.js';
import { requirePolicy, requireUser, tagsOf, userView } from './service-principals.js';
import { addTags, removeTags } from './service-tags.js';
import type { Caller, IamService } from './types.js';
import { checkName, checkPath, checkPathPrefix, checkTagKeys, checkTags, NAME_LIMITS } from './validate.js';

type UserMethods = Pick<
  IamService,
  | 'createUser'
  | 'getUser'
  | 'listUsers'
  | 'updateUser'
  | 'deleteUser'
  | 'tagUser'
  | 'untagUser'
  | 'listUserTags'
  | 'putUserPermissionsBoundary'
  | 'deleteUserPermissionsBoundary'
>;

/** The user a call with UserName omitted is about: the caller's own (AWS refuses this for role sessions). */
export async function callerUserName(db: Pick<Tx, 'query'>, caller: Caller): Promise<string> {
  const row = await findUserByArn(db, caller.arn);
  if (!row) {
    throw new GatehouseError('GH_IAM_VALIDATION', {
      reason: 'Must specify userName when calling with non-User credentials',
    });
  }
  return row.name;
}

/** What still hangs off a user, in the order AWS's DeleteUser documentation says to remove it. */
async function deleteUserConflict(tx: Tx, userId: string): Promise<string | null> {
  if ((await listUserAccessKeys(tx, userId)).length > 0)
    return 'Cannot delete entity, must delete access keys first.';
  if ((await listInlinePolicies(tx, 'User', userId)).length > 0)
    return 'Cannot delete entity, must delete policies first.';
  if ((await listAttachedRows(tx, 'User', userId)).length > 0)
    return 'Cannot delete entity, must detach all policies first.';
  if ((await listGroupsOfUser(tx, userId)).length > 0)
    return 'Cannot delete entity, must remove user from all groups first.';
  return null;
}

export function createUserMethods(ctx: IamContext): UserMethods {
  const { store } = ctx;
  return {
    async createUser(p) {
      const name = checkName('userName', p.UserName, NAME_LIMITS.user);
      const path = checkPath('path', p.Path);
      const tags = checkTags(p.Tags);
      return ctx.mutate(async (tx) => {
        if (await findUserByName(tx, name))
          throw new GatehouseError('GH_IAM_ENTITY_EXISTS', { entity: 'User', name });
        const boundaryArn =
          p.PermissionsBoundary === undefined
            ? null
            : (await requirePolicy(tx, p.PermissionsBoundary, true)).arn;
        const row = await uniqueName('User', name, () =>
          insertUserRow(tx, {
            userId: newIamId('AIDA'),
            name,
            path,
            arn: iamArn(ctx.account.accountId, 'user', path, name),
            boundaryArn,
            createdAt: ctx.clock.now(),
          }),
        );
        await addTags(tx, 'User', row.userId, tags, 'TagsPerUser');
        return { User: userView(row, tags) };
      });
    },

    async getUser(p, caller) {
      const name = p.UserName ?? (await callerUserName(store.pool, caller));
      const row = await requireUser(store.pool, name);
      return { User: userView(row, await tagsOf(store.pool, 'User', row.userId)) };
    },

    async listUsers(p) {
      const pathPrefix = checkPathPrefix('pathPrefix', p.PathPrefix);
      const req = pageRequest('users', p);
      const { items, page } = toPage(req, await pageUserRows(store.pool, pathPrefix, req));
      return { Users: items.map((r) => userView(r)), ...page };
    },

    async updateUser(p) {
      const newName =
        p.NewUserName === undefined ? undefined : checkName('newUserName', p.NewUserName, NAME_LIMITS.user);
      const newPath = p.NewPath === undefined ? undefined : checkPath('newPath', p.NewPath);
      await ctx.mutate(async (tx) => {
        const row = await requireUser(tx, p.UserName, true);
        const name = newName ?? row.name;
        const path = newPath ?? row.path;
        if (name.toLowerCase() !== row.name.toLowerCase() && (await findUserByName(tx, name)))
          throw new GatehouseError('GH_IAM_ENTITY_EXISTS', { entity: 'User', name });
        const arn = iamArn(ctx.account.accountId, 'user', path, name);
        await uniqueName('User', name, () => renameUserRow(tx, row.userId, { name, path, arn }));
        // Its keys now sign as the new ARN (SigV4 callers and IAM database tokens).
        await setAccessKeysPrincipalArn(tx, row.userId, arn);
      });
    },

    async deleteUser(p) {
      await ctx.mutate(async (tx) => {
        const row = await requireUser(tx, p.UserName, true);
        const conflict = await deleteUserConflict(tx, row.userId);
        if (conflict) throw deleteConflict(conflict);
        await deleteTagRows(tx, 'User', row.userId, 'all');
        await deleteUserRow(tx, row.userId);
      });
    },

    async tagUser(p) {
      const tags = checkTags(p.Tags);
      await ctx.mutate(async (tx) => {
        const row = await requireUser(tx, p.UserName, true);
        await addTags(tx, 'User', row.userId, tags, 'TagsPerUser');
      });
    },

    async untagUser(p) {
      const keys = checkTagKeys(p.TagKeys);
      await ctx.mutate(async (tx) => {
        const row = await requireUser(tx, p.UserName, true);
        await removeTags(tx, 'User', row.userId, keys);
      });
    },

    async listUserTags(p) {
      const req = pageRequest('tags', p);
      const row = await requireUser(store.pool, p.UserName);
      const { items, page } = toPage(req, await pageTagRows(store.pool, 'User', row.userId, req));
      return { Tags: items.map((t) => ({ Key: t.key, Value: t.value })), ...page };
    },

    async putUserPermissionsBoundary(p) {
      await ctx.mutate(async (tx) => {
        const row = await requireUser(tx, p.UserName, true);
        const policy = await requirePolicy(tx, p.PermissionsBoundary, true);
        await setUserBoundary(tx, row.userId, policy.arn);
      });
    },

    async deleteUserPermissionsBoundary(p) {
      await ctx.mutate(async (tx) => {
        const row = await requireUser(tx, p.UserName, true);
        await setUserBoundary(tx, row.userId, null);
      });
    },
  };
}
