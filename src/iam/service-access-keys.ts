// Long-term access keys of IAM users: at most 2 per user, secret shown once and sealed at rest (AAD access-key:<id>).
import { newAccessKeyId, newSecretAccessKey } from '../core/ids.js';
import {
  deleteUserAccessKey,
  findAccessKeyLastUsed,
  insertUserAccessKey,
  listUserAccessKeys,
  pageUserAccessKeys,
  setUserAccessKeyStatus,
} from '../store/iam-access-keys-repo.js';
import type { IamUserRow } from '../store/iam-users-repo.js';
import { accessKeyAad } from './credential-lookup.js';
import { pageRequest, toPage } from './pagination.js';
import { type IamContext, limitExceeded, noSuchEntityReason, type Tx } from './service-context.js';
import { requireUser } from './service-principals.js';
import { callerUserName } from './service-users.js';
import type { Caller, IamService } from './types.js';
import { checkAccessKeyId, validationError } from './validate.js';

type AccessKeyMethods = Pick<
  IamService,
  'createAccessKey' | 'listAccessKeys' | 'updateAccessKey' | 'deleteAccessKey' | 'getAccessKeyLastUsed'
>;

/** IAM quota "Access keys assigned to an IAM user". */
export const MAX_ACCESS_KEYS_PER_USER = 2;

async function targetUser(
  db: Pick<Tx, 'query'>,
  userName: string | undefined,
  caller: Caller,
  forUpdate = false,
): Promise<IamUserRow> {
  return requireUser(db, userName ?? (await callerUserName(db, caller)), forUpdate);
}

function noSuchKey(accessKeyId: string): Error {
  return noSuchEntityReason(`The Access Key with id ${accessKeyId} cannot be found.`);
}

export function createAccessKeyMethods(ctx: IamContext): AccessKeyMethods {
  const { store, box, clock } = ctx;
  return {
    async createAccessKey(p, caller) {
      return ctx.mutate(async (tx) => {
        // The user row lock serialises concurrent CreateAccessKey calls against the quota.
        const user = await targetUser(tx, p.UserName, caller, true);
        const existing = await listUserAccessKeys(tx, user.userId);
        if (existing.length >= MAX_ACCESS_KEYS_PER_USER) {
          throw limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS_PER_USER}`);
        }
        const accessKeyId = newAccessKeyId('AKIA');
        const secretAccessKey = newSecretAccessKey();
        const createdAt = clock.now();
        await insertUserAccessKey(tx, {
          accessKeyId,
          principalArn: user.arn,
          userId: user.userId,
          secret: box.seal(secretAccessKey, accessKeyAad(accessKeyId)),
          status: 'Active',
          createdAt,
        });
        return {
          AccessKey: {
            UserName: user.name,
            AccessKeyId: accessKeyId,
            Status: 'Active' as const,
            SecretAccessKey: secretAccessKey,
            CreateDate: createdAt.toISOString(),
          },
        };
      });
    },

    async getAccessKeyLastUsed(p) {
      checkAccessKeyId(p.AccessKeyId);
      const row = await findAccessKeyLastUsed(store.pool, p.AccessKeyId);
      if (!row) throw noSuchKey(p.AccessKeyId);
      // AWS answers "N/A" for a key that was never used.
      return {
        UserName: row.userName,
        AccessKeyLastUsed: row.lastUsedAt
          ? {
              LastUsedDate: row.lastUsedAt.toISOString(),
              ServiceName: row.lastUsedService as string,
              Region: ctx.account.region,
            }
          : { ServiceName: 'N/A', Region: 'N/A' },
      };
    },

    async listAccessKeys(p, caller) {
      const req = pageRequest('access-keys', p);
      const user = await targetUser(store.pool, p.UserName, caller);
      const { items, page } = toPage(req, await pageUserAccessKeys(store.pool, user.userId, req));
      return {
        AccessKeyMetadata: items.map((k) => ({
          UserName: user.name,
          AccessKeyId: k.accessKeyId,
          Status: k.status,
          CreateDate: k.createdAt.toISOString(),
        })),
        ...page,
      };
    },

    async updateAccessKey(p, caller) {
      const id = checkAccessKeyId(p.AccessKeyId);
      if (p.Status !== 'Active' && p.Status !== 'Inactive') {
        throw validationError('status', p.Status, 'satisfy enum value set: [Active, Inactive]');
      }
      await ctx.mutate(async (tx) => {
        const user = await targetUser(tx, p.UserName, caller);
        if (!(await setUserAccessKeyStatus(tx, user.userId, id, p.Status))) throw noSuchKey(id);
      });
    },

    async deleteAccessKey(p, caller) {
      const id = checkAccessKeyId(p.AccessKeyId);
      await ctx.mutate(async (tx) => {
        const user = await targetUser(tx, p.UserName, caller);
        if (!(await deleteUserAccessKey(tx, user.userId, id))) throw noSuchKey(id);
      });
    },
  };
}
