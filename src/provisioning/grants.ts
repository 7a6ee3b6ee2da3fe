// The `--grant` grammar of database users: PRIVILEGES:OBJECT, parsed and validated once, engine-neutral.
//
//   grant      = privileges ":" object
//   privileges = "all" | privilege *("," privilege)      privilege: select insert update delete truncate references trigger
//   object     = "schema." ident                          every table the schema holds now (and USAGE on it)
//              | [ident "."] ident                         one table (schema-qualified or on the search path)
//   ident      = [A-Za-z_][A-Za-z0-9_$]*  (folded to lower case, as SQL does) | '"' ( any but '"' | '""' )+ '"'
//
// e.g. select:items, select,insert:items, all:schema.public, select:sales."Orders".
//
// Reserved schemas (RESERVED_SCHEMAS, any `pg_*`, compared case-insensitively) are refused, as a table's schema and
// as schema.NAME: the admin connection (a superuser on `gatehouse up`) would hand out the system catalogs
// (pg_authid's password hashes) or Gatehouse's own session identity (the `gatehouse` schema). An unqualified table
// is resolved on the backend before it is granted (src/provisioning/postgres/grants.ts), as it may resolve there.
//
// The canonical text (formatGrant) round-trips: parseGrant(formatGrant(g)) is g. A table in a schema called
// `schema` is written `"schema".name`, since schema.name means a whole schema.

/** Table privileges, in the order they are written back (canonical form). */
export const TABLE_PRIVILEGES = [
  'select',
  'insert',
  'update',
  'delete',
  'truncate',
  'references',
  'trigger',
] as const;
export type TablePrivilege = (typeof TABLE_PRIVILEGES)[number];

export type GrantObject =
  | { readonly kind: 'table'; readonly schema?: string; readonly name: string }
  | { readonly kind: 'schema'; readonly name: string };

export interface Grant {
  /** 'all' = ALL PRIVILEGES. */
  readonly privileges: 'all' | readonly TablePrivilege[];
  readonly object: GrantObject;
  /** The canonical text, as recorded and shown (e.g. `select,insert:items`). */
  readonly text: string;
}

/** At most this many grants per user and request. */
export const MAX_GRANTS = 32;

export class GrantSyntaxError extends Error {}

/**
 * A well-formed grant Gatehouse will not give: a reserved schema, or (found on the backend) an object that lives in
 * one or is owned by another superuser. Shown as GH_API_VALIDATION.
 */
export class GrantRefusedError extends GrantSyntaxError {}

/** Schemas no `--grant` may reach (besides every `pg_*`): the system catalogs and Gatehouse's own. */
export const RESERVED_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast', 'gatehouse'] as const;

/** Why grants on objects of this schema are refused, or null. Case-insensitive, as a conservative reading. */
export function reservedSchemaReason(schema: string): string | null {
  const lower = schema.toLowerCase();
  if ((RESERVED_SCHEMAS as readonly string[]).includes(lower) || lower.startsWith('pg_')) {
    return `schema ${quoteIfNeeded(schema)} is reserved (system catalogs and Gatehouse's own schema: ${RESERVED_SCHEMAS.join(', ')} and every pg_* schema); grant on the backend directly if you really mean it`;
  }
  return null;
}

const BARE = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Split `a.b` / `"x.y".z` at dots outside double quotes; each part a bare or quoted identifier. */
function identifiers(text: string, grant: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text[i] === '"') {
      let j = i + 1;
      let name = '';
      for (;;) {
        const close = text.indexOf('"', j);
        if (close === -1) throw new GrantSyntaxError(`unterminated quoted name in "${grant}"`);
        name += text.slice(j, close);
        if (text[close + 1] !== '"') {
          j = close + 1;
          break;
        }
        name += '"';
        j = close + 2;
      }
      if (name === '') throw new GrantSyntaxError(`empty quoted name in "${grant}"`);
      parts.push(name);
      i = j;
    } else {
      const dot = text.indexOf('.', i);
      const word = text.slice(i, dot === -1 ? text.length : dot);
      if (!BARE.test(word)) {
        throw new GrantSyntaxError(
          `"${word}" in "${grant}" is not a name: use letters, digits, _ and $ (not first), or "double quotes"`,
        );
      }
      parts.push(word.toLowerCase());
      i = dot === -1 ? text.length : dot;
    }
    if (i === text.length) break;
    if (text[i] !== '.') throw new GrantSyntaxError(`expected "." after a quoted name in "${grant}"`);
    i += 1;
  }
  for (const p of parts) {
    if (p.includes('\0')) throw new GrantSyntaxError(`a name in "${grant}" contains NUL`);
    if (Buffer.byteLength(p) > 63)
      throw new GrantSyntaxError(`names too long in "${grant}" (at most 63 bytes each)`);
  }
  return parts;
}

/** A name as the grammar writes it: bare when it reads back the same, else double-quoted. */
export function quoteIfNeeded(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/**
 * The canonical text of a grant, as recorded and shown; parseGrant reads it back to the same grant. A table's
 * schema named `schema` is always quoted: bare, `schema.NAME` would mean every table of schema NAME.
 */
export function formatGrant(privileges: Grant['privileges'], object: GrantObject): string {
  const privText = privileges === 'all' ? 'all' : privileges.join(',');
  let objText: string;
  if (object.kind === 'schema') objText = `schema.${quoteIfNeeded(object.name)}`;
  else if (object.schema === undefined) objText = quoteIfNeeded(object.name);
  else {
    const schema = object.schema === 'schema' ? '"schema"' : quoteIfNeeded(object.schema);
    objText = `${schema}.${quoteIfNeeded(object.name)}`;
  }
  return `${privText}:${objText}`;
}

function parsePrivileges(text: string, grant: string): 'all' | TablePrivilege[] {
  const words = text.split(',').map((w) => w.trim().toLowerCase());
  if (words.length === 1 && (words[0] === 'all' || words[0] === 'all privileges')) return 'all';
  const unknown = words.filter((w) => !(TABLE_PRIVILEGES as readonly string[]).includes(w));
  if (unknown.length > 0) {
    throw new GrantSyntaxError(
      `unknown privilege "${unknown[0]}" in "${grant}": use all, or one or more of ${TABLE_PRIVILEGES.join(', ')} separated by commas`,
    );
  }
  return TABLE_PRIVILEGES.filter((p) => words.includes(p));
}

/**
 * Parse one grant; throws GrantSyntaxError saying what is wrong and what the form is (GrantRefusedError for a
 * reserved schema, unless `allowReserved`: only for reading back what was recorded, to revoke it).
 */
export function parseGrant(text: string, options: { readonly allowReserved?: boolean } = {}): Grant {
  const colon = text.indexOf(':');
  if (colon === -1) {
    throw new GrantSyntaxError(
      `"${text}" is not a grant: write PRIVILEGES:OBJECT, e.g. select:items, select,insert:items or all:schema.public`,
    );
  }
  const privileges = parsePrivileges(text.slice(0, colon), text);
  const names = identifiers(text.slice(colon + 1).trim(), text);
  let object: GrantObject;
  if (
    names.length === 2 &&
    names[0] === 'schema' &&
    !text
      .slice(colon + 1)
      .trim()
      .startsWith('"')
  ) {
    object = { kind: 'schema', name: names[1] as string };
  } else if (names.length === 1) {
    object = { kind: 'table', name: names[0] as string };
  } else if (names.length === 2) {
    object = { kind: 'table', schema: names[0] as string, name: names[1] as string };
  } else {
    throw new GrantSyntaxError(
      `"${text}" names ${names.length} parts: use TABLE, SCHEMA.TABLE or schema.NAME`,
    );
  }
  const schema = object.kind === 'schema' ? object.name : object.schema;
  const reserved = schema === undefined || options.allowReserved ? null : reservedSchemaReason(schema);
  if (reserved !== null) throw new GrantRefusedError(`"${text}" is refused: ${reserved}`);
  return { privileges, object, text: formatGrant(privileges, object) };
}

/** Parse a user's grants (deduplicated by canonical text, which is unambiguous); throws GrantSyntaxError. */
export function parseGrants(
  texts: readonly string[],
  options: { readonly allowReserved?: boolean } = {},
): Grant[] {
  if (texts.length > MAX_GRANTS) throw new GrantSyntaxError(`at most ${MAX_GRANTS} grants per user`);
  const byText = new Map<string, Grant>();
  for (const t of texts) {
    const g = parseGrant(t, options);
    byText.set(g.text, g);
  }
  return [...byText.values()];
}
