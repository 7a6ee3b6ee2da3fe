// GetAccountAuthorizationDetails: one page over every user, group, role and managed policy, in that order.
import type pg from 'pg';
import { afterPart, fetchCount, type Keyed, type Keyset, refuseBadMarker } from './iam-keyset.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export type DetailKind = 'User' | 'Group' | 'Role' | 'LocalManagedPolicy' | 'AWSManagedPolicy';

export interface DetailEntityRow {
  readonly kind: DetailKind;
  /** user_id, group_id, role_id or policy_id. */
  readonly id: string;
}

/**
 * Users (rank 1), groups (2), roles (3), then managed policies (4), each by name ignoring case; a policy's key
 * adds its ARN (an AWS and a customer policy may share a name; names hold no spaces).
 */
export async function pageAuthorizationEntities(
  db: Queryable,
  kinds: readonly DetailKind[],
  page: Keyset,
): Promise<Keyed<DetailEntityRow>[]> {
  const res = await db
    .query(
      `WITH entities AS (
       SELECT 1 AS rank, 'User' AS kind, user_id AS id, lower(name) AS k FROM gh_iam_users
       UNION ALL SELECT 2, 'Group', group_id, lower(name) FROM gh_iam_groups
       UNION ALL SELECT 3, 'Role', role_id, lower(name) FROM gh_iam_roles
       UNION ALL SELECT 4, CASE WHEN aws_managed THEN 'AWSManagedPolicy' ELSE 'LocalManagedPolicy' END,
                        policy_id, lower(name) || ' ' || arn FROM gh_iam_policies)
     SELECT rank, kind, id, k FROM entities
      WHERE kind = ANY($1::text[]) AND ($2::int IS NULL OR (rank, k) > ($2::int, $3))
      ORDER BY rank, k LIMIT $4`,
      [kinds, afterPart(page, 0), afterPart(page, 1), fetchCount(page)],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({
    row: { kind: r.kind as DetailKind, id: r.id as string },
    key: [String(r.rank), r.k as string],
  }));
}
