// `gatehouse audit verify`: recompute the chain and the digests and name what was changed. Pure: the rows, the
// head, the digests (the store's and any copies kept outside it) and the public keys come in; findings go out.
//
// What each tampering looks like (hash(n) = SHA-256(prev || n || body), src/core/audit-chain.ts):
// - a body or prev_hash edited: the stored hash no longer recomputes (modified);
// - a body edited and its hash recomputed: the next event's prev_hash no longer matches (modified, rehashed);
// - a row deleted: a gap in seq (deleted), or, when later rows were renumbered to close it, rows whose hash
//   recomputes only with their old number (deleted, renumbered);
// - a row inserted: a second row with the same seq, or later rows renumbered up (inserted);
// - two rows swapped: each one's hash recomputes only with the other's number (reordered);
// - the newest rows deleted: the head, or a digest, names events that are gone (truncated);
// - everything rewritten consistently: the signed digests no longer match (their key is not in the store).
import type { KeyObject } from 'node:crypto';
import {
  canonicalJson,
  chainHash,
  type DigestBody,
  entryOf,
  GENESIS_HASH,
  keyIdOf,
  type StoredEvent,
  type TrailEntry,
  verifyDigestSignature,
} from './audit-chain.js';

export interface TrailRow {
  readonly period: string;
  readonly seq: bigint;
  readonly body: string;
  readonly prevHash: Buffer;
  readonly hash: Buffer;
  /** The stored lookup columns (verify checks they agree with the body). */
  readonly columns: Omit<TrailEntry, 'body'>;
}

export interface StoredDigest {
  readonly digestSeq: bigint;
  readonly body: string;
  readonly signature: Buffer;
}

export type FindingKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'truncated'
  | 'digest-invalid'
  | 'digest-missing'
  | 'unanchored';

export interface Finding {
  readonly kind: FindingKind;
  /** The first event (or digest, for digest findings) concerned. */
  readonly seq?: string;
  readonly message: string;
}

export interface VerifyInput {
  readonly rows: AsyncIterable<TrailRow>;
  readonly head: { readonly seq: bigint; readonly hash: Buffer };
  readonly digests: readonly StoredDigest[];
  /** Digests copied outside the store (file or webhook receiver): each must still be in the store, unchanged. */
  readonly externalDigests?: readonly StoredDigest[];
  /** Keys whose signatures count; with none, signatures are reported unchecked. */
  readonly publicKeys: readonly KeyObject[];
  /** Only events with seq in this range are checked (the chain is still followed from the first row read). */
  readonly fromSeq?: bigint;
  readonly toSeq?: bigint;
  /** Partitions retention dropped (informational: `first..last` seq). */
  readonly dropped?: readonly { period: string; firstSeq: bigint; lastSeq: bigint }[];
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly events: number;
  readonly firstSeq: string | null;
  readonly lastSeq: string | null;
  readonly digests: number;
  /** Events after the newest digest: verified as a chain, not yet covered by a signature. */
  readonly unsignedTail: number;
  readonly signaturesChecked: boolean;
  readonly findings: readonly Finding[];
}

const MAX_FINDINGS = 100;
/** Marks a finding that follows from another one at the same event (a digest mismatch after an insertion). */
const CONSEQUENCE = Symbol('consequence');
type Noted = Finding & { readonly [CONSEQUENCE]?: true };

/**
 * Digest findings first (as found), then event findings by event number; at one event, what happened (inserted,
 * deleted, reordered, modified) before what it caused (a digest or the head no longer matching).
 */
function inReportOrder(findings: readonly Noted[]): Finding[] {
  const isDigest = (f: Finding) => f.kind.startsWith('digest-');
  const digests = findings.filter(isDigest);
  const events = findings
    .map((f, i) => ({ f, i }))
    .filter(({ f }) => !isDigest(f))
    .sort((a, b) => {
      const sa = BigInt(a.f.seq ?? '0');
      const sb = BigInt(b.f.seq ?? '0');
      if (sa !== sb) return sa < sb ? -1 : 1;
      const ca = a.f[CONSEQUENCE] ? 1 : 0;
      const cb = b.f[CONSEQUENCE] ? 1 : 0;
      return ca - cb || a.i - b.i;
    })
    .map(({ f }) => f);
  return [...digests, ...events].map(({ kind, seq, message }) => ({
    kind,
    ...(seq !== undefined ? { seq } : {}),
    message,
  }));
}
/** How far a moved row's original number is looked for. */
const MOVE_WINDOW = 64n;

/** The seq whose hash the row's stored hash is, near its own, or null when none is (its content changed). */
function originOf(row: TrailRow): bigint | null {
  if (chainHash(row.prevHash, row.seq, row.period, row.body).equals(row.hash)) return row.seq;
  for (let d = 1n; d <= MOVE_WINDOW; d++) {
    for (const s of [row.seq - d, row.seq + d]) {
      if (s > 0n && chainHash(row.prevHash, s, row.period, row.body).equals(row.hash)) return s;
    }
  }
  return null;
}

/** Whether the stored lookup columns are the ones the body gives (an edited column misleads lookups). */
function columnsAgree(row: TrailRow): boolean {
  try {
    const parsed = JSON.parse(row.body) as StoredEvent;
    if (canonicalJson(parsed) !== row.body) return false;
    const { body: _body, ...expected } = entryOf(parsed);
    return canonicalJson(expected) === canonicalJson(row.columns);
  } catch {
    return false;
  }
}

interface ParsedDigest {
  readonly seq: bigint;
  readonly body: DigestBody;
  readonly raw: StoredDigest;
}

export async function verifyTrail(input: VerifyInput): Promise<VerifyReport> {
  const findings: Noted[] = [];
  const add = (f: Noted) => {
    if (findings.length < MAX_FINDINGS) findings.push(f);
  };
  const inRange = (seq: bigint) =>
    (input.fromSeq === undefined || seq >= input.fromSeq) &&
    (input.toSeq === undefined || seq <= input.toSeq);

  // 1. The digests: signed by a known key, each naming its predecessor's signature, numbered without gaps.
  const keys = new Map(input.publicKeys.map((k) => [keyIdOf(k), k]));
  const digests: ParsedDigest[] = [];
  const seen = new Map<bigint, StoredDigest>();
  for (const d of input.digests) seen.set(d.digestSeq, d);
  for (const ext of input.externalDigests ?? []) {
    const inStore = seen.get(ext.digestSeq);
    if (!inStore) {
      add({
        kind: 'digest-missing',
        seq: ext.digestSeq.toString(),
        message: `digest ${ext.digestSeq} is in the copy outside the store but was deleted from the store`,
      });
      seen.set(ext.digestSeq, ext);
    } else if (inStore.body !== ext.body || !inStore.signature.equals(ext.signature)) {
      add({
        kind: 'digest-invalid',
        seq: ext.digestSeq.toString(),
        message: `digest ${ext.digestSeq} in the store differs from its copy outside the store`,
      });
      seen.set(ext.digestSeq, ext); // the copy outside is the one to believe
    }
  }
  const ordered = [...seen.values()].sort((a, b) =>
    a.digestSeq < b.digestSeq ? -1 : a.digestSeq > b.digestSeq ? 1 : 0,
  );
  let previous: ParsedDigest | null = null;
  for (const raw of ordered) {
    let body: DigestBody;
    try {
      body = JSON.parse(raw.body) as DigestBody;
    } catch {
      add({
        kind: 'digest-invalid',
        seq: raw.digestSeq.toString(),
        message: `digest ${raw.digestSeq} is not readable`,
      });
      continue;
    }
    const key = keys.get(body.keyId);
    if (keys.size > 0 && (!key || !verifyDigestSignature(raw.body, raw.signature, key))) {
      add({
        kind: 'digest-invalid',
        seq: raw.digestSeq.toString(),
        message: key
          ? `digest ${raw.digestSeq}'s signature does not verify: the digest was altered`
          : `digest ${raw.digestSeq} is signed by key ${body.keyId}, which is not one of the given public keys`,
      });
    }
    if (previous) {
      if (raw.digestSeq !== previous.seq + 1n) {
        add({
          kind: 'digest-missing',
          seq: (previous.seq + 1n).toString(),
          message: `digests ${previous.seq + 1n}..${raw.digestSeq - 1n} are missing`,
        });
      } else if (body.previousSignature !== previous.raw.signature.toString('base64')) {
        add({
          kind: 'digest-invalid',
          seq: raw.digestSeq.toString(),
          message: `digest ${raw.digestSeq} does not name digest ${previous.seq}'s signature: one of them was replaced`,
        });
      }
    } else if (raw.digestSeq !== 1n) {
      add({ kind: 'digest-missing', seq: '1', message: `digests 1..${raw.digestSeq - 1n} are missing` });
    }
    digests.push({ seq: raw.digestSeq, body, raw });
    previous = { seq: raw.digestSeq, body, raw };
  }
  // What the digests say each event's hash is (the last of each range) and where partitions start.
  const signedHash = new Map<bigint, { hash: string; digest: bigint }>();
  const partitionStart = new Map<bigint, string>();
  for (const d of digests) {
    signedHash.set(BigInt(d.body.toSeq), { hash: d.body.lastHash, digest: d.seq });
    for (const p of d.body.partitions) partitionStart.set(BigInt(p.firstSeq), p.prevHash);
  }
  // The furthest any digest signed (not just the newest: a digest signed after a rewind names less).
  const newestSigned = digests.reduce((m, d) => (BigInt(d.body.toSeq) > m ? BigInt(d.body.toSeq) : m), 0n);
  // Consecutive digests cover consecutive ranges.
  for (let i = 1; i < digests.length; i++) {
    const before = digests[i - 1];
    const d = digests[i];
    if (!before || !d || d.seq !== before.seq + 1n) continue; // a gap is reported above
    const from = BigInt(d.body.fromSeq);
    const to = BigInt(d.body.toSeq);
    if (from !== BigInt(before.body.toSeq) + 1n || to < from - 1n) {
      add({
        kind: 'digest-invalid',
        seq: d.seq.toString(),
        message: `digest ${d.seq} covers ${from}..${to}, which does not follow digest ${before.seq}'s ${before.body.fromSeq}..${before.body.toSeq}: events were deleted or rewritten between them`,
      });
    }
  }
  // Signed retention drops: the only way the beginning of the chain may be missing.
  const signedDrops = digests
    .flatMap((d) => d.body.dropped ?? [])
    .map((x) => ({ first: BigInt(x.firstSeq), last: BigInt(x.lastSeq) }))
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  /** Whether signed drops account for exactly 1..upTo. */
  const dropsCover = (upTo: bigint) => {
    let next = 1n;
    for (const x of signedDrops) {
      if (x.first !== next) return false;
      next = x.last + 1n;
    }
    return next === upTo + 1n;
  };

  // 2. The events, in seq order.
  let events = 0;
  let firstSeq: bigint | null = null;
  let lastSeq: bigint | null = null;
  let lastHash: Buffer = GENESIS_HASH;
  let shift = 0n; // rows renumbered by this much after an insertion (+) or a deletion (-)
  let lastRow: TrailRow | null = null;
  let beforeLast: TrailRow | null = null;
  let pending: { row: TrailRow; origin: bigint; check: boolean } | null = null;
  for await (const row of input.rows) {
    events += 1;
    if (lastRow && row.seq === lastRow.seq) {
      if (inRange(row.seq))
        add({
          kind: 'inserted',
          seq: row.seq.toString(),
          message: `event ${row.seq} appears twice: one of them was inserted`,
        });
      continue;
    }
    const check = inRange(row.seq);
    if (firstSeq === null) {
      firstSeq = row.seq;
      // Where the trail starts: the genesis; or, after retention, the start of a partition a digest names, with
      // signed drops accounting for every event before it; or, for a check from a given event on, the end of a
      // signed digest's range.
      const prevHex = row.prevHash.toString('hex');
      const anchored =
        (row.seq === 1n && row.prevHash.equals(GENESIS_HASH)) ||
        (partitionStart.get(row.seq) === prevHex && dropsCover(row.seq - 1n)) ||
        (input.fromSeq !== undefined && signedHash.get(row.seq - 1n)?.hash === prevHex);
      const dropped = (input.dropped ?? []).filter((d) => d.lastSeq < row.seq);
      if (!anchored && row.seq > 1n) {
        add({
          kind: dropped.length > 0 ? 'unanchored' : 'deleted',
          seq: '1',
          message:
            dropped.length > 0
              ? `events before ${row.seq} are missing: retention dropped some, but no signed digest accounts for all of 1..${row.seq - 1n} and for where the trail now starts`
              : `events 1..${row.seq - 1n} are missing (deleted)`,
        });
      } else if (!anchored && check) {
        add({
          kind: 'modified',
          seq: row.seq.toString(),
          message: `event ${row.seq} does not start from the genesis hash`,
        });
      }
      if (anchored && check && originOf(row) !== row.seq) {
        add({
          kind: 'modified',
          seq: row.seq.toString(),
          message: `event ${row.seq} was modified (its hash no longer matches its content)`,
        });
      }
    } else if (lastSeq !== null && row.seq > lastSeq + 1n) {
      if (check || inRange(lastSeq + 1n)) {
        const from = lastSeq + 1n;
        const to = row.seq - 1n;
        add({
          kind: 'deleted',
          seq: from.toString(),
          message: from === to ? `event ${from} was deleted` : `events ${from}..${to} were deleted`,
        });
      }
    } else if (lastRow) {
      const origin = originOf(row);
      const linked = row.prevHash.equals(lastRow.hash);
      if (pending) {
        // The row before carried a lower number than its own: a swap if this one belongs where it stood.
        const swapped = origin !== null && origin === pending.row.seq - shift;
        if (pending.check) {
          add(
            swapped
              ? {
                  kind: 'reordered',
                  seq: pending.row.seq.toString(),
                  message: `events ${pending.row.seq} and ${row.seq} were swapped (reordered)`,
                }
              : {
                  kind: 'deleted',
                  seq: (pending.row.seq - shift).toString(),
                  message: `event ${pending.row.seq - shift} is missing before event ${pending.origin} (deleted and the rest renumbered, or moved later)`,
                },
          );
        }
        if (!swapped) shift = pending.row.seq - pending.origin;
        const wasSwap = swapped;
        pending = null;
        if (wasSwap) {
          beforeLast = lastRow;
          lastRow = row;
          lastSeq = row.seq;
          lastHash = row.hash;
          continue;
        }
      }
      if (origin === null) {
        if (check)
          add({
            kind: 'modified',
            seq: row.seq.toString(),
            message: `event ${row.seq} was modified (its hash no longer matches its content)`,
          });
      } else if (origin !== row.seq - shift) {
        const newShift = row.seq - origin;
        if (newShift > shift && beforeLast && row.prevHash.equals(beforeLast.hash)) {
          // It links over its predecessor, which took its number: the predecessor was inserted.
          if (check)
            add({
              kind: 'inserted',
              seq: lastRow.seq.toString(),
              message: `event ${lastRow.seq} was inserted (the events after it were renumbered)`,
            });
          shift = newShift;
        } else if (newShift < shift && !linked) {
          pending = { row, origin, check }; // deleted, or the first of a swapped pair: the next row tells
        } else if (check) {
          add({
            kind: 'reordered',
            seq: row.seq.toString(),
            message: `event ${origin} was moved to position ${row.seq} (reordered)`,
          });
        }
      } else if (!linked && check) {
        // Its own hash is right but it does not follow its predecessor: the predecessor was changed and rehashed.
        add({
          kind: 'modified',
          seq: lastRow.seq.toString(),
          message: `event ${lastRow.seq} was modified (its hash was recomputed; event ${row.seq} still names the old one)`,
        });
      }
    }
    if (check && !columnsAgree(row)) {
      add({
        kind: 'modified',
        seq: row.seq.toString(),
        message: `event ${row.seq}'s lookup columns were edited (they no longer match its content)`,
      });
    }
    const signed = signedHash.get(row.seq);
    if (signed && signed.hash !== row.hash.toString('hex') && check) {
      add({
        kind: 'modified',
        seq: row.seq.toString(),
        message: `event ${row.seq} is not the one digest ${signed.digest} signed: events up to it were rewritten`,
        [CONSEQUENCE]: true,
      });
    }
    beforeLast = lastRow;
    lastRow = row;
    lastSeq = row.seq;
    lastHash = row.hash;
  }
  if (pending?.check) {
    add({
      kind: 'deleted',
      seq: (pending.row.seq - shift).toString(),
      message: `event ${pending.row.seq - shift} is missing before event ${pending.origin} (deleted and the rest renumbered)`,
    });
  }

  // 3. The end: the head and the digests say how far the trail went.
  const end = lastSeq ?? 0n;
  if (input.head.seq > end) {
    add({
      kind: 'truncated',
      seq: (end + 1n).toString(),
      message: `the newest events ${end + 1n}..${input.head.seq} were deleted (the chain head is at ${input.head.seq})`,
    });
  } else if (newestSigned > end) {
    add({
      kind: 'truncated',
      seq: (end + 1n).toString(),
      message: `the newest events ${end + 1n}..${newestSigned} were deleted (a signed digest covers up to ${newestSigned})`,
    });
  } else if (input.head.seq < end) {
    add({
      kind: 'inserted',
      seq: (input.head.seq + 1n).toString(),
      message: `${input.head.seq + 1n === end ? `event ${end} was` : `events ${input.head.seq + 1n}..${end} were`} added outside the audit writer (the chain head is at ${input.head.seq})`,
      [CONSEQUENCE]: true,
    });
  } else if (input.head.seq === end && end > 0n && !input.head.hash.equals(lastHash)) {
    add({
      kind: 'modified',
      seq: end.toString(),
      message: `event ${end} is not the one the chain head names`,
    });
  }
  const tail =
    lastSeq !== null && lastSeq > newestSigned
      ? Number(lastSeq - (newestSigned > (firstSeq ?? 0n) - 1n ? newestSigned : (firstSeq ?? 1n) - 1n))
      : 0;
  return {
    ok: findings.length === 0,
    events,
    firstSeq: firstSeq?.toString() ?? null,
    lastSeq: lastSeq?.toString() ?? null,
    digests: digests.length,
    unsignedTail: tail,
    signaturesChecked: keys.size > 0,
    findings: inReportOrder(findings),
  };
}
