// gh_iam_groups and gh_iam_group_members: IAM groups and which users belong to them.
import type pg from 'pg';
import { afterPart, fetchCount, type Keyed, type Keyset, refuseBadMarker } from './iam-keyset.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface IamGroupRow {
  readonly groupId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly createdAt: Date;
}

const COLUMNS = 'group_id, name, path, arn, created_at';

function toRow(r: Record<string, unknown>): IamGroupRow {
  return {
    groupId: r['group_id'] as string,
    name: r['name'] as string,
    path: r['path'] as string,
    arn: r['arn'] as string,
    createdAt: r['created_at'] as Date,
  };
}

/** `forUpdate` locks the row: membership, attachment quotas and deletion of one group are serialised. */
export async function findGroupByName(
  db: Queryable,
  name: string,
  forUpdate = false,
): Promise<IamGroupRow | null> {
  const res = await db.query(
    `SELECT ${COLUMNS} FROM gh_iam_groups WHERE lower(name) = lower($1)${forUpdate ? ' FOR UPDATE' : ''}`,
    [name],
  );
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function listGroupRows(db: Queryable, pathPrefix: string): Promise<IamGroupRow[]> {
  const res = await db.query(
    `SELECT ${COLUMNS} FROM gh_iam_groups WHERE starts_with(path, $1) ORDER BY lower(name)`,
    [pathPrefix],
  );
  return res.rows.map(toRow);
}

export async function insertGroupRow(db: Queryable, row: IamGroupRow): Promise<IamGroupRow> {
  const res = await db.query(
    `INSERT INTO gh_iam_groups (${COLUMNS}) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [row.groupId, row.name, row.path, row.arn, row.createdAt],
  );
  return toRow(res.rows[0]);
}

export async function deleteGroupRow(db: Queryable, groupId: string): Promise<void> {
  await db.query('DELETE FROM gh_iam_groups WHERE group_id = $1', [groupId]);
}

/** Adding a member twice is not an error in AWS (AddUserToGroup is idempotent). */
export async function addGroupMember(
  db: Queryable,
  groupId: string,
  userId: string,
  at: Date,
): Promise<void> {
  await db.query(
    'INSERT INTO gh_iam_group_members (group_id, user_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [groupId, userId, at],
  );
}

export async function removeGroupMember(db: Queryable, groupId: string, userId: string): Promise<boolean> {
  const res = await db.query('DELETE FROM gh_iam_group_members WHERE group_id = $1 AND user_id = $2', [
    groupId,
    userId,
  ]);
  return (res.rowCount ?? 0) > 0;
}

export async function listGroupMemberIds(db: Queryable, groupId: string): Promise<string[]> {
  const res = await db.query(
    'SELECT user_id FROM gh_iam_group_members WHERE group_id = $1 ORDER BY added_at',
    [groupId],
  );
  return res.rows.map((r) => r.user_id as string);
}

export async function listGroupsOfUser(db: Queryable, userId: string): Promise<IamGroupRow[]> {
  const res = await db.query(
    `SELECT g.group_id, g.name, g.path, g.arn, g.created_at FROM gh_iam_groups g
       JOIN gh_iam_group_members m ON m.group_id = g.group_id
      WHERE m.user_id = $1 ORDER BY lower(g.name)`,
    [userId],
  );
  return res.rows.map(toRow);
}

/** One page of groups under `pathPrefix`, by name ignoring case. */
export async function pageGroupRows(
  db: Queryable,
  pathPrefix: string,
  page: Keyset,
): Promise<Keyed<IamGroupRow>[]> {
  const res = await db
    .query(
      `SELECT ${COLUMNS}, lower(name) AS k0 FROM gh_iam_groups
      WHERE starts_with(path, $1) AND ($2::text IS NULL OR lower(name) > $2)
      ORDER BY lower(name) LIMIT $3`,
      [pathPrefix, afterPart(page, 0), fetchCount(page)],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({ row: toRow(r), key: [r.k0 as string] }));
}

/** One page of the groups a user belongs to, by name ignoring case. */
export async function pageGroupsOfUser(
  db: Queryable,
  userId: string,
  page: Keyset,
): Promise<Keyed<IamGroupRow>[]> {
  const res = await db
    .query(
      `SELECT g.group_id, g.name, g.path, g.arn, g.created_at, lower(g.name) AS k0 FROM gh_iam_groups g
       JOIN gh_iam_group_members m ON m.group_id = g.group_id
      WHERE m.user_id = $1 AND ($2::text IS NULL OR lower(g.name) > $2)
      ORDER BY lower(g.name) LIMIT $3`,
      [userId, afterPart(page, 0), fetchCount(page)],
    )
    .catch(refuseBadMarker(page));
  return res.rows.map((r) => ({ row: toRow(r), key: [r.k0 as string] }));
}

export async function countGroupMembers(db: Queryable, groupId: string): Promise<number> {
  const res = await db.query('SELECT count(*)::int AS n FROM gh_iam_group_members WHERE group_id = $1', [
    groupId,
  ]);
  return res.rows[0].n as number;
}

/** UpdateGroup: a new name and/or path, hence a new ARN (the id, members and policies stay). */
export async function renameGroupRow(
  db: Queryable,
  groupId: string,
  to: { name: string; path: string; arn: string },
): Promise<void> {
  await db.query('UPDATE gh_iam_groups SET name = $2, path = $3, arn = $4 WHERE group_id = $1', [
    groupId,
    to.name,
    to.path,
    to.arn,
  ]);
}

export async function findGroupById(db: Queryable, groupId: string): Promise<IamGroupRow | null> {
  const res = await db.query(`SELECT ${COLUMNS} FROM gh_iam_groups WHERE group_id = $1`, [groupId]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}
