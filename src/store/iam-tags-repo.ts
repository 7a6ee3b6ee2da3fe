// gh_iam_tags: tags of users and roles. Keys compare ignoring case (IAM tagging rules); insertion order is kept.
import type pg from 'pg';
import { afterPart, fetchCount, type Keyed, type Keyset, refuseBadMarker } from './iam-keyset.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export type TaggableKind = 'User' | 'Role';

export interface TagRow {
  readonly key: string;
  readonly value: string;
}

export async function listTagRows(db: Queryable, kind: TaggableKind, principalId: string): Promise<TagRow[]> {
  const res = await db.query(
    'SELECT key, value FROM gh_iam_tags WHERE principal_kind = $1 AND principal_id = $2 ORDER BY position',
    [kind, principalId],
  );
  return res.rows.map((r) => ({ key: r.key as string, value: r.value as string }));
}

/** How many tags the principal would have after upserting `keys` (existing keys are replaced, not added). */
export async function countTagsAfter(
  db: Queryable,
  kind: TaggableKind,
  principalId: string,
  keys: readonly string[],
): Promise<number> {
  const res = await db.query(
    `SELECT count(*)::int AS n FROM (
       SELECT lower(key) AS k FROM gh_iam_tags WHERE principal_kind = $1 AND principal_id = $2
       UNION SELECT lower(k) FROM unnest($3::text[]) AS k) t`,
    [kind, principalId, keys],
  );
  return res.rows[0].n as number;
}

/** A key already present (in any case) keeps its original spelling and takes the new value. */
export async function upsertTagRows(
  db: Queryable,
  kind: TaggableKind,
  principalId: string,
  tags: readonly TagRow[],
): Promise<void> {
  for (const t of tags) {
    await db.query(
      `INSERT INTO gh_iam_tags (principal_kind, principal_id, key, value) VALUES ($1, $2, $3, $4)
       ON CONFLICT (principal_kind, principal_id, lower(key)) DO UPDATE SET value = EXCLUDED.value`,
      [kind, principalId, t.key, t.value],
    );
  }
}

export async function deleteTagRows(
  db: Queryable,
  kind: TaggableKind,
  principalId: string,
  keys: readonly string[] | 'all',
): Promise<void> {
  if (keys === 'all') {
    await db.query('DELETE FROM gh_iam_tags WHERE principal_kind = $1 AND principal_id = $2', [
      kind,
      principalId,
    ]);
    return;
  }
  await db.query(
    `DELETE FROM gh_iam_tags WHERE principal_kind = $1 AND principal_id = $2
       AND lower(key) IN (SELECT lower(k) FROM unnest($3::text[]) AS k)`,
    [kind, principalId, keys],
  );
}

/** One page of a principal's tags, in the order they were first set. */
export async function pageTagRows(
  db: Queryable,
  kind: TaggableKind,
  principalId: string,
  page: Keyset,
): Promise<Keyed<TagRow>[]> {
  const res = await db
    .query(
      `SELECT key, value, position::text AS k0 FROM gh_iam_tags
      WHERE principal_kind = $1 AND principal_id = $2 AND ($3::bigint IS NULL OR position > $3::bigint)
      ORDER BY position LIMIT $4`,
      [kind, principalId, afterPart(page, 0), fetchCount(page)],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({
    row: { key: r.key as string, value: r.value as string },
    key: [r.k0 as string],
  }));
}
