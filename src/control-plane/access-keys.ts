// The bootstrap admin access key: created on first start, re-read by `up` for a lost credentials file.
import type { Account } from '../core/account.js';
import { systemClock } from '../core/clock.js';
import { newAccessKeyId, newSecretAccessKey } from '../core/ids.js';
import type { SecretBox } from '../core/secret-box.js';
import { accessKeyAad, createCredentialLookup } from '../iam/credential-lookup.js';
import { insertAccessKey } from '../store/access-keys-repo.js';
import { firstActiveAccessKeyId, lockAccessKeysAndCheckAny } from '../store/admin-key-repo.js';
import type { Store } from '../store/pool.js';

export function adminArn(account: Account): string {
  return `arn:aws:iam::${account.accountId}:user/admin`;
}

/**
 * Create the bootstrap admin key when the deployment has none (first start). Returns the pair only when
 * it was created now: its secret is shown once, to whoever started the gateway.
 */
export async function bootstrapAdminKey(
  store: Store,
  box: SecretBox,
  account: Account,
): Promise<{ accessKeyId: string; secretAccessKey: string } | null> {
  return store.withTransaction(async (tx) => {
    if (await lockAccessKeysAndCheckAny(tx)) return null; // locked: two nodes starting together make one key
    const accessKeyId = newAccessKeyId('AKIA');
    const secretAccessKey = newSecretAccessKey();
    await insertAccessKey(tx, {
      accessKeyId,
      principalArn: adminArn(account),
      secret: box.seal(secretAccessKey, accessKeyAad(accessKeyId)),
      status: 'Active',
    });
    return { accessKeyId, secretAccessKey };
  });
}

/** The admin's first active key, unsealed (used by `up` to rewrite a lost local credentials file). */
export async function adminKeyPair(
  store: Store,
  box: SecretBox,
  account: Account,
): Promise<{ accessKeyId: string; secretAccessKey: string } | null> {
  const id = await firstActiveAccessKeyId(store.pool, adminArn(account));
  if (!id) return null;
  const key = await createCredentialLookup(store, box, systemClock).findAccessKey(id);
  return key && { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}
