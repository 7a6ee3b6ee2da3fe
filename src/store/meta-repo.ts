// gh_meta: deployment-wide facts fixed at init (account id, region, mock-SCRAM secret).
import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export async function getMeta<T>(db: Queryable, key: string): Promise<T | null> {
  const res = await db.query('SELECT value FROM gh_meta WHERE key = $1', [key]);
  return res.rows[0] ? (res.rows[0].value as T) : null;
}

/** Insert if absent and return whatever is stored (first writer wins when nodes start together). */
export async function ensureMeta<T>(db: Queryable, key: string, value: T): Promise<T> {
  await db.query('INSERT INTO gh_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
    key,
    JSON.stringify(value),
  ]);
  return (await getMeta<T>(db, key)) as T;
}
