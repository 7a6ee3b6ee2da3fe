// gh_iam_inline_policies: policies embedded in one user, group or role (Put/Get/Delete/List{User,Group,Role}Policy).
import type pg from 'pg';
import { afterPart, fetchCount, type Keyed, type Keyset, refuseBadMarker } from './iam-keyset.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export type PrincipalKindRow = 'User' | 'Group' | 'Role';

export interface InlinePolicyRow {
  readonly name: string;
  readonly document: string;
}

/** Putting an existing name replaces its document, as PutUserPolicy does. */
export async function putInlinePolicy(
  db: Queryable,
  kind: PrincipalKindRow,
  principalId: string,
  policy: InlinePolicyRow,
  at: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO gh_iam_inline_policies (principal_kind, principal_id, name, document, created_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (principal_kind, principal_id, name) DO UPDATE SET document = EXCLUDED.document`,
    [kind, principalId, policy.name, policy.document, at],
  );
}

export async function findInlinePolicy(
  db: Queryable,
  kind: PrincipalKindRow,
  principalId: string,
  name: string,
): Promise<InlinePolicyRow | null> {
  const res = await db.query(
    'SELECT name, document FROM gh_iam_inline_policies WHERE principal_kind = $1 AND principal_id = $2 AND name = $3',
    [kind, principalId, name],
  );
  const r = res.rows[0];
  return r ? { name: r.name, document: r.document } : null;
}

export async function deleteInlinePolicy(
  db: Queryable,
  kind: PrincipalKindRow,
  principalId: string,
  name: string,
): Promise<boolean> {
  const res = await db.query(
    'DELETE FROM gh_iam_inline_policies WHERE principal_kind = $1 AND principal_id = $2 AND name = $3',
    [kind, principalId, name],
  );
  return (res.rowCount ?? 0) > 0;
}

export async function listInlinePolicies(
  db: Queryable,
  kind: PrincipalKindRow,
  principalId: string,
): Promise<InlinePolicyRow[]> {
  const res = await db.query(
    'SELECT name, document FROM gh_iam_inline_policies WHERE principal_kind = $1 AND principal_id = $2 ORDER BY name',
    [kind, principalId],
  );
  return res.rows.map((r) => ({ name: r.name as string, document: r.document as string }));
}

/** One page of a principal's inline policy names, in name order. */
export async function pageInlinePolicyNames(
  db: Queryable,
  kind: PrincipalKindRow,
  principalId: string,
  page: Keyset,
): Promise<Keyed<string>[]> {
  const res = await db
    .query(
      `SELECT name FROM gh_iam_inline_policies
      WHERE principal_kind = $1 AND principal_id = $2 AND ($3::text IS NULL OR name > $3)
      ORDER BY name LIMIT $4`,
      [kind, principalId, afterPart(page, 0), fetchCount(page)],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({ row: r.name as string, key: [r.name as string] }));
}
