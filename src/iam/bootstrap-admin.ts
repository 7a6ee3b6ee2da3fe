// Turns the bootstrap admin key's principal (arn:aws:iam::ACCOUNT:user/admin) into a real IAM user with AdministratorAccess.
import type { Account } from '../core/account.js';
import type { SecretBox } from '../core/secret-box.js';
import { adoptAccessKeys, countOrphanKeys } from '../store/iam-access-keys-repo.js';
import { attachPolicyRow } from '../store/iam-attachments-repo.js';
import { findUserByName, insertUserRow, lockIamUsers } from '../store/iam-users-repo.js';
import type { Store } from '../store/pool.js';
import { ADMINISTRATOR_ACCESS_ARN, iamArn } from './arns.js';
import { newIamId } from './ids.js';

export const BOOTSTRAP_ADMIN_NAME = 'admin';

export interface BootstrapAdminResult {
  readonly userId: string;
  /** The user row was created by this call (AdministratorAccess is attached either way). */
  readonly created: boolean;
  /** Access keys that had the admin ARN but no user and now belong to the user. */
  readonly adoptedKeys: number;
}

/**
 * Call at start, after bootstrapAdminKey. Acts only while some key of the admin ARN has no user row (a
 * store from before IAM, or a bootstrap key minted because the store had no key at all): creates user
 * `admin` at path `/` if it does not exist, makes sure AdministratorAccess is attached (the bootstrap
 * key exists to get an operator in), and adopts those keys. Otherwise it changes nothing, so an
 * operator who later detaches the policy or deletes the user (which needs its keys gone first) is
 * not overruled on the next start. Returns null when there was nothing to do. `box` is unused today:
 * adopted secrets keep their AAD (`access-key:<id>`), so nothing needs re-sealing.
 */
export async function ensureBootstrapAdmin(
  store: Store,
  _box: SecretBox,
  account: Account,
): Promise<BootstrapAdminResult | null> {
  const arn = iamArn(account.accountId, 'user', '/', BOOTSTRAP_ADMIN_NAME);
  return store.withTransaction(async (tx) => {
    // Nodes starting together: one of them upgrades, the others then find no orphan key.
    await lockIamUsers(tx);
    if ((await countOrphanKeys(tx, arn)) === 0) return null;
    let user = await findUserByName(tx, BOOTSTRAP_ADMIN_NAME);
    let created = false;
    if (user && user.arn !== arn) return null; // an unrelated "admin" at another path: leave both alone
    if (!user) {
      const now = new Date();
      user = await insertUserRow(tx, {
        userId: newIamId('AIDA'),
        name: BOOTSTRAP_ADMIN_NAME,
        path: '/',
        arn,
        boundaryArn: null,
        createdAt: now,
      });
      created = true;
    }
    await attachPolicyRow(tx, 'User', user.userId, ADMINISTRATOR_ACCESS_ARN, new Date());
    const adoptedKeys = await adoptAccessKeys(tx, arn, user.userId);
    return { userId: user.userId, created, adoptedKeys };
  });
}
