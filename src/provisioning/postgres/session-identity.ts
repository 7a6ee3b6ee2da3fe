// Who is really connected, told to the PostgreSQL backend in a way the session cannot forge (docs/audit.md
// "Identity in the database", decision 51). Installed in the backend URL's database by the instance's admin:
//
// - gatehouse.session_identity: one row per backend session (pid + backend_start), written once;
// - gatehouse.claim_session(principal, request_id, method): SECURITY DEFINER, EXECUTE only for members of the
//   NOLOGIN role gatehouse_session (every login role Gatehouse provisions); the first claim of a backend
//   session wins, a second fails, and a session that started before the installation cannot claim at all.
//   Gatehouse calls it on each backend session right after logging in and before the client can send anything,
//   so the client's own call always comes second;
// - gatehouse.session_principal(), gatehouse.session_request_id(), gatehouse.session_auth_method(): read the
//   current session's row; for RLS policies and triggers (`USING (owner = (SELECT gatehouse.session_principal()))`).
import pg from 'pg';
import type { AdminConnection } from './roles.js';

export const SESSION_ROLE = 'gatehouse_session';
const CLAIM = 'gatehouse.claim_session(text,text,text)';

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

CREATE OR REPLACE FUNCTION gatehouse.claim_session(p_principal text, p_request_id text, p_method text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  started timestamptz;
BEGIN
  SELECT backend_start INTO started FROM pg_stat_get_activity(pg_backend_pid());
  IF started IS NULL OR started < (SELECT at FROM gatehouse.installed) THEN
    RAISE EXCEPTION 'this session started before Gatehouse session identity was installed';
  END IF;
  -- First claim wins: a second one for the same backend session is a unique violation.
  INSERT INTO gatehouse.session_identity (pid, backend_start, principal, db_user, request_id, auth_method)
  VALUES (pg_backend_pid(), started, p_principal, session_user, p_request_id, p_method);
  -- Forget sessions that have ended, now and then.
  IF random() < 0.01 THEN
    DELETE FROM gatehouse.session_identity s
     WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = s.pid AND a.backend_start = s.backend_start);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION gatehouse.claim_session(text, text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION gatehouse.session_principal() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT s.principal FROM gatehouse.session_identity s, pg_stat_get_activity(pg_backend_pid()) a
   WHERE s.pid = pg_backend_pid() AND s.backend_start = a.backend_start
$$;
CREATE OR REPLACE FUNCTION gatehouse.session_request_id() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT s.request_id FROM gatehouse.session_identity s, pg_stat_get_activity(pg_backend_pid()) a
   WHERE s.pid = pg_backend_pid() AND s.backend_start = a.backend_start
$$;
CREATE OR REPLACE FUNCTION gatehouse.session_auth_method() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT s.auth_method FROM gatehouse.session_identity s, pg_stat_get_activity(pg_backend_pid()) a
   WHERE s.pid = pg_backend_pid() AND s.backend_start = a.backend_start
$$;
GRANT EXECUTE ON FUNCTION gatehouse.session_principal(), gatehouse.session_request_id(),
  gatehouse.session_auth_method() TO PUBLIC;
`;

/** Create or update the schema, table and functions, and the role allowed to claim (idempotent). */
export async function installSessionIdentity(admin: AdminConnection): Promise<void> {
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
}

/** Let the role's sessions be claimed (GRANT gatehouse_session TO role); false when identity is not installed. */
export async function grantSessionIdentity(admin: AdminConnection, username: string): Promise<boolean> {
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [SESSION_ROLE]);
  if (exists.rowCount === 0) return false;
  await admin.query(`GRANT ${pg.escapeIdentifier(SESSION_ROLE)} TO ${pg.escapeIdentifier(username)}`);
  return true;
}

/** A string literal that means the same whatever standard_conforming_strings says. */
function literal(value: string): string {
  if (value.includes('\0')) throw new Error('NUL in a session identity value');
  return `E'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/**
 * The statement Gatehouse runs on each new backend session before relaying: claim it when the database has
 * the function and the role may call it (otherwise nothing happens, and nothing is logged as an error).
 */
export function claimSessionSql(identity: {
  readonly principal?: string;
  readonly requestId: string;
  readonly method: string;
}): string {
  const principal = identity.principal === undefined ? 'NULL' : literal(identity.principal);
  // Nested IFs: SQL does not promise to evaluate `a AND b` left to right, and the privilege check errors when the
  // function does not exist.
  return [
    'DO $gatehouse$ BEGIN',
    `IF to_regprocedure('${CLAIM}') IS NOT NULL THEN`,
    `IF has_function_privilege('${CLAIM}', 'EXECUTE') THEN`,
    `PERFORM gatehouse.claim_session(${principal}, ${literal(identity.requestId)}, ${literal(identity.method)});`,
    'END IF; END IF; END $gatehouse$',
  ].join(' ');
}
