// gh_instances rows: the registered database instances and where the gateway listens for each.
import type pg from 'pg';
import type { DbEngine, StatementClassSetting } from '../core/types.js';

export interface InstanceRow {
  readonly id: string;
  readonly identifier: string;
  readonly engine: DbEngine;
  readonly dbiResourceId: string;
  readonly backendUrl: string;
  readonly backendPassword: Buffer | null;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly forceSsl: boolean;
  /** EnableIAMDatabaseAuthentication. */
  readonly iamAuth: boolean;
  /** Further "host:port" names (host lower-case) an IAM auth token may be signed for, besides the listen address. */
  readonly endpointAliases: readonly string[];
  /** TerminateRevokedIAMSessions: end open IAM sessions whose access was revoked. */
  readonly iamTerminateSessions: boolean;
  /** AuditFailOpen: admit a login whose "allowed" audit event could not be committed (default: refuse it). */
  readonly auditFailOpen: boolean;
  /** AuditStatements: pgaudit classes (or ALL) recorded as db.statement events; empty: none. */
  readonly auditStatements: readonly StatementClassSetting[];
  /** AuditStatementLiterals: keep literals in the recorded statement text. */
  readonly auditStatementLiterals: boolean;
  /** AuditResultDigest: add the SHA-256 of the rows sent to the client. */
  readonly auditResultDigest: boolean;
  readonly createdAt: Date;
}

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

const COLUMNS =
  'id, identifier, engine, dbi_resource_id, backend_url, backend_password, listen_host, listen_port, force_ssl, iam_auth, endpoint_aliases, iam_terminate_sessions, audit_fail_open, audit_statements, audit_statement_literals, audit_result_digest, created_at';

function toRow(r: Record<string, unknown>): InstanceRow {
  return {
    id: String(r['id']),
    identifier: r['identifier'] as string,
    engine: r['engine'] as DbEngine,
    dbiResourceId: r['dbi_resource_id'] as string,
    backendUrl: r['backend_url'] as string,
    backendPassword: (r['backend_password'] as Buffer | null) ?? null,
    listenHost: r['listen_host'] as string,
    listenPort: r['listen_port'] as number,
    forceSsl: r['force_ssl'] as boolean,
    iamAuth: r['iam_auth'] as boolean,
    endpointAliases: (r['endpoint_aliases'] as string[] | null) ?? [],
    iamTerminateSessions: r['iam_terminate_sessions'] as boolean,
    auditFailOpen: r['audit_fail_open'] as boolean,
    auditStatements: (r['audit_statements'] as StatementClassSetting[] | null) ?? [],
    auditStatementLiterals: r['audit_statement_literals'] as boolean,
    auditResultDigest: r['audit_result_digest'] as boolean,
    createdAt: r['created_at'] as Date,
  };
}

export async function listInstances(db: Queryable): Promise<InstanceRow[]> {
  const res = await db.query(`SELECT ${COLUMNS} FROM gh_instances ORDER BY identifier`);
  return res.rows.map(toRow);
}

export async function findInstance(db: Queryable, identifier: string): Promise<InstanceRow | null> {
  const res = await db.query(`SELECT ${COLUMNS} FROM gh_instances WHERE identifier = $1`, [identifier]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function findInstanceByListen(
  db: Queryable,
  host: string,
  port: number,
): Promise<InstanceRow | null> {
  const res = await db.query(
    `SELECT ${COLUMNS} FROM gh_instances WHERE listen_host = $1 AND listen_port = $2`,
    [host, port],
  );
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function insertInstance(
  db: Queryable,
  row: Omit<InstanceRow, 'id' | 'createdAt'>,
): Promise<InstanceRow> {
  const res = await db.query(
    `INSERT INTO gh_instances (identifier, engine, dbi_resource_id, backend_url, backend_password, listen_host, listen_port,
                               force_ssl, iam_auth, endpoint_aliases, iam_terminate_sessions, audit_fail_open,
                               audit_statements, audit_statement_literals, audit_result_digest)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text[], $11, $12, $13::text[], $14, $15) RETURNING ${COLUMNS}`,
    [
      row.identifier,
      row.engine,
      row.dbiResourceId,
      row.backendUrl,
      row.backendPassword,
      row.listenHost,
      row.listenPort,
      row.forceSsl,
      row.iamAuth,
      [...row.endpointAliases],
      row.iamTerminateSessions,
      row.auditFailOpen,
      [...row.auditStatements],
      row.auditStatementLiterals,
      row.auditResultDigest,
    ],
  );
  return toRow(res.rows[0]);
}

export async function updateInstance(
  db: Queryable,
  identifier: string,
  patch: Partial<
    Pick<
      InstanceRow,
      | 'backendUrl'
      | 'backendPassword'
      | 'listenHost'
      | 'listenPort'
      | 'forceSsl'
      | 'iamAuth'
      | 'endpointAliases'
      | 'iamTerminateSessions'
      | 'auditFailOpen'
      | 'auditStatements'
      | 'auditStatementLiterals'
      | 'auditResultDigest'
    >
  >,
): Promise<InstanceRow | null> {
  const res = await db.query(
    `UPDATE gh_instances SET
       backend_url = COALESCE($2, backend_url),
       backend_password = CASE WHEN $3::boolean THEN $4 ELSE backend_password END,
       listen_host = COALESCE($5, listen_host),
       listen_port = COALESCE($6, listen_port),
       force_ssl = COALESCE($7, force_ssl),
       iam_auth = COALESCE($8, iam_auth),
       endpoint_aliases = COALESCE($9::text[], endpoint_aliases),
       iam_terminate_sessions = COALESCE($10, iam_terminate_sessions),
       audit_fail_open = COALESCE($11, audit_fail_open),
       audit_statements = COALESCE($12::text[], audit_statements),
       audit_statement_literals = COALESCE($13, audit_statement_literals),
       audit_result_digest = COALESCE($14, audit_result_digest),
       updated_at = now()
     WHERE identifier = $1 RETURNING ${COLUMNS}`,
    [
      identifier,
      patch.backendUrl ?? null,
      patch.backendPassword !== undefined,
      patch.backendPassword ?? null,
      patch.listenHost ?? null,
      patch.listenPort ?? null,
      patch.forceSsl ?? null,
      patch.iamAuth ?? null,
      patch.endpointAliases === undefined ? null : [...patch.endpointAliases],
      patch.iamTerminateSessions ?? null,
      patch.auditFailOpen ?? null,
      patch.auditStatements === undefined ? null : [...patch.auditStatements],
      patch.auditStatementLiterals ?? null,
      patch.auditResultDigest ?? null,
    ],
  );
  return res.rows[0] ? toRow(res.rows[0]) : null;
}

export async function deleteInstanceRow(db: Queryable, identifier: string): Promise<InstanceRow | null> {
  const res = await db.query(`DELETE FROM gh_instances WHERE identifier = $1 RETURNING ${COLUMNS}`, [
    identifier,
  ]);
  return res.rows[0] ? toRow(res.rows[0]) : null;
}
