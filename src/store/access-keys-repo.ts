// gh_access_keys: Gatehouse access keys (secrets sealed under the master key).
import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface AccessKeyRow {
  readonly accessKeyId: string;
  readonly principalArn: string;
  readonly secret: Buffer;
  readonly status: 'Active' | 'Inactive';
}

export async function insertAccessKey(db: Queryable, row: AccessKeyRow): Promise<void> {
  await db.query(
    'INSERT INTO gh_access_keys (access_key_id, principal_arn, secret, status) VALUES ($1, $2, $3, $4)',
    [row.accessKeyId, row.principalArn, row.secret, row.status],
  );
}

export async function recordAccessKeyUse(
  db: Queryable,
  accessKeyId: string,
  service: string,
  at: Date,
): Promise<void> {
  await db.query(
    'UPDATE gh_access_keys SET last_used_at = $2, last_used_service = $3 WHERE access_key_id = $1',
    [accessKeyId, at, service],
  );
}
