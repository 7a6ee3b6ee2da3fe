// The statement follower on synthetic message streams: requests matched in order to the backend's answers
// (simple and extended protocol, pipelining, errors until Sync, COPY, suspended portals, FunctionCall), result
// digests, bounded memory (gaps), and the same answer however the streams are cut into chunks.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FollowerOptions,
  type GapReason,
  type StatementCompletion,
  StatementFollower,
} from '../../../src/engines/postgres/statement-follower.js';

// --- message builders (protocol 3.0 framing: type byte, int32 length including itself, body) ---

type Part = Buffer | string | number;
const cstr = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
function frame(type: string, ...parts: Part[]): Buffer {
  const body = Buffer.concat(
    parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : typeof p === 'string' ? Buffer.from(p) : p)),
  );
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}

// Frontend.
const Q = (sql: string) => frame('Q', cstr(sql));
const P = (name: string, sql: string) => frame('P', cstr(name), cstr(sql), int16(0));
const B = (portal: string, statement: string) =>
  frame('B', cstr(portal), cstr(statement), int16(0), int16(1), int32(3), 'abc', int16(0));
const Describe = (portal: string) => frame('D', 'P', cstr(portal));
const E = (portal: string, maxRows = 0) => frame('E', cstr(portal), int32(maxRows));
const S = frame('S');
const H = frame('H');
const F = (oid: number) => frame('F', int32(oid), int16(0), int16(0), int16(0));
const Close = (kind: 'S' | 'P', name: string) => frame('C', kind, cstr(name));
const copyData = (text: string) => frame('d', text);
const copyDone = frame('c');
const copyFail = frame('f', cstr('no'));

// Backend.
const parseComplete = frame('1');
const bindComplete = frame('2');
const noData = frame('n');
const rowDescription = frame(
  'T',
  int16(1),
  cstr('x'),
  int32(0),
  int16(0),
  int32(25),
  int16(-1),
  int32(-1),
  int16(0),
);
function dataRowBody(...values: Array<string | null>): Buffer {
  return Buffer.concat([
    int16(values.length),
    ...values.map((v) =>
      v === null ? int32(-1) : Buffer.concat([int32(Buffer.byteLength(v)), Buffer.from(v)]),
    ),
  ]);
}
const D = (...values: Array<string | null>) => frame('D', dataRowBody(...values));
const C = (tag: string) => frame('C', cstr(tag));
const emptyQuery = frame('I');
const suspended = frame('s');
const error = (code: string) => frame('E', 'S', cstr('ERROR'), 'C', cstr(code), 'M', cstr('boom'), 0);
const Z = frame('Z', 'I');
const notice = frame('N', 'S', cstr('NOTICE'), 'C', cstr('00000'), 'M', cstr('hello'), 0);
const copyIn = frame('G', 0, int16(1), int16(0));
const copyOut = frame('H', 0, int16(1), int16(0));
const backendCopyData = (text: string) => frame('d', text);
const backendCopyDone = frame('c');
const functionResult = frame('V', int32(1), '7');

// --- harness ---

interface Summary {
  readonly what: string | null;
  readonly outcome: string;
  readonly tag?: string;
  readonly sqlstate?: string;
  readonly rows: number;
  readonly suspended?: true;
  readonly through?: true;
}

function summarize(c: StatementCompletion): Summary {
  const o = c.origin;
  const what =
    o.kind === 'query'
      ? `${o.source.text}#${o.index}`
      : o.kind === 'execute'
        ? (o.source?.text ?? null)
        : `fastpath ${o.oid}`;
  return {
    what,
    outcome: c.outcome,
    ...(c.tag !== undefined ? { tag: c.tag } : {}),
    ...(c.sqlstate !== undefined ? { sqlstate: c.sqlstate } : {}),
    rows: c.dataRows,
    ...(c.suspended ? { suspended: true } : {}),
    ...(o.kind === 'query' && o.through ? { through: true } : {}),
  };
}

function follower(options: Partial<FollowerOptions> = {}) {
  const completions: StatementCompletion[] = [];
  const gaps: GapReason[] = [];
  let t = 0;
  const f = new StatementFollower({
    digest: false,
    now: () => (t += 1),
    onStatement: (c) => completions.push(c),
    onGap: (g) => gaps.push(g),
    ...options,
  });
  const client = (...messages: Buffer[]) => f.fromClient(Buffer.concat(messages));
  const backend = (...messages: Buffer[]) => f.fromBackend(Buffer.concat(messages));
  return { f, client, backend, gaps, completions, summaries: () => completions.map(summarize) };
}

describe('simple query', () => {
  it('a Query with several statements completes each in order, with its tag and rows', () => {
    const s = follower();
    s.client(Q('SELECT 1; SELECT 2'));
    s.backend(rowDescription, D('1'), C('SELECT 1'), rowDescription, D('2'), C('SELECT 1'), Z);
    expect(s.summaries()).toEqual([
      { what: 'SELECT 1; SELECT 2#0', outcome: 'success', tag: 'SELECT 1', rows: 1 },
      { what: 'SELECT 1; SELECT 2#1', outcome: 'success', tag: 'SELECT 1', rows: 1 },
    ]);
    expect(s.gaps).toEqual([]);
  });

  it('an error stops the Query string: the failing statement is reported with its SQLSTATE, the rest never ran', () => {
    const s = follower();
    s.client(Q('SELECT 1; SELECT 1/0; SELECT 3'));
    s.backend(rowDescription, D('1'), C('SELECT 1'), notice, error('22012'), Z);
    s.client(Q('SELECT 4'));
    s.backend(rowDescription, D('4'), C('SELECT 1'), Z);
    expect(s.summaries()).toEqual([
      { what: 'SELECT 1; SELECT 1/0; SELECT 3#0', outcome: 'success', tag: 'SELECT 1', rows: 1 },
      { what: 'SELECT 1; SELECT 1/0; SELECT 3#1', outcome: 'failure', sqlstate: '22012', rows: 0 },
      { what: 'SELECT 4#0', outcome: 'success', tag: 'SELECT 1', rows: 1 },
    ]);
  });

  it('an empty Query ran nothing; queries pipelined before any answer are matched in order', () => {
    const s = follower();
    s.client(Q(''), Q('SET a = 1'), Q('SELECT 2'));
    s.backend(emptyQuery, Z, C('SET'), Z, rowDescription, D('2'), C('SELECT 1'), Z);
    expect(s.summaries().map((x) => [x.what, x.tag])).toEqual([
      ['SET a = 1#0', 'SET'],
      ['SELECT 2#0', 'SELECT 1'],
    ]);
  });
});

describe('extended protocol', () => {
  it('Parse/Bind/Execute/Sync: the Execute reports the prepared text; named statements are reused', () => {
    const s = follower();
    s.client(P('s1', 'SELECT $1'), B('', 's1'), Describe(''), E(''), S);
    s.backend(parseComplete, bindComplete, rowDescription, D('a'), D('b'), C('SELECT 2'), Z);
    s.client(B('p', 's1'), E('p'), S);
    s.backend(bindComplete, D('c'), C('SELECT 1'), Z);
    expect(s.summaries()).toEqual([
      { what: 'SELECT $1', outcome: 'success', tag: 'SELECT 2', rows: 2 },
      { what: 'SELECT $1', outcome: 'success', tag: 'SELECT 1', rows: 1 },
    ]);
  });

  it('pipelined requests with one Sync are answered in order', () => {
    const s = follower();
    s.client(
      P('', 'INSERT 1'),
      B('', ''),
      E(''),
      P('', 'INSERT 2'),
      B('', ''),
      E(''),
      P('', 'INSERT 3'),
      B('', ''),
      E(''),
      S,
    );
    s.backend(parseComplete, bindComplete, C('INSERT 0 1'));
    s.backend(parseComplete, bindComplete, C('INSERT 0 1'), parseComplete, bindComplete, C('INSERT 0 1'), Z);
    expect(s.summaries().map((x) => x.what)).toEqual(['INSERT 1', 'INSERT 2', 'INSERT 3']);
  });

  it('after an error the backend skips to Sync: the failing Execute is reported, the skipped ones are not', () => {
    const s = follower();
    s.client(
      P('', 'ok'),
      B('', ''),
      E(''),
      P('', 'bad'),
      B('', ''),
      E(''),
      P('', 'skipped'),
      B('', ''),
      E(''),
      S,
    );
    s.client(P('', 'after'), B('', ''), E(''), S);
    s.backend(parseComplete, bindComplete, C('UPDATE 1'), error('42601'), Z);
    s.backend(parseComplete, bindComplete, C('DELETE 2'), Z);
    expect(s.summaries()).toEqual([
      { what: 'ok', outcome: 'success', tag: 'UPDATE 1', rows: 0 },
      { what: 'bad', outcome: 'failure', sqlstate: '42601', rows: 0 },
      { what: 'after', outcome: 'success', tag: 'DELETE 2', rows: 0 },
    ]);
    expect(s.gaps).toEqual([]);
  });

  it('an error before the client sent Sync: what it sends until Sync is skipped too', () => {
    const s = follower();
    s.client(P('', 'bad'), B('', ''), E(''), H);
    s.backend(error('42P01'));
    s.client(P('', 'skipped'), B('', ''), E(''), S, P('', 'next'), B('', ''), E(''), S);
    s.backend(Z, parseComplete, bindComplete, C('SELECT 0'), Z);
    expect(s.summaries().map((x) => [x.what, x.outcome])).toEqual([
      ['bad', 'failure'],
      ['next', 'success'],
    ]);
    expect(s.gaps).toEqual([]);
  });

  it('a failed Parse with no Execute pending reports nothing and keeps following', () => {
    const s = follower();
    s.client(P('x', 'SELEC 1'), Describe('x'), S, Q('SELECT 1'));
    s.backend(error('42601'), Z, rowDescription, D('1'), C('SELECT 1'), Z);
    expect(s.summaries().map((x) => x.what)).toEqual(['SELECT 1#0']);
    expect(s.gaps).toEqual([]);
  });

  it('a portal fetched in pieces: each Execute is reported, suspended ones with their own rows', () => {
    const s = follower();
    s.client(P('', 'SELECT g'), B('c', ''), E('c', 2), E('c', 2), S);
    s.backend(parseComplete, bindComplete, D('1'), D('2'), suspended, D('3'), C('SELECT 1'), Z);
    expect(s.summaries()).toEqual([
      { what: 'SELECT g', outcome: 'success', rows: 2, suspended: true },
      { what: 'SELECT g', outcome: 'success', tag: 'SELECT 1', rows: 1 },
    ]);
  });

  it('an Execute of a portal or statement it does not know reports the statement as unknown', () => {
    const s = follower();
    s.client(E('declared_in_sql'), B('', 'never_parsed'), E(''), S);
    s.backend(C('FETCH 0'), error('26000'), Z);
    expect(s.summaries().map((x) => [x.what, x.outcome])).toEqual([
      [null, 'success'],
      [null, 'failure'],
    ]);
  });

  it('Close forgets a statement; an empty statement (EmptyQueryResponse) ran nothing', () => {
    const s = follower();
    s.client(P('s', 'SELECT 1'), P('', ''), B('', ''), E(''), Close('S', 's'), B('', 's'), E(''), S);
    s.backend(parseComplete, parseComplete, bindComplete, emptyQuery, frame('3'), error('26000'), Z);
    expect(s.summaries().map((x) => [x.what, x.outcome])).toEqual([[null, 'failure']]);
  });

  it('a FunctionCall (fast path) is reported with its OID', () => {
    const s = follower();
    s.client(F(1234));
    s.backend(functionResult, Z);
    s.client(F(99));
    s.backend(error('42883'), Z);
    expect(s.summaries().map((x) => [x.what, x.outcome])).toEqual([
      ['fastpath 1234', 'success'],
      ['fastpath 99', 'failure'],
    ]);
    expect(s.gaps).toEqual([]);
  });
});

describe('COPY', () => {
  it('COPY FROM STDIN in a simple Query: the client’s data is not a request; the tag counts the rows', () => {
    const s = follower();
    s.client(Q('COPY t FROM STDIN'));
    s.backend(copyIn);
    s.client(copyData('1\n'), copyData('2\n'), copyDone);
    s.backend(C('COPY 2'), Z);
    s.client(Q('SELECT 0'));
    s.backend(rowDescription, C('SELECT 0'), Z);
    expect(s.summaries().map((x) => [x.what, x.tag])).toEqual([
      ['COPY t FROM STDIN#0', 'COPY 2'],
      ['SELECT 0#0', 'SELECT 0'],
    ]);
    expect(s.gaps).toEqual([]);
  });

  it('COPY FROM STDIN through the extended protocol (libpq): the Sync sent before the data is ignored', () => {
    const s = follower();
    s.client(P('', 'COPY t FROM STDIN'), B('', ''), Describe(''), E(''), S);
    s.backend(parseComplete, bindComplete, noData, copyIn);
    s.client(copyData('1\n'), copyDone, S);
    s.backend(C('COPY 1'), Z);
    s.client(Q('SELECT 1'));
    s.backend(rowDescription, D('1'), C('SELECT 1'), Z);
    expect(s.summaries().map((x) => [x.what, x.tag])).toEqual([
      ['COPY t FROM STDIN', 'COPY 1'],
      ['SELECT 1#0', 'SELECT 1'],
    ]);
    expect(s.gaps).toEqual([]);
  });

  it('the same when every message was sent before the backend answered', () => {
    const s = follower();
    s.client(P('', 'COPY t FROM STDIN'), B('', ''), E(''), S, copyData('1\n'), copyDone, S, Q('SELECT 1'));
    s.backend(parseComplete, bindComplete, copyIn, C('COPY 1'), Z, rowDescription, D('1'), C('SELECT 1'), Z);
    expect(s.summaries().map((x) => x.what)).toEqual(['COPY t FROM STDIN', 'SELECT 1#0']);
    expect(s.gaps).toEqual([]);
  });

  it('a COPY that fails before starting leaves the Sync in place; a CopyFail is a failure', () => {
    const s = follower();
    s.client(P('', 'COPY missing FROM STDIN'), B('', ''), E(''), S);
    s.backend(parseComplete, bindComplete, error('42P01'), Z);
    s.client(Q('COPY t FROM STDIN'));
    s.backend(copyIn);
    s.client(copyData('x'), copyFail);
    s.backend(error('57014'), Z);
    expect(s.summaries().map((x) => [x.what, x.outcome, x.sqlstate])).toEqual([
      ['COPY missing FROM STDIN', 'failure', '42P01'],
      ['COPY t FROM STDIN#0', 'failure', '57014'],
    ]);
    expect(s.gaps).toEqual([]);
  });

  it('COPY TO STDOUT: the backend’s copy data is not rows of a DataRow digest', () => {
    const s = follower({ digest: true });
    s.client(Q('COPY t TO STDOUT'));
    s.backend(copyOut, backendCopyData('1\n'), backendCopyData('2\n'), backendCopyDone, C('COPY 2'), Z);
    expect(s.summaries()).toEqual([
      { what: 'COPY t TO STDOUT#0', outcome: 'success', tag: 'COPY 2', rows: 0 },
    ]);
    expect(s.completions[0]?.resultSha256).toBe(createHash('sha256').digest('hex'));
  });
});

describe('result digest', () => {
  it('is the SHA-256 over each DataRow body preceded by its length, so row boundaries count', () => {
    const s = follower({ digest: true });
    s.client(Q('SELECT a, b FROM t'));
    s.backend(rowDescription, D('1', 'x'), D('2', null), C('SELECT 2'), Z);
    const h = createHash('sha256');
    for (const body of [dataRowBody('1', 'x'), dataRowBody('2', null)])
      h.update(int32(body.length)).update(body);
    expect(s.completions[0]?.resultSha256).toBe(h.digest('hex'));
    // The same bytes cut into other rows give another digest.
    const other = follower({ digest: true });
    other.client(Q('SELECT a FROM t'));
    other.backend(rowDescription, D('1x'), D('2', null), C('SELECT 2'), Z);
    expect(other.completions[0]?.resultSha256).not.toBe(s.completions[0]?.resultSha256);
  });

  it('is off unless asked', () => {
    const s = follower();
    s.client(Q('SELECT 1'));
    s.backend(rowDescription, D('1'), C('SELECT 1'), Z);
    expect(s.completions[0]?.resultSha256).toBeUndefined();
  });
});

describe('bounded memory and gaps', () => {
  it('too many unanswered requests: one gap, then following resumes once the backend answered them all', () => {
    const s = follower({ maxPending: 3 });
    s.client(...Array.from({ length: 5 }, (_, i) => [P('', `q${i}`), B('', ''), E('')]).flat(), S);
    s.backend(...Array.from({ length: 5 }, () => [parseComplete, bindComplete, C('SELECT 0')]).flat(), Z);
    expect(s.gaps).toEqual(['pending-limit']);
    s.client(Q('SELECT after'));
    s.backend(C('SELECT 0'), Z);
    expect(s.summaries().map((x) => x.what)).toEqual(['SELECT after#0']);
  });

  it('answers that match no request: one desync gap; following resumes at the next ReadyForQuery', () => {
    const s = follower();
    s.backend(C('SELECT 1'));
    s.backend(C('SELECT 1'));
    expect(s.gaps).toEqual(['desync']);
    s.client(Q('SELECT 2'));
    s.backend(C('SELECT 1'), Z);
    s.client(Q('SELECT 3'));
    s.backend(C('SELECT 1'), Z);
    expect(s.summaries().map((x) => x.what)).toEqual(['SELECT 3#0']);
    expect(s.gaps).toEqual(['desync']);
  });

  it('prepared statement names are capped: the oldest is forgotten, and its Execute is reported as unknown', () => {
    const s = follower({ maxNames: 2 });
    s.client(
      P('a', 'SELECT a'),
      P('b', 'SELECT b'),
      P('c', 'SELECT c'),
      B('', 'a'),
      E(''),
      B('', 'c'),
      E(''),
      S,
    );
    s.backend(
      parseComplete,
      parseComplete,
      parseComplete,
      bindComplete,
      C('SELECT 0'),
      bindComplete,
      C('SELECT 0'),
      Z,
    );
    expect(s.summaries().map((x) => x.what)).toEqual([null, 'SELECT c']);
  });

  it('a Query text longer than kept is followed without its text', () => {
    const s = follower({ maxSqlBytes: 10 });
    s.client(Q('SELECT 1234567890'), Q('SELECT 1'));
    s.backend(C('SELECT 1'), Z, C('SELECT 1'), Z);
    expect(s.summaries().map((x) => x.what)).toEqual(['null#0', 'SELECT 1#0']);
  });

  it('when the session ends, requests still unanswered are reported with outcome unknown', () => {
    const s = follower();
    s.client(Q('SELECT 1; DELETE FROM t'), P('', 'UPDATE t'), B('', ''), E(''), S);
    s.backend(C('SELECT 1'));
    s.f.end();
    expect(s.summaries()).toEqual([
      { what: 'SELECT 1; DELETE FROM t#0', outcome: 'success', tag: 'SELECT 1', rows: 0 },
      { what: 'SELECT 1; DELETE FROM t#1', outcome: 'unknown', rows: 0, through: true },
      { what: 'UPDATE t', outcome: 'unknown', rows: 0 },
    ]);
  });

  it('durations count from when the backend could start the statement', () => {
    const s = follower();
    s.client(Q('SELECT 1'), Q('SELECT 2'));
    s.backend(C('SELECT 1'), Z, C('SELECT 1'), Z);
    for (const c of s.completions) expect(c.durationMs).toBeGreaterThan(0);
  });
});

describe('split anywhere', () => {
  // One session exercising every path: simple and extended, errors until Sync, COPY in and out, a suspended
  // portal, FunctionCall, notices, digests.
  const client = Buffer.concat([
    Q("SELECT 'a'; SELECT 2"),
    P('s', 'SELECT $1'),
    B('p', 's'),
    E('p', 1),
    E('p', 0),
    S,
    P('', 'bad'),
    B('', ''),
    E(''),
    P('', 'skipped'),
    B('', ''),
    E(''),
    S,
    Q('COPY t FROM STDIN'),
    copyData('1\n2\n'),
    copyDone,
    P('', 'COPY t FROM STDIN'),
    B('', ''),
    E(''),
    S,
    copyData('3\n'),
    copyDone,
    S,
    Q('COPY t TO STDOUT'),
    F(42),
    Q('SELECT 1'),
  ]);
  const backend = Buffer.concat([
    rowDescription,
    D('a'),
    C('SELECT 1'),
    rowDescription,
    D('2'),
    C('SELECT 1'),
    Z,
    parseComplete,
    bindComplete,
    D('x'),
    suspended,
    D('y'),
    C('SELECT 1'),
    Z,
    error('42601'),
    Z,
    copyIn,
    notice,
    C('COPY 2'),
    Z,
    parseComplete,
    bindComplete,
    copyIn,
    C('COPY 1'),
    Z,
    copyOut,
    backendCopyData('1\n'),
    backendCopyDone,
    C('COPY 1'),
    Z,
    functionResult,
    Z,
    rowDescription,
    D(null),
    C('SELECT 1'),
    Z,
  ]);

  function run(clientChunks: Buffer[], backendChunks: Buffer[]) {
    const s = follower({ digest: true });
    for (const c of clientChunks) s.f.fromClient(c);
    for (const c of backendChunks) s.f.fromBackend(c);
    return { summaries: s.summaries(), digests: s.completions.map((c) => c.resultSha256), gaps: s.gaps };
  }
  const whole = run([client], [backend]);

  it('the whole session is followed without a gap', () => {
    expect(whole.gaps).toEqual([]);
    expect(whole.summaries.map((x) => [x.what, x.outcome, x.tag ?? x.sqlstate ?? null])).toEqual([
      ["SELECT 'a'; SELECT 2#0", 'success', 'SELECT 1'],
      ["SELECT 'a'; SELECT 2#1", 'success', 'SELECT 1'],
      ['SELECT $1', 'success', null],
      ['SELECT $1', 'success', 'SELECT 1'],
      ['bad', 'failure', '42601'],
      ['COPY t FROM STDIN#0', 'success', 'COPY 2'],
      ['COPY t FROM STDIN', 'success', 'COPY 1'],
      ['COPY t TO STDOUT#0', 'success', 'COPY 1'],
      ['fastpath 42', 'success', null],
      ['SELECT 1#0', 'success', 'SELECT 1'],
    ]);
  });

  it('the client stream cut at every byte gives the same answer', () => {
    for (let k = 1; k < client.length; k++) {
      expect(run([client.subarray(0, k), client.subarray(k)], [backend]), `cut at ${k}`).toEqual(whole);
    }
  });

  it('the backend stream cut at every byte gives the same answer', () => {
    for (let k = 1; k < backend.length; k++) {
      expect(run([client], [backend.subarray(0, k), backend.subarray(k)]), `cut at ${k}`).toEqual(whole);
    }
  });

  it('both streams cut into any chunks give the same answer (generated)', () => {
    const cuts = (length: number) =>
      fc
        .uniqueArray(fc.integer({ min: 1, max: length - 1 }), { maxLength: 40 })
        .map((a) => a.sort((x, y) => x - y));
    const chunks = (buf: Buffer, at: number[]) =>
      [0, ...at].map((start, i) => buf.subarray(start, at[i] ?? buf.length));
    fc.assert(
      fc.property(cuts(client.length), cuts(backend.length), (c, b) => {
        expect(run(chunks(client, c), chunks(backend, b))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});
