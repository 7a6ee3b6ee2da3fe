// gh_iam_attachments: which managed policies are attached to which user, group or role.
import type pg from 'pg';
import { afterPart, fetchCount, type Keyed, type Keyset, refuseBadMarker, timeKey } from './iam-keyset.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export type AttachableKind = 'User' | 'Group' | 'Role';

export interface AttachedPolicyRow {
  readonly policyName: string;
  readonly policyArn: string;
}

/** Attaching twice is not an error in AWS. */
export async function attachPolicyRow(
  db: Queryable,
  kind: AttachableKind,
  principalId: string,
  policyArn: string,
  at: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO gh_iam_attachments (principal_kind, principal_id, policy_arn, attached_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING`,
    [kind, principalId, policyArn, at],
  );
}

export async function detachPolicyRow(
  db: Queryable,
  kind: AttachableKind,
  principalId: string,
  policyArn: string,
): Promise<boolean> {
  const res = await db.query(
    'DELETE FROM gh_iam_attachments WHERE principal_kind = $1 AND principal_id = $2 AND policy_arn = $3',
    [kind, principalId, policyArn],
  );
  return (res.rowCount ?? 0) > 0;
}

export async function listAttachedRows(
  db: Queryable,
  kind: AttachableKind,
  principalId: string,
): Promise<AttachedPolicyRow[]> {
  const res = await db.query(
    `SELECT p.name, p.arn FROM gh_iam_attachments a JOIN gh_iam_policies p ON p.arn = a.policy_arn
      WHERE a.principal_kind = $1 AND a.principal_id = $2 ORDER BY a.attached_at, p.arn`,
    [kind, principalId],
  );
  return res.rows.map((r) => ({ policyName: r.name as string, policyArn: r.arn as string }));
}

/** One page of the policies attached to a principal under `pathPrefix` (policy path), in attachment order. */
export async function pageAttachedRows(
  db: Queryable,
  kind: AttachableKind,
  principalId: string,
  pathPrefix: string,
  page: Keyset,
): Promise<Keyed<AttachedPolicyRow>[]> {
  const res = await db
    .query(
      `SELECT p.name, p.arn, ${timeKey('a.attached_at')} AS k0 FROM gh_iam_attachments a
       JOIN gh_iam_policies p ON p.arn = a.policy_arn
      WHERE a.principal_kind = $1 AND a.principal_id = $2 AND starts_with(p.path, $3)
        AND ($4::text IS NULL OR (a.attached_at, p.arn) > ($4::timestamptz, $5))
      ORDER BY a.attached_at, p.arn LIMIT $6`,
      [kind, principalId, pathPrefix, afterPart(page, 0), afterPart(page, 1), fetchCount(page)],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({
    row: { policyName: r.name as string, policyArn: r.arn as string },
    key: [r.k0 as string, r.arn as string],
  }));
}

/** How many users, groups and roles have `policyArn` attached (a fresh read, after the caller's row lock). */
export async function countPolicyAttachments(db: Queryable, policyArn: string): Promise<number> {
  const res = await db.query('SELECT count(*)::int AS n FROM gh_iam_attachments WHERE policy_arn = $1', [
    policyArn,
  ]);
  return res.rows[0].n as number;
}
