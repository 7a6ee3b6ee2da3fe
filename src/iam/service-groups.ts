// IAM groups: create, get (with members), list, delete (DeleteConflict while members or policies remain), membership.
import { GatehouseError } from '../core/errors.js';
import { listAttachedRows } from '../store/iam-attachments-repo.js';
import {
  addGroupMember,
  deleteGroupRow,
  findGroupByName,
  insertGroupRow,
  listGroupMemberIds,
  listGroupRows,
  listGroupsOfUser,
  removeGroupMember,
} from '../store/iam-groups-repo.js';
import { listInlinePolicies } from '../store/iam-inline-policies-repo.js';
import { findUserById } from '../store/iam-users-repo.js';
import { iamArn } from './arns.js';
import { newIamId } from './ids.js';
import {
  deleteConflict,
  type IamContext,
  limitExceeded,
  noSuchEntityReason,
  uniqueName,
} from './service-context.js';
import { groupView, requireGroup, requireUser, userView } from './service-principals.js';
import type { IamService, IamUser } from './types.js';
import { checkName, checkPath, checkPathPrefix, NAME_LIMITS } from './validate.js';

type GroupMethods = Pick<
  IamService,
  | 'createGroup'
  | 'getGroup'
  | 'listGroups'
  | 'listGroupsForUser'
  | 'deleteGroup'
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
      const group = await requireGroup(store.pool, p.GroupName);
      const users: IamUser[] = [];
      for (const id of await listGroupMemberIds(store.pool, group.groupId)) {
        const u = await findUserById(store.pool, id);
        if (u) users.push(userView(u));
      }
      return { Group: groupView(group), Users: users, IsTruncated: false };
    },

    async listGroups(p) {
      const rows = await listGroupRows(store.pool, checkPathPrefix('pathPrefix', p.PathPrefix));
      return { Groups: rows.map(groupView), IsTruncated: false };
    },

    async listGroupsForUser(p) {
      const user = await requireUser(store.pool, p.UserName);
      return { Groups: (await listGroupsOfUser(store.pool, user.userId)).map(groupView), IsTruncated: false };
    },

    async deleteGroup(p) {
      await ctx.mutate(async (tx) => {
        const group = await requireGroup(tx, p.GroupName);
        // AWS DeleteGroup: "The group must not contain any users or have any attached policies."
        if ((await listGroupMemberIds(tx, group.groupId)).length > 0) {
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
        const group = await requireGroup(tx, p.GroupName);
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
