// Statement events for an instance that opts in (AuditStatements): taps beside the relay's pipes read both
// streams, the follower matches requests to answers, and each executed statement of the configured pgaudit
// classes becomes one `db.statement` audit event (docs/audit.md "Statement events"). Parsing and classifying
// run after the bytes were forwarded (setImmediate), never in the relay's path; a fault here stops the
// observing, never the session.
import type { Socket } from 'node:net';
import type { AuditSink, StatementEvent } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { StatementClass } from '../../core/types.js';
import type { StatementAuditSettings } from '../common/instance.js';
import { loadSqlParser, type ParsedSql, type ParsedStatement, type SqlParser } from './sql-statements.js';
import {
  type GapReason,
  type SqlSource,
  type StatementCompletion,
  StatementFollower,
} from './statement-follower.js';

/** Who and where, as every event of the session says it. */
export type StatementSession = Pick<
  StatementEvent,
  'requestId' | 'instance' | 'dbUser' | 'database' | 'principalArn' | 'source'
>;

export interface StatementAuditOptions {
  readonly settings: StatementAuditSettings;
  readonly session: StatementSession;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The SQL parser (default: libpg-query, loaded on first use). */
  readonly parser?: () => Promise<SqlParser>;
  /** Follower limits (tests make them small). */
  readonly limits?: { readonly maxPending?: number; readonly maxNames?: number };
}

/** SQL-level prepared statements remembered for EXECUTE's class (the oldest forgotten first). */
const MAX_SQL_PREPARED = 1000;

type Item =
  | { readonly kind: 'statement'; readonly completion: StatementCompletion; readonly at: Date }
  | { readonly kind: 'gap'; readonly reason: GapReason | 'observer-error'; readonly at: Date };

/** What one event says about its statement (the rest comes from the completion and the session). */
interface Described {
  readonly class: StatementClass;
  readonly command?: string;
  readonly statement: string;
  readonly parseError?: true;
  readonly statementUnknown?: true;
}

/**
 * Start observing a session that is relaying: `client` and `backend` are the relayed sockets (the relay's pipes
 * already attached, so these taps run after each chunk was forwarded); `earlier` are bytes that went through
 * before the taps (the welcome's leftovers and the client's pipelined requests).
 */
export function observeStatements(
  client: Socket,
  backend: Socket,
  o: StatementAuditOptions,
  earlier: { readonly fromBackend: Buffer; readonly fromClient: Buffer },
): void {
  const classes = new Set(o.settings.classes);
  const items: Item[] = [];
  const parsedBySource = new WeakMap<SqlSource, ParsedSql>();
  const sqlPrepared = new Map<string, StatementClass>();
  let parser: SqlParser | null = null;
  let index = 0;
  let scheduled = false;
  let stopped = false;

  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(() => void drain());
  };
  const push = (item: Item) => {
    items.push(item);
    schedule();
  };
  const follower = new StatementFollower({
    digest: o.settings.resultDigest,
    now: () => performance.now(),
    onStatement: (completion) => push({ kind: 'statement', completion, at: o.clock.now() }),
    onGap: (reason) => push({ kind: 'gap', reason, at: o.clock.now() }),
    ...(o.limits?.maxPending !== undefined ? { maxPending: o.limits.maxPending } : {}),
    ...(o.limits?.maxNames !== undefined ? { maxNames: o.limits.maxNames } : {}),
  });

  const stop = (error: unknown) => {
    if (stopped) return;
    stopped = true;
    client.off('data', onClient);
    backend.off('data', onBackend);
    backend.off('close', onClose);
    items.length = 0;
    o.logger.warn({ err: error }, 'statement events stopped for this session: the observer failed');
    emit(gapEvent('observer-error', o.clock.now()));
  };
  const guarded = (step: () => void) => {
    if (stopped) return;
    try {
      step();
    } catch (error) {
      stop(error);
    }
  };
  const onClient = (chunk: Buffer) => guarded(() => follower.fromClient(chunk));
  const onBackend = (chunk: Buffer) => guarded(() => follower.fromBackend(chunk));
  const onClose = () => guarded(() => follower.end());

  async function drain(): Promise<void> {
    try {
      parser ??= await (o.parser ?? loadSqlParser)();
      while (items.length > 0 && !stopped) {
        for (const item of items.splice(0)) {
          if (item.kind === 'gap') emit(gapEvent(item.reason, item.at));
          else describe(item.completion, item.at);
        }
      }
    } catch (error) {
      stop(error);
    } finally {
      scheduled = false;
      if (items.length > 0) schedule();
    }
  }

  /** One completion -> one event per statement it stands for (several for a Query cut short by the end). */
  function describe(c: StatementCompletion, at: Date): void {
    const origin = c.origin;
    if (origin.kind === 'fastpath') {
      record(c, at, { class: 'FUNCTION', command: 'FUNCTION CALL', statement: `function OID ${origin.oid}` });
      return;
    }
    const source = origin.source;
    if (source === null) {
      record(c, at, { class: 'MISC', statement: '', statementUnknown: true });
      return;
    }
    const parsed = parsedOf(source);
    if (!parsed.ok) {
      record(c, at, { class: 'MISC', statement: '', parseError: true });
      return;
    }
    const from = origin.kind === 'query' ? origin.index : 0;
    const to = origin.kind === 'query' && origin.through ? parsed.statements.length - 1 : from;
    if (from >= parsed.statements.length) {
      // More completions than statements found: the backend parses this text differently. (None found: an empty
      // text, which ran nothing.)
      const through = origin.kind === 'query' && origin.through;
      if (parsed.statements.length > 0 && !through)
        record(c, at, { class: 'MISC', statement: '', parseError: true });
      return;
    }
    for (let i = from; i <= to; i++) statement(parsed.statements[i] as ParsedStatement, c, at);
  }

  function statement(st: ParsedStatement, c: StatementCompletion, at: Date): void {
    const cls = st.executes !== undefined ? (sqlPrepared.get(st.executes) ?? 'MISC') : st.class;
    if (c.outcome === 'success') remember(st);
    record(c, at, {
      class: cls,
      command: st.command,
      statement: o.settings.literals && !st.secret ? st.text : st.redacted,
    });
  }

  /** PREPARE / DEALLOCATE / DISCARD, so that EXECUTE name can take its statement's class. */
  function remember(st: ParsedStatement): void {
    if (st.prepares) {
      sqlPrepared.delete(st.prepares.name);
      sqlPrepared.set(st.prepares.name, st.prepares.class);
      if (sqlPrepared.size > MAX_SQL_PREPARED) sqlPrepared.delete(sqlPrepared.keys().next().value as string);
    }
    if (st.deallocates === null) sqlPrepared.clear();
    else if (st.deallocates !== undefined) sqlPrepared.delete(st.deallocates);
  }

  function parsedOf(source: SqlSource): ParsedSql {
    if (source.text === null) return { ok: false };
    let parsed = parsedBySource.get(source);
    if (!parsed) {
      parsed = (parser as SqlParser).parse(source.text);
      parsedBySource.set(source, parsed);
    }
    return parsed;
  }

  function record(c: StatementCompletion, at: Date, d: Described): void {
    index++;
    // A statement the gateway could not classify is recorded whatever the classes: it might be any of them.
    if (!classes.has(d.class) && !d.parseError && !d.statementUnknown) return;
    const rows = c.suspended ? c.dataRows : c.tag !== undefined ? rowsOfTag(c.tag) : undefined;
    emit({
      type: 'db.statement',
      at: at.toISOString(),
      ...o.session,
      class: d.class,
      command: c.tag ? commandOfTag(c.tag) : (d.command ?? 'UNKNOWN'),
      statement: d.statement,
      ...(d.parseError ? { parseError: true } : {}),
      ...(d.statementUnknown ? { statementUnknown: true } : {}),
      ...(rows !== undefined ? { rows } : {}),
      ...(c.resultSha256 !== undefined && c.outcome !== 'unknown' ? { resultSha256: c.resultSha256 } : {}),
      outcome: c.outcome,
      ...(c.sqlstate !== undefined ? { sqlstate: c.sqlstate } : {}),
      statementIndex: index,
      ...(c.outcome !== 'unknown' ? { durationMs: Math.round(c.durationMs * 1000) / 1000 } : {}),
      ...(c.suspended ? { suspended: true } : {}),
    });
  }

  function gapEvent(reason: GapReason | 'observer-error', at: Date): StatementEvent {
    return {
      type: 'db.statement',
      at: at.toISOString(),
      ...o.session,
      class: 'MISC',
      command: 'UNKNOWN',
      statement: '',
      outcome: 'unknown',
      statementIndex: index,
      gap: reason,
    };
  }

  function emit(event: StatementEvent): void {
    try {
      o.audit.emit(event);
    } catch (error) {
      // A sink that throws must not take the session with it (emit queues; it should never throw).
      o.logger.error({ err: error }, 'could not record a statement event');
    }
  }

  guarded(() => {
    if (earlier.fromBackend.length > 0) follower.fromBackend(earlier.fromBackend);
    if (earlier.fromClient.length > 0) follower.fromClient(earlier.fromClient);
  });
  client.on('data', onClient);
  backend.on('data', onBackend);
  backend.on('close', onClose);
}

/** `INSERT 0 5` -> `INSERT`, `SELECT 3` -> `SELECT`, `CREATE TABLE` as is. */
export function commandOfTag(tag: string): string {
  return tag.replace(/( \d+)+$/, '');
}

/** The row count of a command tag that has one (protocol "CommandComplete"), else undefined. */
export function rowsOfTag(tag: string): number | undefined {
  const m = /^(?:INSERT \d+|SELECT|UPDATE|DELETE|MERGE|COPY|FETCH|MOVE) (\d+)$/.exec(tag);
  return m ? Number(m[1]) : undefined;
}
