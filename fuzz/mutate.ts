// Protocol-agnostic byte mutations: bit flips, interesting bytes, length-field lies, truncation, insertion,
// deletion, duplication, control characters. Each returns the new bytes and a short description for reports.
import type { Rng } from './rng.js';

export interface Mutation {
  readonly bytes: Buffer;
  readonly how: string;
}

/** Bytes that break text handling: NUL, CR, LF, ESC, DEL, a lone UTF-8 continuation, overlong and invalid leads. */
export const SPECIAL_BYTES = [0x00, 0x0d, 0x0a, 0x1b, 0x7f, 0x80, 0xc0, 0xc1, 0xf5, 0xfe, 0xff, 0x2c, 0x3d];
/** Strings to splice into text fields. */
export const SPECIAL_STRINGS = [
  '\0',
  '\r\n',
  '\x1b[2J',
  '\x1b]0;title\x07',
  '%00',
  '%',
  '%zz',
  '\u202e',
  '\ud800',
  '\uffff',
  '😀',
  "'; --",
  '$' + '{x}', // template-looking text
  ',',
  '=',
  '\\',
  '"',
  ' '.repeat(64),
];

/** Interesting values for a 32-bit length or count field whose honest value is `honest`. */
export function lengthLies(honest: number): number[] {
  return [
    0,
    1,
    3,
    4,
    5,
    7,
    8,
    9,
    honest - 1,
    honest + 1,
    honest * 2,
    honest + 65536,
    9_999,
    10_000,
    10_001,
    65_535,
    65_536,
    65_540,
    262_145,
    0x7fffffff,
    -0x80000000,
    -1,
    -honest,
  ];
}

function flipBits(rng: Rng, b: Buffer): Mutation {
  const out = Buffer.from(b);
  const n = rng.int(1, 4);
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    const pos = rng.int(0, out.length - 1);
    out[pos] = (out[pos] as number) ^ (1 << rng.int(0, 7));
    at.push(pos);
  }
  return { bytes: out, how: `bit-flip@${at.join(',')}` };
}

function setByte(rng: Rng, b: Buffer): Mutation {
  const out = Buffer.from(b);
  const pos = rng.int(0, out.length - 1);
  const v = rng.chance(0.6) ? rng.pick(SPECIAL_BYTES) : rng.int(0, 255);
  out[pos] = v;
  return { bytes: out, how: `byte@${pos}=${v.toString(16)}` };
}

function lieAboutLength(rng: Rng, b: Buffer, offsets: readonly number[]): Mutation {
  const out = Buffer.from(b);
  const at = rng.pick(offsets);
  if (at + 4 > out.length) return flipBits(rng, b);
  const honest = out.readInt32BE(at);
  const lie = rng.pick(lengthLies(honest)) | 0;
  out.writeInt32BE(lie, at);
  return { bytes: out, how: `len@${at}=${lie}` };
}

function truncate(rng: Rng, b: Buffer): Mutation {
  const n = rng.int(0, b.length - 1);
  return { bytes: b.subarray(0, n), how: `truncate@${n}` };
}

function insert(rng: Rng, b: Buffer): Mutation {
  const pos = rng.int(0, b.length);
  const what = rng.chance(0.5)
    ? Buffer.from(rng.pick(SPECIAL_STRINGS), 'utf8')
    : rng.bytes(rng.int(1, rng.chance(0.9) ? 16 : 4096));
  return {
    bytes: Buffer.concat([b.subarray(0, pos), what, b.subarray(pos)]),
    how: `insert@${pos}+${what.length}`,
  };
}

function remove(rng: Rng, b: Buffer): Mutation {
  const pos = rng.int(0, b.length - 1);
  const n = rng.int(1, Math.min(16, b.length - pos));
  return { bytes: Buffer.concat([b.subarray(0, pos), b.subarray(pos + n)]), how: `delete@${pos}-${n}` };
}

function duplicate(rng: Rng, b: Buffer): Mutation {
  const pos = rng.int(0, b.length - 1);
  const n = rng.int(1, Math.min(64, b.length - pos));
  const part = b.subarray(pos, pos + n);
  const times = rng.int(1, rng.chance(0.9) ? 4 : 200);
  const copies = Buffer.concat(Array.from({ length: times }, () => part));
  return {
    bytes: Buffer.concat([b.subarray(0, pos), copies, b.subarray(pos)]),
    how: `dup@${pos}-${n}x${times}`,
  };
}

function appendGarbage(rng: Rng, b: Buffer): Mutation {
  const extra = rng.bytes(rng.int(1, 64));
  return { bytes: Buffer.concat([b, extra]), how: `append+${extra.length}` };
}

/**
 * One random mutation of `b` (occasionally two stacked). `lengthOffsets` are where 32-bit length or count fields
 * sit, so that "length lies" hit them rather than random bytes.
 */
export function mutate(rng: Rng, b: Buffer, lengthOffsets: readonly number[] = []): Mutation {
  if (b.length === 0) return { bytes: rng.bytes(rng.int(1, 8)), how: 'random' };
  const ops: Array<readonly [number, () => Mutation]> = [
    [3, () => flipBits(rng, b)],
    [2, () => setByte(rng, b)],
    [lengthOffsets.length > 0 ? 4 : 0, () => lieAboutLength(rng, b, lengthOffsets)],
    [2, () => truncate(rng, b)],
    [2, () => insert(rng, b)],
    [1, () => remove(rng, b)],
    [1, () => duplicate(rng, b)],
    [1, () => appendGarbage(rng, b)],
  ];
  const first = rng.weighted(ops)();
  if (!rng.chance(0.15) || first.bytes.length === 0) return first;
  const second = mutate(rng, first.bytes, lengthOffsets);
  return { bytes: second.bytes, how: `${first.how}+${second.how}` };
}

/** Random text of up to `max` characters, mostly printable, sometimes with control and non-ASCII characters. */
export function randomText(rng: Rng, max: number): string {
  const n = rng.size(max);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.float();
    if (r < 0.8) s += String.fromCharCode(rng.int(0x21, 0x7e));
    else if (r < 0.9) s += String.fromCharCode(rng.pick(SPECIAL_BYTES));
    else s += rng.pick(SPECIAL_STRINGS);
  }
  return s;
}

/** Cut points for delivering `length` bytes in a few random pieces. */
export function randomCuts(rng: Rng, length: number): number[] {
  if (length < 2) return [];
  return Array.from({ length: rng.int(1, Math.min(6, length - 1)) }, () => rng.int(1, length - 1));
}
