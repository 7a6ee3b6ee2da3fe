// gh_access_keys queries of the bootstrap admin key (src/control-plane/access-keys.ts). Kept apart from
// access-keys-repo.ts only so they could move out of control-plane without touching that file; fold in at will.
import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/**
 * Inside a transaction: lock gh_access_keys against other writers until commit (two nodes starting together
 * then make one bootstrap key, not two) and say whether any access key exists.
 */
export async function lockAccessKeysAndCheckAny(tx: Pick<pg.PoolClient, 'query'>): Promise<boolean> {
  await tx.query('LOCK TABLE gh_access_keys IN EXCLUSIVE MODE');
  const any = await tx.query('SELECT 1 FROM gh_access_keys LIMIT 1');
  return (any.rowCount ?? 0) > 0;
}

/** The id of the principal's oldest active access key, if it has one. */
export async function firstActiveAccessKeyId(db: Queryable, principalArn: string): Promise<string | null> {
  const res = await db.query(
    "SELECT access_key_id FROM gh_access_keys WHERE principal_arn = $1 AND status = 'Active' ORDER BY created_at LIMIT 1",
    [principalArn],
  );
  return (res.rows[0]?.access_key_id as string | undefined) ?? null;
}
