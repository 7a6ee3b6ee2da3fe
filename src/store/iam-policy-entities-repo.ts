// Who uses a managed policy (ListEntitiesForPolicy): groups, users and roles it is attached to or bounds, paged.
import type pg from 'pg';
import { afterPart, fetchCount, type Keyed, type Keyset, refuseBadMarker } from './iam-keyset.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export type EntityKind = 'Group' | 'User' | 'Role';

export interface PolicyEntityRow {
  readonly kind: EntityKind;
  readonly id: string;
  readonly name: string;
}

export interface PolicyEntityFilter {
  readonly kinds: readonly EntityKind[];
  readonly pathPrefix: string;
  /** Attached as a permissions policy, used as a permissions boundary, or either (null). */
  readonly usage: 'PermissionsPolicy' | 'PermissionsBoundary' | null;
}

/** Groups first, then users, then roles (AWS's result members), each by name ignoring case. */
export async function pagePolicyEntities(
  db: Queryable,
  arn: string,
  filter: PolicyEntityFilter,
  page: Keyset,
): Promise<Keyed<PolicyEntityRow>[]> {
  const res = await db
    .query(
      `WITH uses AS (
       SELECT 1 AS rank, 'Group' AS kind, g.group_id AS id, g.name, g.path FROM gh_iam_groups g
        WHERE $3::text IS DISTINCT FROM 'PermissionsBoundary' AND EXISTS (SELECT 1 FROM gh_iam_attachments a
                WHERE a.principal_kind = 'Group' AND a.principal_id = g.group_id AND a.policy_arn = $1)
       UNION ALL
       SELECT 2, 'User', u.user_id, u.name, u.path FROM gh_iam_users u
        WHERE ($3::text IS DISTINCT FROM 'PermissionsBoundary' AND EXISTS (SELECT 1 FROM gh_iam_attachments a
                WHERE a.principal_kind = 'User' AND a.principal_id = u.user_id AND a.policy_arn = $1))
           OR ($3::text IS DISTINCT FROM 'PermissionsPolicy' AND u.boundary_arn = $1)
       UNION ALL
       SELECT 3, 'Role', r.role_id, r.name, r.path FROM gh_iam_roles r
        WHERE ($3::text IS DISTINCT FROM 'PermissionsBoundary' AND EXISTS (SELECT 1 FROM gh_iam_attachments a
                WHERE a.principal_kind = 'Role' AND a.principal_id = r.role_id AND a.policy_arn = $1))
           OR ($3::text IS DISTINCT FROM 'PermissionsPolicy' AND r.boundary_arn = $1))
     SELECT rank, kind, id, name, lower(name) AS k1 FROM uses
      WHERE kind = ANY($2::text[]) AND starts_with(path, $4)
        AND ($5::int IS NULL OR (rank, lower(name)) > ($5::int, $6))
      ORDER BY rank, lower(name) LIMIT $7`,
      [
        arn,
        filter.kinds,
        filter.usage,
        filter.pathPrefix,
        afterPart(page, 0),
        afterPart(page, 1),
        fetchCount(page),
      ],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({
    row: { kind: r.kind as EntityKind, id: r.id as string, name: r.name as string },
    key: [String(r.rank), r.k1 as string],
  }));
}
