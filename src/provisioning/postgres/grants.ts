// PostgreSQL GRANT / REVOKE for a user's `--grant`s (src/provisioning/grants.ts), safely quoted.
import pg from 'pg';
import {
  type Grant,
  type GrantObject,
  GrantRefusedError,
  reservedSchemaReason,
  quoteIfNeeded as shown,
} from '../grants.js';
import type { AdminConnection } from './roles.js';

const id = pg.escapeIdentifier;

/** Run `fn` atomically on the admin connection: a transaction, or a savepoint inside the session's open one. */
export type Atomically = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * The relation a table grant names, resolved as GRANT would (to_regclass: the admin's search_path, on which
 * pg_catalog is always first, so `select:pg_authid` means pg_catalog.pg_authid), with what the safety checks need.
 */
interface Resolved {
  readonly schema: string;
  readonly name: string;
  /** Owned by a superuser that is neither the database owner nor the admin role itself. */
  readonly foreignSuperuserOwner: string | null;
}

const FOREIGN_SUPERUSER_OWNER = `CASE WHEN o.rolsuper AND c.relowner <> d.datdba AND o.rolname <> current_user
                                      THEN o.rolname END`;

async function resolveTable(
  admin: AdminConnection,
  o: Extract<GrantObject, { kind: 'table' }>,
): Promise<Resolved | null> {
  const res = await admin.query(
    `SELECT n.nspname AS schema, c.relname AS name, ${FOREIGN_SUPERUSER_OWNER} AS foreign_owner
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
       JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database()
      WHERE c.oid = pg_catalog.to_regclass($1)`,
    [tableName(o)],
  );
  const row = res.rows[0] as { schema: string; name: string; foreign_owner: string | null } | undefined;
  return row ? { schema: row.schema, name: row.name, foreignSuperuserOwner: row.foreign_owner } : null;
}

/**
 * Refuse what a grant may not reach, as resolved on the backend in the transaction that grants it: a table that
 * resolves into a reserved schema, or one owned by another superuser (schema grants: any such relation in the
 * schema). Returns the name to GRANT on: the resolved, qualified relation, so the check and the GRANT agree.
 */
async function checkedTarget(admin: AdminConnection, g: Grant): Promise<string | null> {
  const o = g.object;
  if (o.kind === 'schema') {
    const reserved = reservedSchemaReason(o.name);
    if (reserved !== null) throw new GrantRefusedError(`"${g.text}" is refused: ${reserved}`);
    const res = await admin.query(
      `SELECT c.relname AS name, ${FOREIGN_SUPERUSER_OWNER} AS foreign_owner
         FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
         JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database()
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          AND o.rolsuper AND c.relowner <> d.datdba AND o.rolname <> current_user
        ORDER BY c.relname LIMIT 3`,
      [o.name],
    );
    const first = res.rows[0] as { name: string; foreign_owner: string } | undefined;
    if (first) {
      throw new GrantRefusedError(
        `"${g.text}" is refused: schema ${shown(o.name)} holds ${res.rows.map((r: { name: string }) => shown(r.name)).join(', ')} owned by superuser ${shown(first.foreign_owner)}, which is neither the database owner nor the instance admin; grant on single tables instead`,
      );
    }
    return null;
  }
  const found = await resolveTable(admin, o);
  if (found === null) return null; // the GRANT itself says "relation ... does not exist"
  const reserved = reservedSchemaReason(found.schema);
  if (reserved !== null) {
    throw new GrantRefusedError(
      `"${g.text}" is refused: it is ${shown(found.schema)}.${shown(found.name)}, and ${reserved}`,
    );
  }
  if (found.foreignSuperuserOwner !== null) {
    throw new GrantRefusedError(
      `"${g.text}" is refused: ${shown(found.schema)}.${shown(found.name)} is owned by superuser ${shown(found.foreignSuperuserOwner)}, which is neither the database owner nor the instance admin`,
    );
  }
  return `${id(found.schema)}.${id(found.name)}`;
}

function tableName(o: Extract<GrantObject, { kind: 'table' }>): string {
  return o.schema === undefined ? id(o.name) : `${id(o.schema)}.${id(o.name)}`;
}

function privilegeList(g: Grant): string {
  return g.privileges === 'all' ? 'ALL PRIVILEGES' : g.privileges.map((p) => p.toUpperCase()).join(', ');
}

/** INSERT into a serial column calls nextval(): the user needs USAGE on the sequences the table owns. */
function needsSequences(g: Grant): boolean {
  return g.privileges === 'all' || g.privileges.includes('insert');
}

/** Sequences owned by the table's columns (serial / bigserial), as quoted, qualified names. */
async function ownedSequences(admin: AdminConnection, table: string): Promise<string[]> {
  const res = await admin.query(
    `SELECT d.objid::regclass::text AS seq
       FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
        AND d.refobjid = $1::regclass AND d.deptype = 'a' AND s.relkind = 'S'`,
    [table],
  );
  return res.rows.map((r: { seq: string }) => r.seq);
}

/** The statements that give (or, `revoke`, take back) one grant. */
async function statements(
  admin: AdminConnection,
  role: string,
  g: Grant,
  revoke: boolean,
  resolved: string | null = null,
): Promise<string[]> {
  const verb = (what: string, on: string) =>
    revoke ? `REVOKE ${what} ON ${on} FROM ${role}` : `GRANT ${what} ON ${on} TO ${role}`;
  const o = g.object;
  if (o.kind === 'schema') {
    return [
      verb('USAGE', `SCHEMA ${id(o.name)}`),
      verb(privilegeList(g), `ALL TABLES IN SCHEMA ${id(o.name)}`),
      ...(needsSequences(g) ? [verb('USAGE, SELECT', `ALL SEQUENCES IN SCHEMA ${id(o.name)}`)] : []),
    ];
  }
  const table = resolved ?? tableName(o);
  const sequences = needsSequences(g) ? await ownedSequences(admin, table) : [];
  return [
    ...(o.schema === undefined ? [] : [verb('USAGE', `SCHEMA ${id(o.schema)}`)]),
    verb(privilegeList(g), `TABLE ${table}`),
    ...sequences.map((s) => verb('USAGE, SELECT', `SEQUENCE ${s}`)),
  ];
}

/**
 * GRANT each of `grants` to the role, atomically (inside the caller's transaction when one is open, so a later
 * failure of the caller undoes them): all of them or none. Each is checked on the backend first (checkedTarget);
 * a refusal is a GrantRefusedError.
 */
export async function applyGrants(
  admin: AdminConnection,
  atomically: Atomically,
  username: string,
  grants: readonly Grant[],
): Promise<void> {
  await atomically(async () => {
    for (const g of grants) {
      const target = await checkedTarget(admin, g);
      for (const sql of await statements(admin, id(username), g, false, target)) await admin.query(sql);
    }
  });
}

/** REVOKE what applyGrants gave (objects dropped since are skipped), so the role can be dropped. */
export async function revokeGrants(
  admin: AdminConnection,
  atomically: Atomically,
  username: string,
  grants: readonly Grant[],
): Promise<void> {
  for (const g of grants) {
    try {
      await atomically(async () => {
        for (const sql of await statements(admin, id(username), g, true)) await admin.query(sql);
      });
    } catch (e) {
      // undefined_table / invalid_schema_name: the object is gone, and its privileges with it.
      if (!['42P01', '3F000'].includes((e as { code?: string }).code ?? '')) throw e;
    }
  }
}
