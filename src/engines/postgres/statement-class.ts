// pgaudit's statement classes for one parsed statement (libpg-query's JSON parse tree), and its command tag.
//
// pgaudit (pgaudit.c, log_audit_event) classifies a statement by PostgreSQL's own log level for it
// (GetCommandLogLevel in src/backend/tcop/utility.c: log_statement's `mod`, `ddl`, `all`) and then its node:
//   - LOGSTMT_MOD -> WRITE (INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY FROM), except EXECUTE -> MISC;
//   - LOGSTMT_DDL -> DDL, except ROLE for CREATE/ALTER/DROP ROLE, GRANT/REVOKE (objects and roles), ALTER ROLE
//     SET, ALTER DEFAULT PRIVILEGES, CREATE/ALTER USER MAPPING and ALTER ... RENAME of a role;
//   - LOGSTMT_ALL -> READ for SELECT, COPY TO, DECLARE CURSOR and PREPARE; FUNCTION for DO; MISC otherwise
//     (SET is MISC_SET, which pgaudit's MISC includes).
// pgaudit's documented classes (https://github.com/pgaudit/pgaudit, "pgaudit.log"): READ "SELECT and COPY when the
// source is a relation or a query", WRITE "INSERT, UPDATE, DELETE, TRUNCATE, and COPY when the destination is a
// relation", FUNCTION "function calls and DO blocks", ROLE "statements related to roles and privileges", DDL "all
// DDL that is not included in the ROLE class", MISC "miscellaneous commands, e.g. DISCARD, FETCH, CHECKPOINT,
// VACUUM, SET".
//
// pgaudit also logs, from executor hooks, what a statement runs (a function's body, a prepared statement's
// execution): one statement can give it several lines. Gatehouse sees the statement only, so it gives one class
// per statement and picks the one that says what the statement does (docs/decisions.md, decision 52):
//   - CALL is FUNCTION (pgaudit: MISC, plus a FUNCTION line for the procedure it runs);
//   - a READ statement that writes (a data-modifying WITH, `COPY (DELETE … RETURNING …) TO`) is WRITE;
//   - EXPLAIN ANALYZE runs its statement: that statement's class (plain EXPLAIN is MISC);
//   - EXECUTE of an SQL-level prepared statement takes the prepared statement's class when known (the observer
//     resolves it), else MISC;
//   - a function called from a SELECT stays READ (which names are functions is in the catalog, not the text).
import type { StatementClass } from '../../core/types.js';

/** A parse-tree node as libpg-query's JSON gives it: `{ NodeType: { …fields } }`. */
export type PgNode = Readonly<Record<string, unknown>>;

export interface StatementKind {
  readonly class: StatementClass;
  /** PostgreSQL's command tag for it (`CREATE TABLE`), used when the backend did not send one (errors). */
  readonly command: string;
  /** Its text may hold a secret whatever the literals setting (role passwords, connection strings, options). */
  readonly secret: boolean;
  /** PREPARE name AS …: the name, and the class its EXECUTE takes. */
  readonly prepares?: { readonly name: string; readonly class: StatementClass };
  /** EXECUTE name. */
  readonly executes?: string;
  /** DEALLOCATE name (null: ALL) or DISCARD ALL: prepared statements forgotten. */
  readonly deallocates?: string | null;
}

/** The node's type and fields: `{ SelectStmt: {…} }` -> ['SelectStmt', {…}]. */
export function nodeOf(node: unknown): [string, PgNode] {
  if (node === null || typeof node !== 'object') return ['', {}];
  const [type, fields] = Object.entries(node as PgNode)[0] ?? ['', {}];
  return [type, (fields ?? {}) as PgNode];
}

/** Statements whose log level is `mod` (utility.c GetCommandLogLevel). */
const MOD = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'TruncateStmt']);

/** Statements whose log level is `all` and that pgaudit files as MISC. */
const MISC = new Set([
  'TransactionStmt',
  'ClosePortalStmt',
  'FetchStmt',
  'DeallocateStmt',
  'NotifyStmt',
  'ListenStmt',
  'UnlistenStmt',
  'LoadStmt',
  'VacuumStmt',
  'VariableSetStmt',
  'VariableShowStmt',
  'DiscardStmt',
  'LockStmt',
  'ConstraintsSetStmt',
  'CheckPointStmt',
  'ReindexStmt',
  'ExecuteStmt',
  'ExplainStmt',
]);

/** DDL-level statements pgaudit files as ROLE. */
const ROLE = new Set([
  'CreateRoleStmt',
  'AlterRoleStmt',
  'DropRoleStmt',
  'AlterRoleSetStmt',
  'GrantStmt',
  'GrantRoleStmt',
  'AlterDefaultPrivilegesStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
]);

/** Statements whose text may carry a secret in a literal: always recorded with literals replaced. */
const SECRET = new Set([
  'CreateRoleStmt',
  'AlterRoleStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
  'CreateForeignServerStmt',
  'AlterForeignServerStmt',
  'CreateSubscriptionStmt',
  'AlterSubscriptionStmt',
]);

/** Nodes that write rows wherever they appear in a statement. */
const WRITES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** The class and command tag of one raw statement (the `stmt` of a libpg-query RawStmt). */
export function classifyStatement(stmt: unknown): StatementKind {
  const [type, n] = nodeOf(stmt);
  const base = { command: commandOf(type, n), secret: SECRET.has(type) };
  switch (type) {
    case 'SelectStmt':
      if (n['intoClause']) return { ...base, class: 'DDL' }; // SELECT INTO creates a table
      return { ...base, class: writes(n) ? 'WRITE' : 'READ' };
    case 'CopyStmt':
      if (n['is_from']) return { ...base, class: 'WRITE' };
      return { ...base, class: writes(n['query']) ? 'WRITE' : 'READ' };
    case 'DeclareCursorStmt':
      return { ...base, class: 'READ' };
    case 'DoStmt':
    case 'CallStmt':
      return { ...base, class: 'FUNCTION' };
    case 'PrepareStmt': {
      const inner = classifyStatement(n['query']);
      const name = String(n['name'] ?? '');
      return { ...base, class: inner.class, prepares: { name, class: inner.class } };
    }
    case 'ExecuteStmt':
      return { ...base, class: 'MISC', executes: String(n['name'] ?? '') };
    case 'DeallocateStmt':
      return { ...base, class: 'MISC', deallocates: n['isall'] ? null : String(n['name'] ?? '') };
    case 'DiscardStmt':
      return n['target'] === 'DISCARD_ALL' || n['target'] === 'DISCARD_PLANS'
        ? { ...base, class: 'MISC', deallocates: null }
        : { ...base, class: 'MISC' };
    case 'ExplainStmt':
      return analyzes(n)
        ? { ...classifyStatement(n['query']), command: base.command }
        : { ...base, class: 'MISC' };
    case 'RenameStmt':
      return { ...base, class: n['renameType'] === 'OBJECT_ROLE' ? 'ROLE' : 'DDL' };
    case '':
      return { ...base, class: 'MISC' };
  }
  if (MOD.has(type)) return { ...base, class: 'WRITE' };
  if (MISC.has(type)) return { ...base, class: 'MISC' };
  if (ROLE.has(type)) return { ...base, class: 'ROLE' };
  return { ...base, class: 'DDL' }; // every other statement is DDL-level (CREATE, ALTER, DROP, COMMENT, …)
}

/** Whether an INSERT, UPDATE, DELETE or MERGE appears anywhere in the tree (a data-modifying WITH, COPY (…)). */
function writes(tree: unknown): boolean {
  if (tree === null || typeof tree !== 'object') return false;
  if (Array.isArray(tree)) return tree.some(writes);
  for (const [key, value] of Object.entries(tree as PgNode)) {
    if (WRITES.has(key)) return true;
    if (writes(value)) return true;
  }
  return false;
}

/** EXPLAIN with ANALYZE on: it runs the statement (defGetBoolean: no value, true/on/1 mean on). */
function analyzes(n: PgNode): boolean {
  let on = false;
  for (const option of (n['options'] as unknown[] | undefined) ?? []) {
    const [, def] = nodeOf(option);
    if (String(def['defname']).toLowerCase() !== 'analyze') continue;
    on = booleanOption(def['arg']); // the last one wins, as in explain.c
  }
  return on;
}

function booleanOption(arg: unknown): boolean {
  if (arg === undefined) return true;
  const [type, v] = nodeOf(arg);
  if (type === 'Boolean') return v['boolval'] === true;
  if (type === 'Integer') return (v['ival'] ?? 0) !== 0;
  if (type === 'String') return ['true', 'on', '1', 'yes'].includes(String(v['sval']).toLowerCase());
  return true;
}

/** libpg-query's ObjectType (`OBJECT_MATVIEW`) as SQL words (`MATERIALIZED VIEW`). */
function objectWords(objectType: unknown): string {
  const name = String(objectType ?? '').replace(/^OBJECT_/, '');
  return OBJECT_WORDS[name] ?? name.replaceAll('_', ' ');
}

const OBJECT_WORDS: Readonly<Record<string, string>> = {
  MATVIEW: 'MATERIALIZED VIEW',
  TSCONFIGURATION: 'TEXT SEARCH CONFIGURATION',
  TSDICTIONARY: 'TEXT SEARCH DICTIONARY',
  TSPARSER: 'TEXT SEARCH PARSER',
  TSTEMPLATE: 'TEXT SEARCH TEMPLATE',
  FDW: 'FOREIGN DATA WRAPPER',
  FOREIGN_SERVER: 'SERVER',
  OPCLASS: 'OPERATOR CLASS',
  OPFAMILY: 'OPERATOR FAMILY',
  LARGEOBJECT: 'LARGE OBJECT',
  ACCESS_METHOD: 'ACCESS METHOD',
  STATISTIC_EXT: 'STATISTICS',
  EVENT_TRIGGER: 'EVENT TRIGGER',
  USER_MAPPING: 'USER MAPPING',
  DEFACL: 'DEFAULT PRIVILEGES',
  DEFAULT: 'DEFAULT',
  TABCONSTRAINT: 'CONSTRAINT',
};

const TRANSACTION_TAGS: Readonly<Record<string, string>> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

/** Tags that are not the node's name in words (utility.c CreateCommandTag). */
const TAGS: Readonly<Record<string, string>> = {
  CreateStmt: 'CREATE TABLE',
  ViewStmt: 'CREATE VIEW',
  IndexStmt: 'CREATE INDEX',
  CreateSeqStmt: 'CREATE SEQUENCE',
  AlterSeqStmt: 'ALTER SEQUENCE',
  CreatedbStmt: 'CREATE DATABASE',
  DropdbStmt: 'DROP DATABASE',
  AlterDatabaseSetStmt: 'ALTER DATABASE',
  CreateRoleStmt: 'CREATE ROLE',
  AlterRoleStmt: 'ALTER ROLE',
  AlterRoleSetStmt: 'ALTER ROLE',
  DropRoleStmt: 'DROP ROLE',
  GrantRoleStmt: 'GRANT ROLE',
  CreateTrigStmt: 'CREATE TRIGGER',
  CreateEventTrigStmt: 'CREATE EVENT TRIGGER',
  AlterEventTrigStmt: 'ALTER EVENT TRIGGER',
  CreatePLangStmt: 'CREATE LANGUAGE',
  CreateForeignServerStmt: 'CREATE SERVER',
  AlterForeignServerStmt: 'ALTER SERVER',
  CreateFdwStmt: 'CREATE FOREIGN DATA WRAPPER',
  AlterFdwStmt: 'ALTER FOREIGN DATA WRAPPER',
  CreateOpClassStmt: 'CREATE OPERATOR CLASS',
  CreateOpFamilyStmt: 'CREATE OPERATOR FAMILY',
  AlterOpFamilyStmt: 'ALTER OPERATOR FAMILY',
  CreateStatsStmt: 'CREATE STATISTICS',
  AlterStatsStmt: 'ALTER STATISTICS',
  CreateAmStmt: 'CREATE ACCESS METHOD',
  CompositeTypeStmt: 'CREATE TYPE',
  CreateEnumStmt: 'CREATE TYPE',
  CreateRangeStmt: 'CREATE TYPE',
  AlterEnumStmt: 'ALTER TYPE',
  RuleStmt: 'CREATE RULE',
  CreateCastStmt: 'CREATE CAST',
  CreateConversionStmt: 'CREATE CONVERSION',
  CreateTransformStmt: 'CREATE TRANSFORM',
  CreateTableSpaceStmt: 'CREATE TABLESPACE',
  DropTableSpaceStmt: 'DROP TABLESPACE',
  AlterTableSpaceOptionsStmt: 'ALTER TABLESPACE',
  AlterTSDictionaryStmt: 'ALTER TEXT SEARCH DICTIONARY',
  AlterTSConfigurationStmt: 'ALTER TEXT SEARCH CONFIGURATION',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  AlterSystemStmt: 'ALTER SYSTEM',
  CheckPointStmt: 'CHECKPOINT',
  AlterExtensionContentsStmt: 'ALTER EXTENSION',
  AlterTableMoveAllStmt: 'ALTER TABLE',
  TruncateStmt: 'TRUNCATE TABLE',
  DeclareCursorStmt: 'DECLARE CURSOR',
  ClosePortalStmt: 'CLOSE CURSOR',
  LockStmt: 'LOCK TABLE',
  ConstraintsSetStmt: 'SET CONSTRAINTS',
  VariableShowStmt: 'SHOW',
  CommentStmt: 'COMMENT',
  SecLabelStmt: 'SECURITY LABEL',
  ImportForeignSchemaStmt: 'IMPORT FOREIGN SCHEMA',
  ReassignOwnedStmt: 'REASSIGN OWNED',
  DropOwnedStmt: 'DROP OWNED',
  AlterDefaultPrivilegesStmt: 'ALTER DEFAULT PRIVILEGES',
  CreateUserMappingStmt: 'CREATE USER MAPPING',
  AlterUserMappingStmt: 'ALTER USER MAPPING',
  DropUserMappingStmt: 'DROP USER MAPPING',
  CreatePolicyStmt: 'CREATE POLICY',
  AlterPolicyStmt: 'ALTER POLICY',
};

/** PostgreSQL's command tag for a statement (CreateCommandTag), near enough where the node alone does not say. */
export function commandOf(type: string, n: PgNode): string {
  const fixed = TAGS[type];
  if (fixed) return fixed;
  switch (type) {
    case '':
      return 'UNKNOWN';
    case 'SelectStmt':
      return n['intoClause'] ? 'SELECT INTO' : 'SELECT';
    case 'CreateTableAsStmt':
      return n['objtype'] === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE AS';
    case 'CreateFunctionStmt':
      return n['is_procedure'] ? 'CREATE PROCEDURE' : 'CREATE FUNCTION';
    case 'AlterTableStmt':
      return `ALTER ${objectWords(n['objtype'])}`;
    case 'DropStmt':
      return `DROP ${objectWords(n['removeType'])}`;
    case 'RenameStmt':
    case 'AlterObjectSchemaStmt':
    case 'AlterOwnerStmt':
      return `ALTER ${objectWords(n['renameType'] ?? n['objectType'])}`;
    case 'DefineStmt':
      return `CREATE ${objectWords(n['kind'])}`;
    case 'GrantStmt':
      return n['is_grant'] ? 'GRANT' : 'REVOKE';
    case 'TransactionStmt':
      return TRANSACTION_TAGS[String(n['kind'])] ?? 'BEGIN';
    case 'VariableSetStmt':
      return String(n['kind']).startsWith('VAR_RESET') ? 'RESET' : 'SET';
    case 'FetchStmt':
      return n['ismove'] ? 'MOVE' : 'FETCH';
    case 'VacuumStmt':
      return n['is_vacuumcmd'] ? 'VACUUM' : 'ANALYZE';
    case 'DeallocateStmt':
      return n['isall'] ? 'DEALLOCATE ALL' : 'DEALLOCATE';
    case 'DiscardStmt':
      return `DISCARD ${String(n['target'] ?? '').replace(/^DISCARD_/, '')}`;
    case 'ExplainStmt':
      return 'EXPLAIN';
  }
  // InsertStmt -> INSERT, CreateSchemaStmt -> CREATE SCHEMA, CheckPointStmt -> CHECKPOINT, CallStmt -> CALL, …
  const words = type.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2');
  return words.toUpperCase();
}
