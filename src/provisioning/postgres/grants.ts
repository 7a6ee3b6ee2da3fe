// PostgreSQL GRANT / REVOKE for a user's `--grant`s (src/provisioning/grants.ts), safely quoted.
import pg from 'pg';
import type { Grant, GrantObject } from '../grants.js';
import type { AdminConnection } from './roles.js';

const id = pg.escapeIdentifier;

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
  const table = tableName(o);
  const sequences = needsSequences(g) ? await ownedSequences(admin, table) : [];
  return [
    ...(o.schema === undefined ? [] : [verb('USAGE', `SCHEMA ${id(o.schema)}`)]),
    verb(privilegeList(g), `TABLE ${table}`),
    ...sequences.map((s) => verb('USAGE, SELECT', `SEQUENCE ${s}`)),
  ];
}

/** GRANT each of `grants` to the role, in one backend transaction: all of them or none. */
export async function applyGrants(
  admin: AdminConnection,
  username: string,
  grants: readonly Grant[],
): Promise<void> {
  await inTransaction(admin, async () => {
    for (const g of grants) {
      for (const sql of await statements(admin, id(username), g, false)) await admin.query(sql);
    }
  });
}

/** REVOKE what applyGrants gave (objects dropped since are skipped), so the role can be dropped. */
export async function revokeGrants(
  admin: AdminConnection,
  username: string,
  grants: readonly Grant[],
): Promise<void> {
  for (const g of grants) {
    try {
      await inTransaction(admin, async () => {
        for (const sql of await statements(admin, id(username), g, true)) await admin.query(sql);
      });
    } catch (e) {
      // undefined_table / invalid_schema_name: the object is gone, and its privileges with it.
      if (!['42P01', '3F000'].includes((e as { code?: string }).code ?? '')) throw e;
    }
  }
}

async function inTransaction(admin: AdminConnection, fn: () => Promise<void>): Promise<void> {
  await admin.query('BEGIN');
  try {
    await fn();
    await admin.query('COMMIT');
  } catch (e) {
    await admin.query('ROLLBACK').catch(() => {});
    throw e;
  }
}
