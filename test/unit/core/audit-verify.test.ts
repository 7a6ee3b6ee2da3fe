// The verifier over an in-memory trail built exactly as the writer builds it (entryOf + chainHash): an untouched
// trail verifies; each kind of tampering fails and is named at the right event.
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConnectAttemptEvent } from '../../../src/core/audit.js';
import {
  canonicalJson,
  chainHash,
  type DigestBody,
  entryOf,
  GENESIS_HASH,
  keyIdOf,
  signDigest,
} from '../../../src/core/audit-chain.js';
import { type StoredDigest, type TrailRow, verifyTrail } from '../../../src/core/audit-verify.js';

const keys = generateKeyPairSync('ed25519');

function event(i: number): ConnectAttemptEvent {
  return {
    type: 'db.connect',
    at: new Date(Date.UTC(2026, 11, 7, 12, 0, i)).toISOString(),
    requestId: `req${i.toString(16).padStart(12, '0')}`,
    instance: 'demo',
    dbUser: i % 3 === 0 ? 'alice' : 'bob',
    database: 'app',
    method: 'scram-sha-256',
    source: `127.0.0.1:${40000 + i}`,
    tls: true,
    outcome: i % 4 === 0 ? 'failure' : 'success',
  };
}

function buildRows(n: number): TrailRow[] {
  const rows: TrailRow[] = [];
  let prev: Buffer = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const { body, ...columns } = entryOf({
      ...event(i),
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    });
    const hash = chainHash(prev, BigInt(i), '2026-12', body);
    rows.push({ period: '2026-12', seq: BigInt(i), body, prevHash: prev, hash, columns });
    prev = hash;
  }
  return rows;
}

function digestOver(
  rows: readonly TrailRow[],
  upTo: number,
  previous: StoredDigest | null,
  seq: number,
): StoredDigest {
  const fromSeq = previous ? BigInt((JSON.parse(previous.body) as DigestBody).toSeq) + 1n : 1n;
  const body: DigestBody = {
    version: 1,
    digestSeq: String(seq),
    createdAt: new Date(Date.UTC(2026, 11, 7, 13, seq)).toISOString(),
    fromSeq: fromSeq.toString(),
    toSeq: String(upTo),
    lastHash: (upTo === 0 ? GENESIS_HASH : (rows[upTo - 1]?.hash ?? GENESIS_HASH)).toString('hex'),
    partitions:
      fromSeq === 1n ? [{ period: '2026-12', firstSeq: '1', prevHash: GENESIS_HASH.toString('hex') }] : [],
    previousSignature: previous ? previous.signature.toString('base64') : null,
    keyId: keyIdOf(keys.publicKey),
  };
  return { digestSeq: BigInt(seq), body: canonicalJson(body), signature: signDigest(body, keys.privateKey) };
}

async function* iterate(rows: readonly TrailRow[]): AsyncGenerator<TrailRow> {
  // In seq order, as the store reads them (ties by period).
  const sorted = [...rows].sort((a, b) =>
    a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : a.period < b.period ? -1 : 1,
  );
  yield* sorted;
}

async function verify(
  rows: readonly TrailRow[],
  o: { head?: { seq: bigint; hash: Buffer }; digests?: StoredDigest[]; external?: StoredDigest[] } = {},
) {
  const last = rows.reduce<TrailRow | null>((m, r) => (m === null || r.seq > m.seq ? r : m), null);
  return verifyTrail({
    rows: iterate(rows),
    head: o.head ?? { seq: last?.seq ?? 0n, hash: last?.hash ?? GENESIS_HASH },
    digests: o.digests ?? [],
    ...(o.external ? { externalDigests: o.external } : {}),
    publicKeys: [keys.publicKey],
  });
}

/** Renumber rows as an attacker would: seq changed, prev_hash and hash kept. */
const renumber = (r: TrailRow, seq: bigint): TrailRow => ({ ...r, seq });

describe('audit verify', () => {
  const rows = buildRows(20);
  const trueHead = { seq: 20n, hash: rows[19]?.hash ?? GENESIS_HASH };
  const d1 = digestOver(rows, 10, null, 1);
  const d2 = digestOver(rows, 20, d1, 2);

  it('an untouched trail verifies, with its digests', async () => {
    const report = await verify(rows, { digests: [d1, d2] });
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.events).toBe(20);
    expect(report.digests).toBe(2);
    expect(report.unsignedTail).toBe(0);
  });

  it('a modified body is named', async () => {
    const t = rows.map((r) => (r.seq === 7n ? { ...r, body: r.body.replace('"bob"', '"mallory"') } : r));
    const report = await verify(t, { head: trueHead });
    expect(report.ok).toBe(false);
    expect(report.findings[0]).toMatchObject({ kind: 'modified', seq: '7' });
  });

  it('a modified body whose hash was recomputed is named, by the next link and by the digest', async () => {
    const t = rows.map((r) => {
      if (r.seq !== 7n) return r;
      const body = r.body.replace('"bob"', '"mallory"');
      return { ...r, body, hash: chainHash(r.prevHash, r.seq, r.period, body) };
    });
    const report = await verify(t, { head: trueHead, digests: [d1, d2] });
    expect(report.findings[0]).toMatchObject({ kind: 'modified', seq: '7' });
  });

  it('an edited lookup column is named', async () => {
    const t = rows.map((r) => (r.seq === 5n ? { ...r, columns: { ...r.columns, username: 'root' } } : r));
    const report = await verify(t, { head: trueHead });
    expect(report.findings[0]).toMatchObject({ kind: 'modified', seq: '5' });
    expect(report.findings[0]?.message).toContain('lookup columns');
  });

  it('a deleted event is named', async () => {
    const report = await verify(
      rows.filter((r) => r.seq !== 9n),
      { head: trueHead },
    );
    expect(report.findings[0]).toMatchObject({ kind: 'deleted', seq: '9' });
  });

  it('a deleted event whose successors were renumbered to close the gap is named', async () => {
    const t = rows.filter((r) => r.seq !== 9n).map((r) => (r.seq > 9n ? renumber(r, r.seq - 1n) : r));
    const last = t[t.length - 1];
    const report = await verify(t, { head: { seq: 19n, hash: last?.hash ?? GENESIS_HASH } });
    expect(report.findings[0]).toMatchObject({ kind: 'deleted', seq: '9' });
  });

  it('an inserted event (a second row with the same number) is named', async () => {
    const forged = { ...rows[11], body: rows[11]?.body.replace('"app"', '"forged"') } as TrailRow;
    const report = await verify([...rows, { ...forged, period: '2026-13' }], { head: trueHead });
    expect(report.findings[0]).toMatchObject({ kind: 'inserted', seq: '12' });
  });

  it('an inserted event that chains correctly, with the rest renumbered, is named', async () => {
    const before = rows[5] as TrailRow; // seq 6
    const { body, ...columns } = entryOf({ ...event(99), eventId: '00000000-0000-4000-8000-000000000099' });
    const inserted: TrailRow = {
      period: '2026-12',
      seq: 7n,
      body,
      prevHash: before.hash,
      hash: chainHash(before.hash, 7n, '2026-12', body),
      columns,
    };
    const t = [
      ...rows.filter((r) => r.seq <= 6n),
      inserted,
      ...rows.filter((r) => r.seq > 6n).map((r) => renumber(r, r.seq + 1n)),
    ];
    const last = t[t.length - 1] as TrailRow;
    const report = await verify(t, { head: { seq: 21n, hash: last.hash } });
    expect(report.findings[0]).toMatchObject({ kind: 'inserted', seq: '7' });
  });

  it('two swapped events are named as reordered', async () => {
    const t = rows.map((r) => (r.seq === 4n ? renumber(r, 5n) : r.seq === 5n ? renumber(r, 4n) : r));
    const report = await verify(t, { head: trueHead });
    expect(report.findings[0]).toMatchObject({ kind: 'reordered', seq: '4' });
  });

  it('deleting the newest events is named by the head', async () => {
    const report = await verify(
      rows.filter((r) => r.seq <= 17n),
      { head: trueHead },
    );
    expect(report.findings[0]).toMatchObject({ kind: 'truncated', seq: '18' });
    expect(report.findings[0]?.message).toContain('18..20');
  });

  it('deleting the newest events and rewinding the head is named by the digest that signed them', async () => {
    const kept = rows.filter((r) => r.seq <= 17n);
    const report = await verify(kept, {
      head: { seq: 17n, hash: kept[16]?.hash ?? GENESIS_HASH },
      digests: [d1, d2],
    });
    expect(report.findings[0]).toMatchObject({ kind: 'truncated', seq: '18' });
  });

  it('deleting the newest digest as well is named by the copy kept outside the store', async () => {
    const kept = rows.filter((r) => r.seq <= 17n);
    const report = await verify(kept, {
      head: { seq: 17n, hash: kept[16]?.hash ?? GENESIS_HASH },
      digests: [d1],
      external: [d1, d2],
    });
    expect(report.findings.map((f) => f.kind)).toEqual(['digest-missing', 'truncated']);
  });

  it('a rewritten and consistently rehashed trail fails against the signed digests', async () => {
    const t: TrailRow[] = [];
    let prev: Buffer = GENESIS_HASH;
    for (const r of rows) {
      // `database` is in the body only (no lookup column): the rewrite is consistent everywhere.
      const body = r.seq === 2n ? r.body.replace('"app"', '"pwned"') : r.body;
      const hash = chainHash(prev, r.seq, r.period, body);
      t.push({ ...r, body, prevHash: prev, hash });
      prev = hash;
    }
    const plain = await verify(t, { head: { seq: 20n, hash: prev } });
    expect(plain.findings).toEqual([]); // without the digests, a consistent rewrite cannot be seen
    const signed = await verify(t, { head: { seq: 20n, hash: prev }, digests: [d1, d2] });
    expect(signed.ok).toBe(false);
    expect(signed.findings[0]).toMatchObject({ kind: 'modified', seq: '10' });
  });

  it('an altered digest, or one signed by another key, is named', async () => {
    const altered = { ...d2, body: d2.body.replace(/"toSeq":"20"/, '"toSeq":"19"') };
    expect((await verify(rows, { digests: [d1, altered] })).findings[0]).toMatchObject({
      kind: 'digest-invalid',
      seq: '2',
    });
    const other = generateKeyPairSync('ed25519');
    const body = JSON.parse(d2.body) as DigestBody;
    const foreign = {
      ...d2,
      body: canonicalJson({ ...body, keyId: keyIdOf(other.publicKey) }),
      signature: signDigest({ ...body, keyId: keyIdOf(other.publicKey) }, other.privateKey),
    };
    const r = await verify(rows, { digests: [d1, foreign] });
    expect(r.findings[0]?.message).toContain('not one of the given public keys');
  });

  it('deleting the oldest events is named, even where a digest ends just before what is left', async () => {
    const report = await verify(
      rows.filter((r) => r.seq > 10n),
      { head: trueHead, digests: [d1, d2] },
    );
    expect(report.findings[0]).toMatchObject({ kind: 'deleted', seq: '1' });
  });

  it('a digest signed after the head was rewound does not hide the deletion', async () => {
    const kept = rows.filter((r) => r.seq <= 15n);
    const rewound = { seq: 15n, hash: kept[14]?.hash ?? GENESIS_HASH };
    // Digest 3, written by the timer after the rewind, "covers" 21..15.
    const body3: DigestBody = {
      ...(JSON.parse(d2.body) as DigestBody),
      digestSeq: '3',
      fromSeq: '21',
      toSeq: '15',
      lastHash: rewound.hash.toString('hex'),
      partitions: [],
      previousSignature: d2.signature.toString('base64'),
    };
    const d3 = { digestSeq: 3n, body: canonicalJson(body3), signature: signDigest(body3, keys.privateKey) };
    const report = await verify(kept, { head: rewound, digests: [d1, d2, d3] });
    expect(report.ok).toBe(false);
    expect(report.findings.map((f) => f.kind)).toContain('truncated');
    expect(report.findings.map((f) => f.kind)).toContain('digest-invalid');
  });

  it('a beginning dropped by retention verifies only when signed drops account for all of it', async () => {
    // Events 1..10 were partition 2026-11, dropped; 11.. are partition 2026-12, whose start digest 3 names.
    const start = rows[10] as TrailRow;
    const signedDrop = (dropped: DigestBody['dropped']): StoredDigest => {
      const body: DigestBody = {
        ...(JSON.parse(d2.body) as DigestBody),
        digestSeq: '3',
        fromSeq: '21',
        toSeq: '20',
        partitions: [{ period: '2026-12', firstSeq: '11', prevHash: start.prevHash.toString('hex') }],
        ...(dropped ? { dropped } : {}),
        previousSignature: d2.signature.toString('base64'),
      };
      return { digestSeq: 3n, body: canonicalJson(body), signature: signDigest(body, keys.privateKey) };
    };
    const left = rows.filter((r) => r.seq > 10n);
    const ok = await verify(left, {
      head: trueHead,
      digests: [d1, d2, signedDrop([{ period: '2026-11', firstSeq: '1', lastSeq: '10' }])],
    });
    expect(ok.findings).toEqual([]);
    const partial = await verify(left, {
      head: trueHead,
      digests: [d1, d2, signedDrop([{ period: '2026-11', firstSeq: '1', lastSeq: '7' }])],
    });
    expect(partial.findings[0]).toMatchObject({ kind: 'deleted', seq: '1' });
    const unsigned = await verify(left, { head: trueHead, digests: [d1, d2, signedDrop(undefined)] });
    expect(unsigned.findings[0]).toMatchObject({ kind: 'deleted', seq: '1' });
  });

  it('any single-row edit of a signed trail fails (generated)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom('body', 'prev', 'hash', 'delete', 'seq', 'period'),
        fc.integer({ min: 0, max: 1000 }),
        async (seq, what, salt) => {
          const t = rows.flatMap((r): TrailRow[] => {
            if (r.seq !== BigInt(seq)) return [r];
            switch (what) {
              case 'body':
                return [{ ...r, body: `${r.body.slice(0, -1)},"x":${salt}}` }];
              case 'prev':
                return [{ ...r, prevHash: chainHash(r.prevHash, BigInt(salt), 'x', 'x') }];
              case 'hash':
                return [{ ...r, hash: chainHash(r.hash, BigInt(salt), 'x', 'x') }];
              case 'delete':
                return [];
              case 'period':
                return [{ ...r, period: '2027-01' }];
              default:
                return [renumber(r, BigInt(21 + salt))];
            }
          });
          const report = await verify(t, { head: trueHead, digests: [d1, d2] });
          expect(report.ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
