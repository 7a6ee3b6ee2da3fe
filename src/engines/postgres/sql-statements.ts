// SQL text -> its statements, each with its pgaudit class, command tag and text with literals replaced, using
// PostgreSQL's own parser and lexer compiled to WebAssembly (libpg-query). Loaded on first use: an instance
// without statement events never loads it.
import { classifyStatement, type StatementKind } from './statement-class.js';

export interface ParsedStatement extends StatementKind {
  /** The statement's own text (one of several in a Query string), trimmed. */
  readonly text: string;
  /** The text with every literal replaced by `$n`; empty when the literals could not be told apart. */
  readonly redacted: string;
}

/** `ok` false: the text does not parse (as PostgreSQL 18 parses it). */
export type ParsedSql =
  | { readonly ok: true; readonly statements: readonly ParsedStatement[] }
  | { readonly ok: false };

export interface SqlParser {
  parse(text: string): ParsedSql;
}

/** What is used of libpg-query (its synchronous API, once the module is loaded). */
interface PgQuery {
  loadModule(): Promise<void>;
  parseSync(text: string): {
    stmts?: ReadonlyArray<{ stmt?: unknown; stmt_location?: number; stmt_len?: number }>;
  };
  scanSync(text: string): { tokens?: ReadonlyArray<{ start: number; end: number; tokenType: number }> };
}

/** The lexer's token numbers for literals and parameters, learnt from a probe (they change between versions). */
interface TokenTypes {
  readonly literals: ReadonlySet<number>;
  readonly param: number;
}

/** Texts this short are kept in a cache shared by every session (applications repeat their statements). */
const CACHED_TEXT_MAX = 8 * 1024;
const CACHE_ENTRIES = 512;

let loading: Promise<SqlParser> | null = null;

/** The parser, loaded once per process on first call; a failed load is retried by the next call. */
export function loadSqlParser(): Promise<SqlParser> {
  if (!loading) {
    const attempt = (async () => {
      const lib = (await import('libpg-query')) as unknown as PgQuery;
      await lib.loadModule();
      return createSqlParser(lib);
    })();
    attempt.catch(() => {
      if (loading === attempt) loading = null;
    });
    loading = attempt;
  }
  return loading;
}

function createSqlParser(lib: PgQuery): SqlParser {
  const tokens = probeTokenTypes(lib);
  const cache = new Map<string, ParsedSql>();
  const parseUncached = (text: string): ParsedSql => {
    let stmts: NonNullable<ReturnType<PgQuery['parseSync']>['stmts']>;
    try {
      stmts = lib.parseSync(text).stmts ?? [];
    } catch {
      return { ok: false };
    }
    const bytes = Buffer.from(text, 'utf8');
    const statements = stmts.map((raw): ParsedStatement => {
      // Locations are byte offsets; a length of 0 (omitted) runs to the end of the text.
      const start = raw.stmt_location ?? 0;
      const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
      const own = bytes.toString('utf8', start, end).trim();
      return { ...classifyStatement(raw.stmt), text: own, redacted: redact(lib, tokens, own) ?? '' };
    });
    return { ok: true, statements };
  };
  return {
    parse(text) {
      if (text.length > CACHED_TEXT_MAX) return parseUncached(text);
      const hit = cache.get(text);
      if (hit) {
        cache.delete(text); // most recently used last
        cache.set(text, hit);
        return hit;
      }
      const parsed = parseUncached(text);
      cache.set(text, parsed);
      if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
      return parsed;
    },
  };
}

/**
 * `text` with each literal token (string, number, bit string, dollar-quoted body) replaced by `$n`, numbered after
 * the highest parameter it already has; null when it cannot be scanned. PostgreSQL's lexer decides what a literal
 * is, so a quote inside a comment or an identifier cannot mislead it.
 */
function redact(lib: PgQuery, types: TokenTypes, text: string): string | null {
  let scanned: ReturnType<PgQuery['scanSync']>['tokens'];
  try {
    scanned = lib.scanSync(text).tokens ?? [];
  } catch {
    return null;
  }
  const bytes = Buffer.from(text, 'utf8');
  let next = 1;
  for (const t of scanned) {
    if (t.tokenType === types.param)
      next = Math.max(next, Number(bytes.toString('latin1', t.start + 1, t.end)) + 1);
  }
  const parts: Buffer[] = [];
  let at = 0;
  for (const t of scanned) {
    if (!types.literals.has(t.tokenType)) continue;
    parts.push(bytes.subarray(at, t.start), Buffer.from(`$${next++}`));
    at = t.end;
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The token numbers of ICONST, FCONST, SCONST, BCONST, XCONST, USCONST and PARAM, read off a probe statement
 * whose tokens are known, so a libpg-query built from another PostgreSQL version cannot silently leave literals
 * in place. Throws when the probe does not scan as expected.
 */
function probeTokenTypes(lib: PgQuery): TokenTypes {
  const probe = "SELECT 1, 1.5, 'a', B'1', X'1', U&'a', $1";
  const scanned = lib.scanSync(probe).tokens ?? [];
  const bytes = Buffer.from(probe, 'utf8');
  const typeOf = (literal: string) =>
    scanned.find((t) => bytes.toString('utf8', t.start, t.end) === literal)?.tokenType;
  const literals = ['1', '1.5', "'a'", "B'1'", "X'1'", "U&'a'"].map(typeOf);
  const param = typeOf('$1');
  if (
    param === undefined ||
    literals.some((t) => t === undefined) ||
    new Set(literals).size !== literals.length
  )
    throw new Error('libpg-query: unexpected tokens for literals; statement text cannot be redacted');
  const types: TokenTypes = { literals: new Set(literals as number[]), param };
  const check = redact(lib, types, "VALUES ('secret', 42, $tag$body$tag$, $1) -- 'comment'");
  if (check !== "VALUES ($2, $3, $4, $1) -- 'comment'")
    throw new Error(`libpg-query: redaction self-test failed (${String(check)})`);
  return types;
}
