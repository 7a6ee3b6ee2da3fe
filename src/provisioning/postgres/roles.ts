// Creates, adopts and retires backend roles (and keeps rds_iam) through the admin connection, safely quoted.
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { backendTlsOptions } from '../../core/backend-tls.js';
import { GatehouseError } from '../../core/errors.js';
import type { BackendRole, BackendTarget } from '../provisioner.js';

export interface AdminConnection {
  query(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  close(): Promise<void>;
}

export async function connectAdmin(
  instance: string,
  target: BackendTarget,
  options: { database?: string; connectTimeoutMs?: number } = {},
): Promise<AdminConnection> {
  const open = async (ssl: false | ConnectionOptions): Promise<pg.Client> => {
    const client = new pg.Client({
      host: target.host,
      port: target.port,
      user: target.adminUser,
      password: target.adminPassword,
      database: options.database ?? target.database,
      ssl,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      application_name: 'gatehouse-provisioning',
    });
    client.on('error', () => {}); // a dropped admin connection surfaces on the next query instead
    await client.connect();
    return client;
  };
  let client: pg.Client;
  try {
    const ssl = await backendTlsOptions(target);
    try {
      client = await open(ssl);
    } catch (e) {
      // sslmode=prefer: fall back to plaintext when the server has no TLS, as libpq does.
      if (target.sslMode !== 'prefer' || !/does not support SSL/i.test((e as Error).message)) throw e;
      client = await open(false);
    }
  } catch (e) {
    throw new GatehouseError(
      'GH_BACKEND_PROVISION_FAILED',
      { instance, reason: `cannot connect as ${target.adminUser}: ${(e as Error).message}` },
      { cause: e },
    );
  }
  return {
    query: (sql, params) => client.query(sql, params),
    close: () => client.end(),
  };
}

/** Reserved role names an instance user may not take (PostgreSQL's own and our provisioning admin). */
export function checkRoleName(username: string, adminUser: string): string | null {
  if (username.length === 0 || Buffer.byteLength(username) > 63) return 'Username must be 1-63 bytes';
  if (/^pg_/i.test(username)) return 'Username may not start with pg_ (reserved by PostgreSQL)';
  if (username === adminUser) return `Username ${username} is the instance's provisioning admin`;
  if (/[\0]/.test(username)) return 'Username may not contain NUL';
  return null;
}

/**
 * Create the role with LOGIN and the given SCRAM verifier, or adopt an existing role by replacing its
 * password (the backend only ever sees a verifier, never a plaintext password).
 */
export async function upsertLoginRole(
  admin: AdminConnection,
  username: string,
  scramVerifier: string,
): Promise<'created' | 'adopted'> {
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
  const role = pg.escapeIdentifier(username);
  const password = pg.escapeLiteral(scramVerifier);
  if (exists.rowCount === 0) {
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD ${password}`);
    return 'created';
  }
  await admin.query(`ALTER ROLE ${role} LOGIN PASSWORD ${password}`);
  return 'adopted';
}

/** The role's login and superuser attributes, or null when it does not exist. */
export async function findRole(admin: AdminConnection, username: string): Promise<BackendRole | null> {
  const res = await admin.query('SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = $1', [username]);
  const role = res.rows[0] as { rolcanlogin: boolean; rolsuper: boolean } | undefined;
  return role ? { canLogin: role.rolcanlogin, superuser: role.rolsuper } : null;
}

/**
 * Remove login; drop the role when it owns nothing (otherwise leave it NOLOGIN, as dropping would fail). The DROP
 * runs in `atomically` (a savepoint when the caller has a transaction open), so its failure does not abort it.
 */
export async function retireLoginRole(
  admin: AdminConnection,
  username: string,
  atomically: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): Promise<'dropped' | 'disabled' | 'absent'> {
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
  if (exists.rowCount === 0) return 'absent';
  const role = pg.escapeIdentifier(username);
  await admin.query(`ALTER ROLE ${role} NOLOGIN PASSWORD NULL`);
  try {
    await atomically(() => admin.query(`DROP ROLE ${role}`));
    return 'dropped';
  } catch (e) {
    if ((e as { code?: string }).code === '2BP01') return 'disabled'; // dependent objects exist
    throw e;
  }
}

/**
 * What keeps the role from being dropped (pg_shdepend): objects it owns (in any database), and privileges it
 * still holds (here: described; elsewhere: counted). Empty lists when the role does not exist.
 */
export async function roleDependencies(
  admin: AdminConnection,
  username: string,
): Promise<{ owns: string[]; privileges: string[] }> {
  const res = await admin.query(
    `SELECT d.deptype,
            CASE WHEN d.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
                 THEN pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)
                 ELSE 'an object in database ' || coalesce((SELECT datname FROM pg_catalog.pg_database WHERE oid = d.dbid), 'of the cluster') END AS what
       FROM pg_catalog.pg_shdepend d
      WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass
        AND d.refobjid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)
      ORDER BY 2`,
    [username],
  );
  const owns: string[] = [];
  const privileges: string[] = [];
  for (const r of res.rows as { deptype: string; what: string | null }[]) {
    (r.deptype === 'o' ? owns : privileges).push(r.what ?? 'an object');
  }
  return { owns, privileges };
}

/** The role whose members log in with IAM auth tokens, as on Amazon RDS for PostgreSQL. */
export const RDS_IAM_ROLE = 'rds_iam';

/**
 * Create the NOLOGIN role rds_iam unless it exists. Another session (a second node, a concurrent user
 * creation) may create it between the check and the CREATE: duplicate_object (42710), or unique_violation
 * (23505) on pg_authid when both inserts race, both mean it exists now.
 */
export async function ensureRdsIamRole(
  admin: AdminConnection,
  atomically: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): Promise<void> {
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [RDS_IAM_ROLE]);
  if (exists.rowCount !== 0) return;
  try {
    // In a savepoint when the caller has a transaction open: losing the race must not abort it.
    await atomically(() => admin.query(`CREATE ROLE ${pg.escapeIdentifier(RDS_IAM_ROLE)} NOLOGIN`));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== '42710' && code !== '23505') throw e;
  }
}

/** GRANT rds_iam TO the role (a no-op, with a notice, when it is already a member). */
export async function grantRdsIam(admin: AdminConnection, username: string): Promise<void> {
  await admin.query(`GRANT ${pg.escapeIdentifier(RDS_IAM_ROLE)} TO ${pg.escapeIdentifier(username)}`);
}

/**
 * LOGIN roles that are members of rds_iam, directly or through nested membership, whatever INHERIT says.
 * From PostgreSQL 16 a grant may confer only ADMIN OPTION (`WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`: a role
 * that may hand rds_iam out without holding it), which pg_has_role MEMBER counts; such a role is not an IAM
 * user, so membership there means USAGE or SET. Superusers are left out: pg_has_role counts them as members of
 * every role. Empty when rds_iam does not exist.
 */
export async function listIamLoginRoles(admin: AdminConnection): Promise<Set<string>> {
  const res = await admin.query(
    `WITH iam AS (SELECT oid FROM pg_roles WHERE rolname = $1)
     SELECT r.rolname FROM pg_roles r, iam
      WHERE r.rolcanlogin AND NOT r.rolsuper AND r.oid <> iam.oid 
        AND CASE WHEN current_setting('server_version_num')::int >= 160000
                 THEN pg_has_role(r.oid, iam.oid, 'USAGE') OR pg_has_role(r.oid, iam.oid, 'SET')
                 ELSE pg_has_role(r.oid, iam.oid, 'MEMBER') END`,
    [RDS_IAM_ROLE],
  );
  return new Set(res.rows.map((r: { rolname: string }) => r.rolname));
}

/** Replace the role's password with a SCRAM verifier (the backend never sees the secret itself). */
export async function setLoginSecret(
  admin: AdminConnection,
  username: string,
  scramVerifier: string,
): Promise<void> {
  await admin.query(
    `ALTER ROLE ${pg.escapeIdentifier(username)} PASSWORD ${pg.escapeLiteral(scramVerifier)}`,
  );
}
