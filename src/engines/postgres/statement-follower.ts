// Follows one relayed PostgreSQL session from the side: the client's requests (simple Query, the extended
// protocol's Parse/Bind/Execute/Sync, FunctionCall) matched in order to the backend's answers, so each executed
// statement is reported once with its outcome, command tag, rows and result digest (protocol 3.0, "Message Flow").
// It never changes a byte and never throws for what a peer sends: a stream it cannot follow becomes a gap.
import { createHash, type Hash } from 'node:crypto';
import { BufferReader, MessageStream } from '../../protocol/postgres/index.js';

/** The SQL text of one Query or Parse message; every completion of it shares the object (parsed once). */
export interface SqlSource {
  /** null: longer than the follower keeps, or not terminated where it should be. */
  readonly text: string | null;
}

/** Which statement completed. */
export type StatementOrigin =
  /** Statement `index` (from 0) of a simple Query; `through`: it and every later one (the session ended). */
  | { readonly kind: 'query'; readonly source: SqlSource; readonly index: number; readonly through?: true }
  /** An Execute of a portal; `source` null when the portal or its prepared statement is not known. */
  | { readonly kind: 'execute'; readonly source: SqlSource | null }
  /** A FunctionCall message (the "fast-path" interface): a function called by OID. */
  | { readonly kind: 'fastpath'; readonly oid: number };

export interface StatementCompletion {
  readonly origin: StatementOrigin;
  /** `unknown`: the session ended before its answer. */
  readonly outcome: 'success' | 'failure' | 'unknown';
  /** The CommandComplete tag (`INSERT 0 1`), on success. */
  readonly tag?: string;
  readonly sqlstate?: string;
  /** The Execute stopped at its row limit (PortalSuspended). */
  readonly suspended?: true;
  /** DataRow messages sent for it. */
  readonly dataRows: number;
  /** Hex SHA-256 over its DataRow bodies, each preceded by its length (int32 big-endian); digests on only. */
  readonly resultSha256?: string;
  /** From when the backend could start it (sent, and the previous answer given) to its answer. */
  readonly durationMs: number;
}

export type GapReason = 'pending-limit' | 'desync';

export interface FollowerOptions {
  /** Compute each statement's result digest. */
  readonly digest: boolean;
  /** Monotonic milliseconds (performance.now). */
  readonly now: () => number;
  readonly onStatement: (completion: StatementCompletion) => void;
  /** Requests stopped being followed; following resumes once the backend has answered what was sent. */
  readonly onGap: (reason: GapReason) => void;
  /** Unanswered requests kept (Execute, Query, Sync, FunctionCall); default 10,000. */
  readonly maxPending?: number;
  /** UTF-16 units of unanswered Query texts kept; default 16 Mi. */
  readonly maxPendingText?: number;
  /** Prepared statement and portal names kept each (the oldest forgotten first); default 10,000. */
  readonly maxNames?: number;
  /** UTF-16 units of prepared statement texts kept, and of portals' (the oldest forgotten first); default 16 Mi. */
  readonly maxNamedText?: number;
  /** Bytes of one SQL text kept; a longer one is followed but its text is not kept. Default 1 MiB. */
  readonly maxSqlBytes?: number;
}

type Unit =
  | {
      readonly kind: 'query';
      readonly source: SqlSource;
      readonly sentAt: number;
      next: number;
      copyIn: boolean;
      done: boolean;
    }
  | {
      readonly kind: 'execute';
      readonly source: SqlSource | null;
      readonly sentAt: number;
      copyIn: boolean;
      done: boolean;
    }
  | {
      readonly kind: 'fastpath';
      readonly oid: number;
      readonly sentAt: number;
      copyIn: boolean;
      done: boolean;
    }
  /** `unlessCopyOf`: sent while that request may have started a COPY FROM STDIN, which ignores Sync. */
  | { readonly kind: 'sync'; readonly unlessCopyOf: Unit | null };

/** ReadyForQuery still to come before following can resume; `trailing`: an Execute sent since the last Sync. */
interface Lost {
  outstanding: number;
  trailing: boolean;
}

const CODE = (c: string) => c.charCodeAt(0);
// Frontend messages.
const F_QUERY = CODE('Q');
const F_PARSE = CODE('P');
const F_BIND = CODE('B');
const F_EXECUTE = CODE('E');
const F_CLOSE = CODE('C');
const F_SYNC = CODE('S');
const F_FLUSH = CODE('H');
const F_FUNCTION_CALL = CODE('F');
const F_COPY_DATA = CODE('d');
// Backend messages.
const B_COMMAND_COMPLETE = CODE('C');
const B_EMPTY_QUERY = CODE('I');
const B_PORTAL_SUSPENDED = CODE('s');
const B_ERROR = CODE('E');
const B_READY = CODE('Z');
const B_DATA_ROW = CODE('D');
const B_COPY_IN = CODE('G');
const B_COPY_BOTH = CODE('W');
const B_FUNCTION_RESULT = CODE('V');

/** Longest prepared statement or portal name kept (PostgreSQL's NAMEDATALEN is 64; clients may send longer). */
const MAX_NAME_BYTES = 4096;
const EMPTY_SHA256 = createHash('sha256').digest('hex');

export class StatementFollower {
  private readonly client: MessageStream;
  private readonly backend: MessageStream;
  private readonly maxPending: number;
  private readonly maxPendingText: number;
  private readonly maxNames: number;
  private readonly maxNamedText: number;
  private readonly maxSqlBytes: number;

  /** Unanswered requests in the order sent; `head` is the first still waiting. */
  private queue: Unit[] = [];
  private head = 0;
  private pendingText = 0;
  /** Prepared statements and portals by name (Map order: oldest first, for eviction). */
  private readonly statements = new Map<string, SqlSource>();
  private readonly portals = new Map<string, SqlSource | null>();
  private namedText = 0;
  private portalText = 0;
  /** After an error in the extended protocol the backend skips messages until Sync: do the same. */
  private dropUntilSync = false;
  /** The last Query/Execute sent, while the messages after it could still be a COPY FROM STDIN's data. */
  private copyWindow: Extract<Unit, { kind: 'query' | 'execute' }> | null = null;
  /** Not following, since a gap, until the backend has answered what was sent (null: following). */
  private lost: Lost | null = null;
  /** When the backend last answered (a completion or ReadyForQuery). */
  private lastAnswerAt = 0;
  /** The head statement's rows and digest so far. */
  private rows = 0;
  private hash: Hash | null = null;
  private hashing = false;

  constructor(private readonly o: FollowerOptions) {
    this.maxPending = o.maxPending ?? 10_000;
    this.maxPendingText = o.maxPendingText ?? 16 * 1024 * 1024;
    this.maxNames = o.maxNames ?? 10_000;
    this.maxNamedText = o.maxNamedText ?? 16 * 1024 * 1024;
    this.maxSqlBytes = o.maxSqlBytes ?? 1024 * 1024;
    this.client = new MessageStream({
      header: (type, length) => this.keepFromClient(type, length),
      message: (type, kept) => this.onClientMessage(type, kept),
    });
    this.backend = new MessageStream(
      {
        header: (type, length) => this.onBackendHeader(type, length),
        body: (part) => {
          if (this.hashing) this.hash?.update(part);
        },
        message: (type, kept) => this.onBackendMessage(type, kept),
      },
      (type) => o.digest && type === B_DATA_ROW,
    );
  }

  /** Bytes the client sent (after the welcome), in order. */
  fromClient(chunk: Buffer): void {
    this.client.push(chunk);
  }

  /** Bytes the backend sent, in order. */
  fromBackend(chunk: Buffer): void {
    this.backend.push(chunk);
  }

  /** The session ended: every request still unanswered is reported with outcome `unknown`. */
  end(): void {
    if (this.lost) return;
    for (let i = this.head; i < this.queue.length; i++) {
      const unit = this.queue[i] as Unit;
      if (unit.kind === 'sync' || unit.done) continue;
      const origin: StatementOrigin =
        unit.kind === 'query'
          ? { kind: 'query', source: unit.source, index: unit.next, through: true }
          : unit.kind === 'execute'
            ? { kind: 'execute', source: unit.source }
            : { kind: 'fastpath', oid: unit.oid };
      this.o.onStatement({ origin, outcome: 'unknown', dataRows: 0, durationMs: 0 });
    }
    this.queue = [];
    this.head = 0;
  }

  // --- the client's side -------------------------------------------------------------------------------------

  private keepFromClient(type: number, length: number): number {
    switch (type) {
      case F_QUERY:
        return Math.min(length, this.maxSqlBytes + 1);
      case F_PARSE:
        return Math.min(length, MAX_NAME_BYTES + this.maxSqlBytes + 2);
      case F_BIND:
        return Math.min(length, 2 * MAX_NAME_BYTES + 2);
      case F_EXECUTE:
      case F_CLOSE:
        return Math.min(length, MAX_NAME_BYTES + 2);
      case F_FUNCTION_CALL:
        return Math.min(length, 4);
      default:
        return 0;
    }
  }

  private onClientMessage(type: number, kept: Buffer): void {
    // Anything but Sync, Flush and CopyData ends a COPY FROM STDIN (CopyDone, CopyFail, or an error).
    if (type !== F_SYNC && type !== F_FLUSH && type !== F_COPY_DATA) this.copyWindow = null;
    switch (type) {
      case F_QUERY: {
        // A text longer than kept has no NUL in `kept`: followed, but not kept.
        const text = cstringAt(kept, 0)?.value ?? null;
        this.request({
          kind: 'query',
          source: { text },
          sentAt: this.o.now(),
          next: 0,
          copyIn: false,
          done: false,
        });
        return;
      }
      case F_PARSE: {
        const name = cstringAt(kept, 0);
        if (!name) return;
        this.remember(name.value, { text: cstringAt(kept, name.end)?.value ?? null });
        return;
      }
      case F_BIND: {
        const portal = cstringAt(kept, 0);
        const statement = portal ? cstringAt(kept, portal.end) : null;
        if (!portal) return;
        this.bind(portal.value, statement ? (this.statements.get(statement.value) ?? null) : null);
        return;
      }
      case F_EXECUTE: {
        const portal = cstringAt(kept, 0);
        const source = portal ? (this.portals.get(portal.value) ?? null) : null;
        this.request({ kind: 'execute', source, sentAt: this.o.now(), copyIn: false, done: false });
        return;
      }
      case F_CLOSE: {
        const name = kept.length > 0 ? cstringAt(kept, 1) : null;
        if (!name) return;
        if (kept[0] === CODE('S')) this.forgetStatement(name.value);
        else if (kept[0] === CODE('P')) this.forgetPortal(name.value);
        return;
      }
      case F_FUNCTION_CALL:
        this.request({
          kind: 'fastpath',
          oid: kept.length === 4 ? kept.readUInt32BE(0) : 0,
          sentAt: this.o.now(),
          copyIn: false,
          done: false,
        });
        return;
      case F_SYNC:
        this.sync();
        return;
    }
  }

  /** A Query, Execute or FunctionCall was sent. */
  private request(unit: Exclude<Unit, { kind: 'sync' }>): void {
    if (!this.lost && !this.dropUntilSync && !this.fits(unit)) this.loseTrack('pending-limit');
    if (this.lost) {
      this.lostRequest(unit.kind);
      return;
    }
    if (this.dropUntilSync) return; // the backend skips it
    if (unit.kind === 'query') this.pendingText += unit.source.text?.length ?? 0;
    this.queue.push(unit);
    if (unit.kind !== 'fastpath') this.copyWindow = unit;
  }

  private fits(unit: Unit): boolean {
    if (this.pendingCount() >= this.maxPending) return false;
    return unit.kind !== 'query' || this.pendingText + (unit.source.text?.length ?? 0) <= this.maxPendingText;
  }

  private sync(): void {
    if (!this.lost && !this.fits({ kind: 'sync', unlessCopyOf: null })) this.loseTrack('pending-limit');
    if (this.lost) {
      this.lostRequest('sync');
      return;
    }
    this.dropUntilSync = false;
    const window = this.copyWindow && !this.copyWindow.done ? this.copyWindow : null;
    if (window?.copyIn) return; // the backend ignores Sync during COPY IN
    this.queue.push({ kind: 'sync', unlessCopyOf: window });
  }

  /** While not following: each Sync, Query and FunctionCall ends with one ReadyForQuery; an Execute needs one. */
  private lostRequest(kind: Unit['kind']): void {
    const lost = this.lost as Lost;
    if (kind === 'execute') lost.trailing = true;
    else {
      lost.outstanding++;
      lost.trailing = false;
    }
  }

  private remember(name: string, source: SqlSource): void {
    this.forgetStatement(name);
    this.statements.set(name, source);
    this.namedText += source.text?.length ?? 0;
    while (this.statements.size > this.maxNames || this.namedText > this.maxNamedText) {
      const oldest = this.statements.keys().next().value as string;
      this.forgetStatement(oldest);
    }
  }

  private forgetStatement(name: string): void {
    const old = this.statements.get(name);
    if (!old) return;
    this.statements.delete(name);
    this.namedText -= old.text?.length ?? 0;
  }

  private bind(portal: string, source: SqlSource | null): void {
    this.forgetPortal(portal);
    this.portals.set(portal, source);
    // A portal keeps its statement's text even once the statement is forgotten: counted here too.
    this.portalText += source?.text?.length ?? 0;
    while (this.portals.size > this.maxNames || this.portalText > this.maxNamedText) {
      this.forgetPortal(this.portals.keys().next().value as string);
    }
  }

  private forgetPortal(name: string): void {
    if (!this.portals.has(name)) return;
    this.portalText -= this.portals.get(name)?.text?.length ?? 0;
    this.portals.delete(name);
  }

  // --- the backend's side ------------------------------------------------------------------------------------

  private onBackendHeader(type: number, length: number): number {
    if (type === B_DATA_ROW) {
      const unit = this.lost ? undefined : this.queue[this.head];
      this.hashing = false;
      if (unit && unit.kind !== 'sync') {
        this.rows++;
        if (this.o.digest) {
          this.hash ??= createHash('sha256');
          const prefix = Buffer.allocUnsafe(4);
          prefix.writeUInt32BE(length);
          this.hash.update(prefix);
          this.hashing = true;
        }
      }
      return 0;
    }
    if (type === B_COMMAND_COMPLETE) return Math.min(length, 1024);
    if (type === B_ERROR) return Math.min(length, 64 * 1024);
    return 0;
  }

  private onBackendMessage(type: number, kept: Buffer): void {
    this.hashing = false;
    if (this.lost) {
      if (type === B_READY) {
        this.lost.outstanding--;
        if (this.lost.outstanding <= 0 && !this.lost.trailing) this.resume();
      }
      return;
    }
    switch (type) {
      case B_COMMAND_COMPLETE:
        this.completed({ outcome: 'success', tag: cstringAt(kept, 0)?.value ?? '' });
        return;
      case B_PORTAL_SUSPENDED:
        this.completed({ outcome: 'success', suspended: true });
        return;
      case B_EMPTY_QUERY:
        this.emptyQuery();
        return;
      case B_ERROR:
        this.failed(sqlstateOf(kept));
        return;
      case B_FUNCTION_RESULT:
        this.completed({ outcome: 'success' });
        return;
      case B_READY:
        this.ready();
        return;
      case B_COPY_IN:
      case B_COPY_BOTH:
        this.copyInStarted();
        return;
    }
  }

  /** The head request's current statement completed. */
  private completed(result: { outcome: 'success'; tag?: string; suspended?: true }): void {
    const unit = this.queue[this.head];
    if (!unit || unit.kind === 'sync') {
      this.loseTrack('desync');
      return;
    }
    this.report(unit, {
      outcome: 'success',
      ...(result.tag !== undefined ? { tag: result.tag } : {}),
      ...(result.suspended ? { suspended: true } : {}),
    });
    if (unit.kind === 'query') unit.next++;
    else if (unit.kind === 'execute') this.finishHead();
    else unit.done = true; // a FunctionCall ends with ReadyForQuery
  }

  private emptyQuery(): void {
    const unit = this.queue[this.head];
    if (!unit || unit.kind === 'sync') {
      this.loseTrack('desync');
      return;
    }
    this.resetResult();
    this.lastAnswerAt = this.o.now();
    if (unit.kind === 'execute') this.finishHead();
  }

  private failed(sqlstate: string | undefined): void {
    const unit = this.queue[this.head];
    if (!unit) {
      this.resetResult();
      return; // an error outside any request (a FATAL at shutdown): nothing to attribute it to
    }
    if (unit.kind === 'sync') {
      this.resetResult(); // a Parse/Bind/Describe of the group failed; no Execute of it was pending
      this.lastAnswerAt = this.o.now();
      return;
    }
    this.report(unit, { outcome: 'failure', ...(sqlstate !== undefined ? { sqlstate } : {}) });
    if (unit.kind === 'query') {
      unit.next++;
      unit.done = true; // the rest of the Query string is not run
      return;
    }
    if (unit.kind === 'fastpath') {
      unit.done = true;
      return;
    }
    // Extended protocol: the backend now skips every message until Sync.
    this.finishHead();
    while (this.head < this.queue.length && (this.queue[this.head] as Unit).kind !== 'sync')
      this.finishHead();
    if (this.head === this.queue.length) this.dropUntilSync = true;
  }

  private ready(): void {
    this.lastAnswerAt = this.o.now();
    this.resetResult();
    while (this.head < this.queue.length) {
      const unit = this.queue[this.head] as Unit;
      this.finishHead();
      if (unit.kind !== 'execute') return;
    }
    this.loseTrack('desync');
  }

  private copyInStarted(): void {
    const unit = this.queue[this.head];
    if (!unit || unit.kind === 'sync') return;
    unit.copyIn = true;
    // Syncs sent after it, before the data, are ignored by the backend during COPY IN.
    this.queue = this.queue.filter((u, i) => i < this.head || u.kind !== 'sync' || u.unlessCopyOf !== unit);
  }

  /** Report the head unit's current statement and start the next one's clock. */
  private report(
    unit: Exclude<Unit, { kind: 'sync' }>,
    result: Pick<StatementCompletion, 'outcome' | 'tag' | 'sqlstate' | 'suspended'>,
  ): void {
    const now = this.o.now();
    const origin: StatementOrigin =
      unit.kind === 'query'
        ? { kind: 'query', source: unit.source, index: unit.next }
        : unit.kind === 'execute'
          ? { kind: 'execute', source: unit.source }
          : { kind: 'fastpath', oid: unit.oid };
    const started = Math.max(unit.sentAt, this.lastAnswerAt);
    const digest = this.o.digest ? (this.hash?.digest('hex') ?? EMPTY_SHA256) : undefined;
    const completion: StatementCompletion = {
      origin,
      ...result,
      dataRows: this.rows,
      ...(digest !== undefined ? { resultSha256: digest } : {}),
      durationMs: Math.max(0, now - started),
    };
    this.resetResult();
    this.lastAnswerAt = now;
    this.o.onStatement(completion);
  }

  private resetResult(): void {
    this.rows = 0;
    this.hash = null;
    this.hashing = false;
  }

  private finishHead(): void {
    const unit = this.queue[this.head];
    if (!unit) return;
    if (unit.kind !== 'sync') unit.done = true;
    if (unit.kind === 'query') this.pendingText -= unit.source.text?.length ?? 0;
    this.head++;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private pendingCount(): number {
    return this.queue.length - this.head;
  }

  /**
   * Stop following until the backend has answered everything sent so far: count the Syncs, Queries and
   * FunctionCalls outstanding (each ends with ReadyForQuery), forget the queue, report the gap once. Memory stays
   * bounded meanwhile: two counters.
   */
  private loseTrack(reason: GapReason): void {
    if (this.lost) return;
    const lost: Lost = { outstanding: 0, trailing: false };
    for (let i = this.head; i < this.queue.length; i++) {
      if ((this.queue[i] as Unit).kind === 'execute') lost.trailing = true;
      else {
        lost.outstanding++;
        lost.trailing = false;
      }
    }
    this.queue = [];
    this.head = 0;
    this.pendingText = 0;
    this.dropUntilSync = false;
    this.copyWindow = null;
    this.resetResult();
    this.o.onGap(reason);
    // Resume at a ReadyForQuery that answers the last request sent (the earliest point known to be in step).
    this.lost = lost;
  }

  private resume(): void {
    this.lost = null;
    this.lastAnswerAt = this.o.now();
  }
}

/** The NUL-terminated UTF-8 string at `offset` and the offset after its NUL, or null when unterminated. */
function cstringAt(buf: Buffer, offset: number): { value: string; end: number } | null {
  const nul = buf.indexOf(0, offset);
  if (nul < 0) return null;
  return { value: buf.toString('utf8', offset, nul), end: nul + 1 };
}

/** The SQLSTATE (field C) of an ErrorResponse body, tolerating a cut or malformed body. */
function sqlstateOf(body: Buffer): string | undefined {
  try {
    const r = new BufferReader(body);
    for (let t = r.int8(); t !== 0; t = r.int8()) {
      const value = r.cstring();
      if (t === CODE('C')) return value;
    }
  } catch {
    // fall through: no SQLSTATE
  }
  return undefined;
}
