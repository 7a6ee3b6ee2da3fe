// Who is really connected, told to the PostgreSQL backend in a way the session cannot forge (docs/audit.md
// "Identity in the database", decision 51). Installed in the backend URL's database by the instance's admin:
//
// - gatehouse.session_identity: one row per backend session (pid + backend_start), written once, unreadable;
// - gatehouse.claim_session(backend_start, principal, request_id, method): SECURITY DEFINER, EXECUTE only for
//   members of the NOLOGIN role gatehouse_session (every login role Gatehouse provisions); first claim of a
//   backend session wins, and a session that started before the installation cannot claim. Gatehouse claims on
//   each new backend session whose user is a member, inside its own transaction that undoes whatever the
//   client's start-up settings did (role, search_path, read-only, timeouts), before the client can send
//   anything, and refuses the login if the claim fails: the client's own call always comes second;
// - gatehouse.session_principal(), session_request_id(), session_auth_method(): SECURITY INVOKER readers; each
//   reads the current session's backend_start itself (a session always sees its own; after SET ROLE to a role
//   that may not see it, they return NULL) and looks the row up through a definer function that returns only
//   rows of the caller's own pid. The definer never needs to read other sessions' activity (an admin that is
//   not a superuser cannot).
import pg from 'pg';
import type { AdminConnection } from './roles.js';

export const SESSION_ROLE = 'gatehouse_session';
const CLAIM =
  'gatehouse.claim_session(pg_catalog.timestamptz,pg_catalog.text,pg_catalog.text,pg_catalog.text)';

const INSTALL_SQL = `
CREATE SCHEMA IF NOT EXISTS gatehouse;
REVOKE CREATE ON SCHEMA gatehouse FROM PUBLIC;
GRANT USAGE ON SCHEMA gatehouse TO PUBLIC;
CREATE TABLE IF NOT EXISTS gatehouse.session_identity (
  pid            integer NOT NULL,
  backend_start  timestamptz NOT NULL,
  principal      text,
  db_user        text NOT NULL,
  request_id     text NOT NULL,
  auth_method    text NOT NULL,
  claimed_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pid, backend_start)
);
REVOKE ALL ON gatehouse.session_identity FROM PUBLIC;
CREATE TABLE IF NOT EXISTS gatehouse.installed (
  id  boolean PRIMARY KEY DEFAULT true CHECK (id),
  at  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON gatehouse.installed FROM PUBLIC;
INSERT INTO gatehouse.installed DEFAULT VALUES ON CONFLICT (id) DO NOTHING;

CREATE OR REPLACE FUNCTION gatehouse.claim_session(
  p_backend_start timestamptz, p_principal text, p_request_id text, p_method text)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_backend_start IS NULL OR p_backend_start < (SELECT at FROM gatehouse.installed) THEN
    RAISE EXCEPTION 'this session started before Gatehouse session identity was installed';
  END IF;
  -- First claim wins: a second one for the same backend session is a unique violation.
  INSERT INTO gatehouse.session_identity (pid, backend_start, principal, db_user, request_id, auth_method)
  VALUES (pg_backend_pid(), p_backend_start, p_principal, session_user, p_request_id, p_method);
  -- Forget sessions whose pid is gone, now and then (a reused pid has another backend_start).
  IF random() < 0.01 THEN
    DELETE FROM gatehouse.session_identity s
     WHERE NOT EXISTS (SELECT 1 FROM pg_stat_get_activity(NULL) a WHERE a.pid = s.pid);
  END IF;
  RETURN p_request_id;
END
$$;
REVOKE ALL ON FUNCTION gatehouse.claim_session(timestamptz, text, text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION gatehouse.identity_of(p_backend_start timestamptz) RETURNS gatehouse.session_identity
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT * FROM gatehouse.session_identity WHERE pid = pg_backend_pid() AND backend_start = p_backend_start
$$;
REVOKE ALL ON FUNCTION gatehouse.identity_of(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gatehouse.identity_of(timestamptz) TO PUBLIC;

CREATE OR REPLACE FUNCTION gatehouse.session_principal() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT (gatehouse.identity_of((SELECT backend_start FROM pg_stat_get_activity(pg_backend_pid())))).principal
$$;
CREATE OR REPLACE FUNCTION gatehouse.session_request_id() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT (gatehouse.identity_of((SELECT backend_start FROM pg_stat_get_activity(pg_backend_pid())))).request_id
$$;
CREATE OR REPLACE FUNCTION gatehouse.session_auth_method() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT (gatehouse.identity_of((SELECT backend_start FROM pg_stat_get_activity(pg_backend_pid())))).auth_method
$$;
GRANT EXECUTE ON FUNCTION gatehouse.session_principal(), gatehouse.session_request_id(),
  gatehouse.session_auth_method() TO PUBLIC;
`;

/**
 * Create or update the schema, table and functions, and the role allowed to claim (idempotent); make each of
 * `roles` (the instance's database users that exist on the backend) a member, so every Gatehouse login claims.
 */
export async function installSessionIdentity(
  admin: AdminConnection,
  roles: readonly string[] = [],
): Promise<void> {
  const role = pg.escapeIdentifier(SESSION_ROLE);
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [SESSION_ROLE]);
  if (exists.rowCount === 0) {
    try {
      await admin.query(`CREATE ROLE ${role} NOLOGIN`);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== '42710' && code !== '23505') throw e; // created meanwhile by another call
    }
  }
  await admin.query(INSTALL_SQL);
  await admin.query(`GRANT EXECUTE ON FUNCTION ${CLAIM} TO ${role}`);
  for (const r of roles) {
    const found = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [r]);
    if ((found.rowCount ?? 0) > 0) await admin.query(`GRANT ${role} TO ${pg.escapeIdentifier(r)}`);
  }
}

/** Let the role's sessions be claimed (GRANT gatehouse_session TO role); false when identity is not installed. */
export async function grantSessionIdentity(admin: AdminConnection, username: string): Promise<boolean> {
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [SESSION_ROLE]);
  if (exists.rowCount === 0) return false;
  await admin.query(`GRANT ${pg.escapeIdentifier(SESSION_ROLE)} TO ${pg.escapeIdentifier(username)}`);
  return true;
}

/**
 * A string literal that means the same whatever standard_conforming_strings and client_encoding say: E'' with
 * quotes and backslashes escaped and every non-ASCII character as a \u / \U escape (the statement is ASCII).
 */
function literal(value: string): string {
  if (value.includes('\0')) throw new Error('NUL in a session identity value');
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === "'") out += "''";
    else if (ch === '\\') out += '\\\\';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x80) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `E'${out}'`;
}

/**
 * What Gatehouse runs on each new backend session before relaying. Its own transaction undoes what the client's
 * start-up settings could do to the claim (a role without the privilege, a search_path that shadows types,
 * read-only transactions, short timeouts). Where the function exists and the session's user is a member of
 * gatehouse_session, the claim must succeed: an error leaves the transaction failed, and Gatehouse refuses the
 * login. Where it does not exist, nothing happens and nothing is logged as an error.
 */
export function claimSessionSql(identity: {
  readonly principal?: string;
  readonly requestId: string;
  readonly method: string;
}): string {
  const principal = identity.principal === undefined ? 'NULL' : literal(identity.principal);
  return [
    'BEGIN READ WRITE;',
    'SET LOCAL ROLE NONE;',
    'SET LOCAL search_path = pg_catalog, pg_temp;',
    'SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0;',
    'DO $gatehouse$ BEGIN',
    `IF pg_catalog.to_regprocedure('${CLAIM}') IS NOT NULL THEN`,
    `IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '${SESSION_ROLE}') THEN`,
    `IF pg_catalog.pg_has_role(session_user, '${SESSION_ROLE}', 'MEMBER') THEN`,
    'PERFORM gatehouse.claim_session(',
    '(SELECT backend_start FROM pg_catalog.pg_stat_get_activity(pg_catalog.pg_backend_pid())),',
    `${principal}, ${literal(identity.requestId)}, ${literal(identity.method)});`,
    'END IF; END IF; END IF; END $gatehouse$;',
    'COMMIT;',
  ].join(' ');
}
