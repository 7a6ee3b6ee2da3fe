// Statement classification in pgaudit's classes, command tags and literal redaction, with the real parser
// (libpg-query: PostgreSQL's own grammar and lexer): what a db.statement event says about a statement's text; and
// the AuditStatements setting's names.
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeStatementClasses } from '../../../src/control-plane/instances.js';
import { isGatehouseError } from '../../../src/core/errors.js';
import type { StatementClass } from '../../../src/core/types.js';
import {
  loadSqlParser,
  type ParsedStatement,
  type SqlParser,
} from '../../../src/engines/postgres/sql-statements.js';

let parser: SqlParser;
beforeAll(async () => {
  parser = await loadSqlParser();
});

function only(sql: string): ParsedStatement {
  const parsed = parser.parse(sql);
  if (!parsed.ok) throw new Error(`does not parse: ${sql}`);
  expect(parsed.statements).toHaveLength(1);
  return parsed.statements[0] as ParsedStatement;
}

describe('pgaudit classes (GetCommandLogLevel + pgaudit.c log_audit_event)', () => {
  const cases: ReadonlyArray<readonly [string, StatementClass, string]> = [
    // READ: SELECT, COPY TO, DECLARE CURSOR, PREPARE of a read; locking does not make a SELECT a write.
    ['SELECT * FROM items WHERE id = 1', 'READ', 'SELECT'],
    ['SELECT * FROM items FOR UPDATE', 'READ', 'SELECT'],
    ['VALUES (1), (2)', 'READ', 'SELECT'],
    ['COPY items TO STDOUT', 'READ', 'COPY'],
    ['COPY (SELECT 1) TO STDOUT', 'READ', 'COPY'],
    ['DECLARE c CURSOR FOR SELECT 1', 'READ', 'DECLARE CURSOR'],
    ['PREPARE q AS SELECT $1', 'READ', 'PREPARE'],
    // WRITE: INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY FROM, and reads that write.
    ["INSERT INTO items VALUES (2, 'x')", 'WRITE', 'INSERT'],
    ['UPDATE items SET name = name', 'WRITE', 'UPDATE'],
    ['DELETE FROM items', 'WRITE', 'DELETE'],
    ['MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE', 'WRITE', 'MERGE'],
    ['TRUNCATE items', 'WRITE', 'TRUNCATE TABLE'],
    ['COPY items FROM STDIN', 'WRITE', 'COPY'],
    ['PREPARE w AS INSERT INTO items VALUES ($1)', 'WRITE', 'PREPARE'],
    ['WITH gone AS (DELETE FROM items RETURNING *) SELECT * FROM gone', 'WRITE', 'SELECT'],
    ['COPY (DELETE FROM items RETURNING *) TO STDOUT', 'WRITE', 'COPY'],
    ['EXPLAIN ANALYZE INSERT INTO items VALUES (3)', 'WRITE', 'EXPLAIN'],
    ['EXPLAIN (ANALYZE true) UPDATE items SET id = id', 'WRITE', 'EXPLAIN'],
    // FUNCTION: DO blocks, and CALL (pgaudit logs the procedure's execution as FUNCTION).
    ['DO $$ BEGIN PERFORM 1; END $$', 'FUNCTION', 'DO'],
    ['CALL my_procedure(1)', 'FUNCTION', 'CALL'],
    // ROLE: roles and privileges.
    ['GRANT SELECT ON items TO bob', 'ROLE', 'GRANT'],
    ['REVOKE ALL ON items FROM bob', 'ROLE', 'REVOKE'],
    ['GRANT reporting TO bob', 'ROLE', 'GRANT ROLE'],
    ["CREATE ROLE r LOGIN PASSWORD 'x'", 'ROLE', 'CREATE ROLE'],
    ['CREATE USER u', 'ROLE', 'CREATE ROLE'],
    ['CREATE GROUP g', 'ROLE', 'CREATE ROLE'],
    ['ALTER ROLE r NOLOGIN', 'ROLE', 'ALTER ROLE'],
    ["ALTER ROLE r SET search_path = 'x'", 'ROLE', 'ALTER ROLE'],
    ['ALTER ROLE r RENAME TO s', 'ROLE', 'ALTER ROLE'],
    ['DROP ROLE r', 'ROLE', 'DROP ROLE'],
    ['ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO bob', 'ROLE', 'ALTER DEFAULT PRIVILEGES'],
    ["CREATE USER MAPPING FOR bob SERVER s OPTIONS (password 'x')", 'ROLE', 'CREATE USER MAPPING'],
    // DDL: everything else that changes the schema, SELECT INTO and CREATE TABLE AS included.
    ['CREATE TABLE t (a int)', 'DDL', 'CREATE TABLE'],
    ['CREATE TABLE t2 AS SELECT 1', 'DDL', 'CREATE TABLE AS'],
    ['SELECT 1 INTO t3', 'DDL', 'SELECT INTO'],
    ['ALTER TABLE t ADD COLUMN b int', 'DDL', 'ALTER TABLE'],
    ['ALTER TABLE t RENAME TO u', 'DDL', 'ALTER TABLE'],
    ['DROP TABLE t', 'DDL', 'DROP TABLE'],
    ['DROP MATERIALIZED VIEW m', 'DDL', 'DROP MATERIALIZED VIEW'],
    ['CREATE INDEX ON t (a)', 'DDL', 'CREATE INDEX'],
    ['CREATE VIEW v AS SELECT 1', 'DDL', 'CREATE VIEW'],
    ['CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', 'DDL', 'CREATE FUNCTION'],
    ['CREATE SCHEMA s', 'DDL', 'CREATE SCHEMA'],
    ['CREATE EXTENSION pgcrypto', 'DDL', 'CREATE EXTENSION'],
    ["COMMENT ON TABLE t IS 'x'", 'DDL', 'COMMENT'],
    ['CLUSTER t', 'DDL', 'CLUSTER'],
    ["ALTER SYSTEM SET work_mem = '64MB'", 'DDL', 'ALTER SYSTEM'],
    ['REFRESH MATERIALIZED VIEW m', 'DDL', 'REFRESH MATERIALIZED VIEW'],
    // MISC: session and maintenance commands.
    ["SET search_path = 'app'", 'MISC', 'SET'],
    ['RESET ALL', 'MISC', 'RESET'],
    ['SHOW work_mem', 'MISC', 'SHOW'],
    ['BEGIN', 'MISC', 'BEGIN'],
    ['COMMIT', 'MISC', 'COMMIT'],
    ['ROLLBACK TO SAVEPOINT s', 'MISC', 'ROLLBACK'],
    ['DISCARD ALL', 'MISC', 'DISCARD ALL'],
    ['FETCH 10 FROM c', 'MISC', 'FETCH'],
    ['MOVE 1 IN c', 'MISC', 'MOVE'],
    ['CLOSE c', 'MISC', 'CLOSE CURSOR'],
    ['CHECKPOINT', 'MISC', 'CHECKPOINT'],
    ['VACUUM', 'MISC', 'VACUUM'],
    ['ANALYZE items', 'MISC', 'ANALYZE'],
    ['LISTEN channel', 'MISC', 'LISTEN'],
    ["NOTIFY channel, 'x'", 'MISC', 'NOTIFY'],
    ['LOCK TABLE items', 'MISC', 'LOCK TABLE'],
    ['REINDEX TABLE items', 'MISC', 'REINDEX'],
    ['EXPLAIN SELECT 1', 'MISC', 'EXPLAIN'],
    ['EXECUTE q(1)', 'MISC', 'EXECUTE'],
    ['DEALLOCATE q', 'MISC', 'DEALLOCATE'],
  ];
  it.each(cases)('%s -> %s (%s)', (sql, cls, command) => {
    const st = only(sql);
    expect({ class: st.class, command: st.command }).toEqual({ class: cls, command });
  });

  it('PREPARE, EXECUTE and DEALLOCATE say what the observer needs to give EXECUTE its statement’s class', () => {
    expect(only('PREPARE w AS DELETE FROM items').prepares).toEqual({ name: 'w', class: 'WRITE' });
    expect(only('EXECUTE w').executes).toBe('w');
    expect(only('DEALLOCATE w').deallocates).toBe('w');
    expect(only('DEALLOCATE ALL').deallocates).toBeNull();
    expect(only('DISCARD ALL').deallocates).toBeNull();
  });
});

describe('statement text', () => {
  it('cuts a Query string into its statements at their byte offsets (multi-byte text included; a comment before a statement is not part of it)', () => {
    const parsed = parser.parse("SELECT 'é' ; /* one */ SELECT 'ü', 2 /* two */;\n-- end");
    expect(parsed.ok && parsed.statements.map((s) => [s.text, s.redacted])).toEqual([
      ["SELECT 'é'", 'SELECT $1'],
      ["SELECT 'ü', 2 /* two */", 'SELECT $1, $2 /* two */'],
    ]);
  });

  it.each([
    [
      "SELECT * FROM items WHERE name = 'alice' AND id > 42",
      'SELECT * FROM items WHERE name = $1 AND id > $2',
    ],
    ['SELECT $1, 5', 'SELECT $1, $2'],
    [
      "INSERT INTO t VALUES (1.5e3, B'101', X'ff', E'a\\nb', U&'d\\0061t')",
      'INSERT INTO t VALUES ($1, $2, $3, $4, $5)',
    ],
    ['DO $$ BEGIN PERFORM 1; END $$', 'DO $1'],
    // Utility statements whose literals libpg-query's normalize() leaves alone are redacted too.
    ["EXECUTE q(1, 'secret')", 'EXECUTE q($1, $2)'],
    ["PREPARE q AS SELECT 'secret'", 'PREPARE q AS SELECT $1'],
    [
      "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (password 'secret')",
      'CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (password $1)',
    ],
    ["COPY items FROM '/etc/secret'", 'COPY items FROM $1'],
    ["COMMENT ON TABLE t IS 'secret'", 'COMMENT ON TABLE t IS $1'],
    ['CREATE TABLE t (a varchar(10))', 'CREATE TABLE t (a varchar($1))'],
    // Quotes in comments and identifiers are not literals.
    [`SELECT "it's" FROM t -- don't`, `SELECT "it's" FROM t -- don't`],
  ])('redacts every literal: %s', (sql, redacted) => {
    expect(only(sql).redacted).toBe(redacted);
  });

  it('marks statements that may carry a secret, whose literals are replaced whatever the instance says', () => {
    for (const sql of [
      "ALTER ROLE bob PASSWORD 'x'",
      "CREATE ROLE bob PASSWORD 'x'",
      "ALTER USER MAPPING FOR bob SERVER s OPTIONS (SET password 'x')",
      "CREATE SUBSCRIPTION s CONNECTION 'password=x' PUBLICATION p",
      "ALTER SERVER s OPTIONS (SET password 'x')",
    ]) {
      expect(only(sql).secret, sql).toBe(true);
    }
    expect(only("SELECT 'x'").secret).toBe(false);
  });

  it('a text that does not parse is not ok; an empty one has no statements', () => {
    expect(parser.parse('SELEC 1').ok).toBe(false);
    expect(parser.parse("SELECT 'unterminated").ok).toBe(false);
    expect(parser.parse('  ;  ')).toEqual({ ok: true, statements: [] });
  });
});

describe('the AuditStatements setting', () => {
  it('takes pgaudit.log names in any case, de-duplicated, in pgaudit order; ALL stands alone; NONE adds nothing', () => {
    expect(normalizeStatementClasses(['write', ' Read ', 'WRITE', 'none'])).toEqual(['READ', 'WRITE']);
    expect(normalizeStatementClasses(['misc', 'all'])).toEqual(['ALL']);
    expect(normalizeStatementClasses([])).toEqual([]);
    expect(normalizeStatementClasses(['NONE'])).toEqual([]);
  });

  it('refuses a name that is not a class, naming it and the classes', () => {
    let error: unknown;
    try {
      normalizeStatementClasses(['READ', 'SELECT']);
    } catch (e) {
      error = e;
    }
    expect(isGatehouseError(error) ? error.code : error).toBe('GH_API_VALIDATION');
    expect(String((error as Error).message)).toContain('"SELECT" is not a statement class');
  });
});
