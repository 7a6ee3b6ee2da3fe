// IAM groups: create, get (with members), list, update, delete (DeleteConflict while members or policies remain), membership.
import { GatehouseError } from '../core/errors.js';
import { listAttachedRows } from '../store/iam-attachments-repo.js';
import {
  addGroupMember,
  countGroupMembers,
  deleteGroupRow,
  findGroupByName,
  insertGroupRow,
  listGroupsOfUser,
  pageGroupRows,
  pageGroupsOfUser,
  removeGroupMember,
  renameGroupRow,
} from '../store/iam-groups-repo.js';
import { listInlinePolicies } from '../store/iam-inline-policies-repo.js';
import { pageUsersOfGroup } from '../store/iam-users-repo.js';
import { iamArn } from './arns.js';
import { newIamId } from './ids.js';
import { pageRequest, toPage } from './pagination.js';
import {
  deleteConflict,
  type IamContext,
  limitExceeded,
  noSuchEntityReason,
  uniqueName,
} from './service-context.js';
import { groupView, requireGroup, requireUser, userView } from './service-principals.js';
import type { IamService } from './types.js';
import { checkName, checkPath, checkPathPrefix, NAME_LIMITS } from './validate.js';

type GroupMethods = Pick<
  IamService,
  | 'createGroup'
  | 'getGroup'
  | 'listGroups'
  | 'listGroupsForUser'
  | 'deleteGroup'
  | 'updateGroup'
  | 'addUserToGroup'
  | 'removeUserFromGroup'
>;

/** IAM quota "Groups an IAM user can be a member of". */
export const MAX_GROUPS_PER_USER = 10;

export function createGroupMethods(ctx: IamContext): GroupMethods {
  const { store } = ctx;
  return {
    async createGroup(p) {
      const name = checkName('groupName', p.GroupName, NAME_LIMITS.group);
      const path = checkPath('path', p.Path);
      return ctx.mutate(async (tx) => {
        if (await findGroupByName(tx, name))
          throw new GatehouseError('GH_IAM_ENTITY_EXISTS', { entity: 'Group', name });
        const row = await uniqueName('Group', name, () =>
          insertGroupRow(tx, {
            groupId: newIamId('AGPA'),
            name,
            path,
            arn: iamArn(ctx.account.accountId, 'group', path, name),
            createdAt: ctx.clock.now(),
          }),
        );
        return { Group: groupView(row) };
      });
    },

    async getGroup(p) {
      const req = pageRequest('group-users', p);
      const group = await requireGroup(store.pool, p.GroupName);
      const { items, page } = toPage(req, await pageUsersOfGroup(store.pool, group.groupId, req));
      return { Group: groupView(group), Users: items.map((u) => userView(u)), ...page };
    },

    async listGroups(p) {
      const pathPrefix = checkPathPrefix('pathPrefix', p.PathPrefix);
      const req = pageRequest('groups', p);
      const { items, page } = toPage(req, await pageGroupRows(store.pool, pathPrefix, req));
      return { Groups: items.map(groupView), ...page };
    },

    async listGroupsForUser(p) {
      const req = pageRequest('groups-for-user', p);
      const user = await requireUser(store.pool, p.UserName);
      const { items, page } = toPage(req, await pageGroupsOfUser(store.pool, user.userId, req));
      return { Groups: items.map(groupView), ...page };
    },

    async updateGroup(p) {
      const newName =
        p.NewGroupName === undefined
          ? undefined
          : checkName('newGroupName', p.NewGroupName, NAME_LIMITS.group);
      const newPath = p.NewPath === undefined ? undefined : checkPath('newPath', p.NewPath);
      await ctx.mutate(async (tx) => {
        const group = await requireGroup(tx, p.GroupName, true);
        const name = newName ?? group.name;
        const path = newPath ?? group.path;
        if (name.toLowerCase() !== group.name.toLowerCase() && (await findGroupByName(tx, name)))
          throw new GatehouseError('GH_IAM_ENTITY_EXISTS', { entity: 'Group', name });
        const arn = iamArn(ctx.account.accountId, 'group', path, name);
        await uniqueName('Group', name, () => renameGroupRow(tx, group.groupId, { name, path, arn }));
      });
    },

    async deleteGroup(p) {
      await ctx.mutate(async (tx) => {
        // The lock makes a concurrent AddUserToGroup or Attach/PutGroupPolicy wait, so none slips in after the checks.
        const group = await requireGroup(tx, p.GroupName, true);
        // AWS DeleteGroup: "The group must not contain any users or have any attached policies."
        if ((await countGroupMembers(tx, group.groupId)) > 0) {
          throw deleteConflict('Cannot delete entity, must remove users from group first.');
        }
        if ((await listInlinePolicies(tx, 'Group', group.groupId)).length > 0) {
          throw deleteConflict('Cannot delete entity, must delete policies first.');
        }
        if ((await listAttachedRows(tx, 'Group', group.groupId)).length > 0) {
          throw deleteConflict('Cannot delete entity, must detach all policies first.');
        }
        await deleteGroupRow(tx, group.groupId);
      });
    },

    async addUserToGroup(p) {
      await ctx.mutate(async (tx) => {
        // Group row, then user row (always this order): the user lock serialises the GroupsPerUser quota.
        const group = await requireGroup(tx, p.GroupName, true);
        const user = await requireUser(tx, p.UserName, true);
        const groups = await listGroupsOfUser(tx, user.userId);
        if (groups.some((g) => g.groupId === group.groupId)) return;
        if (groups.length >= MAX_GROUPS_PER_USER) {
          throw limitExceeded(`Cannot exceed quota for GroupsPerUser: ${MAX_GROUPS_PER_USER}`);
        }
        await addGroupMember(tx, group.groupId, user.userId, ctx.clock.now());
      });
    },

    async removeUserFromGroup(p) {
      await ctx.mutate(async (tx) => {
        const group = await requireGroup(tx, p.GroupName);
        const user = await requireUser(tx, p.UserName);
        if (!(await removeGroupMember(tx, group.groupId, user.userId))) {
          throw noSuchEntityReason(`The user with name ${user.name} cannot be found in group ${group.name}.`);
        }
      });
    },
  };
}
