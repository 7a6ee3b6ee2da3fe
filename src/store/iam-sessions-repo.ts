// gh_sts_sessions: temporary credentials issued by sts:AssumeRole (sealed secret, hashed session token).
import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface StsSessionRow {
  readonly accessKeyId: string;
  readonly secret: Buffer;
  readonly tokenHash: Buffer;
  readonly roleArn: string;
  readonly roleId: string;
  readonly sessionName: string;
  readonly sessionPolicy: string | null;
  readonly sourceArn: string;
  readonly expiresAt: Date;
  readonly createdAt: Date;
}

const COLUMNS =
  'access_key_id, secret, token_hash, role_arn, role_id, session_name, session_policy, source_arn, expires_at, created_at';

function toRow(r: Record<string, unknown>): StsSessionRow {
  return {
    accessKeyId: r['access_key_id'] as string,
    secret: r['secret'] as Buffer,
    tokenHash: r['token_hash'] as Buffer,
    roleArn: r['role_arn'] as string,
    roleId: r['role_id'] as string,
    sessionName: r['session_name'] as string,
    sessionPolicy: (r['session_policy'] as string | null) ?? null,
    sourceArn: r['source_arn'] as string,
    expiresAt: r['expires_at'] as Date,
    createdAt: r['created_at'] as Date,
  };
}

export async function insertSessionRow(db: Queryable, row: StsSessionRow): Promise<void> {
  await db.query(
    `INSERT INTO gh_sts_sessions (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      row.accessKeyId,
      row.secret,
      row.tokenHash,
      row.roleArn,
      row.roleId,
      row.sessionName,
      row.sessionPolicy,
      row.sourceArn,
      row.expiresAt,
      row.createdAt,
    ],
  );
}

export async function findSessionRow(db: Queryable, accessKeyId: string): Promise<StsSessionRow | null> {
  const res = await db.query(`SELECT ${COLUMNS} FROM gh_sts_sessions WHERE access_key_id = $1`, [
    accessKeyId,
  ]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

/** Housekeeping: sessions past expiry (plus a margin, so "expired" stays distinguishable from "unknown"). */
export async function deleteSessionsExpiredBefore(db: Queryable, before: Date): Promise<number> {
  const res = await db.query('DELETE FROM gh_sts_sessions WHERE expires_at < $1', [before]);
  return res.rowCount ?? 0;
}

export async function deleteRoleSessions(db: Queryable, roleId: string): Promise<number> {
  const res = await db.query('DELETE FROM gh_sts_sessions WHERE role_id = $1', [roleId]);
  return res.rowCount ?? 0;
}
