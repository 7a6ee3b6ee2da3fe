// Framing under TCP fragmentation: every fixture and handshake, split at every byte, decodes as if unsplit.
import { describe, expect, it } from 'vitest';
import { MessageBuffer } from '../../src/protocol/postgres/index.js';
import {
  ALL_FIXTURES,
  ALL_STREAMS,
  type Decoded,
  decodeChunks,
  type FixtureStream,
  MESSAGE_CAP,
  parseWith,
  STARTUP_CAP,
  StreamDecoder,
  show,
} from './fixtures.js';

/** Offsets at which each fixture of the stream ends. */
function ends(s: FixtureStream): number[] {
  let at = 0;
  return s.fixtures.map((f) => {
    at += f.bytes.length;
    return at;
  });
}

/** The decoded sequence is the fixtures, in order, each parsing to its documented value. */
function expectFixtures(s: FixtureStream, decoded: readonly Decoded[], how: string): void {
  expect(decoded.map(show), how).toEqual(s.fixtures.map((f) => show(decodeChunks(f.framing, [f.bytes])[0]!)));
  decoded.forEach((d, i) => {
    const f = s.fixtures[i]!;
    expect(parseWith(f, d), `${how}: ${f.name}`).toEqual(f.expected);
  });
}

describe('fixtures', () => {
  it.each(ALL_FIXTURES.map((f) => [f.name, f] as const))(
    '%s decodes whole to its documented value',
    (_, f) => {
      const d = new StreamDecoder(f.framing);
      expect(d.push(f.bytes)).toBe(1);
      expect(d.buffer.pending).toBe(0);
      const unit = d.decoded[0]!;
      expect(unit.framing).toBe(f.framing);
      if (unit.framing === 'typed' && f.framing === 'typed') expect(unit.type).toBe(f.type);
      expect(parseWith(f, unit)).toEqual(f.expected);
    },
  );

  const literal = ALL_FIXTURES.filter((f) => f.build !== undefined);
  it.each(literal.map((f) => [f.name, f] as const))('create* reproduces %s byte for byte', (_, f) => {
    expect(f.build!().toString('hex')).toBe(f.bytes.toString('hex'));
  });

  it.each(ALL_FIXTURES.map((f) => [f.name, f] as const))(
    'every proper prefix of %s yields null and consumes nothing',
    (_, f) => {
      for (let k = 0; k < f.bytes.length; k++) {
        const mb = new MessageBuffer();
        mb.push(f.bytes.subarray(0, k));
        const next = () =>
          f.framing === 'startup' ? mb.nextStartupPacket(STARTUP_CAP) : mb.nextMessage(MESSAGE_CAP);
        expect(next(), `prefix of ${k} bytes`).toBeNull();
        expect(next(), `prefix of ${k} bytes, asked again`).toBeNull();
        expect(mb.pending).toBe(k);
      }
    },
  );
});

describe.each(ALL_STREAMS.map((s) => [s.name, s] as const))('%s', (_, s) => {
  const boundaries = ends(s);
  const whole = (k: number) => boundaries.filter((e) => e <= k).length;

  it('decodes unsplit into its fixtures, in order', () => {
    const d = new StreamDecoder(s.start);
    d.push(s.bytes);
    expect(d.buffer.pending).toBe(0);
    expectFixtures(s, d.decoded, 'unsplit');
  });

  it('split into two chunks at every byte offset decodes the same; the first chunk yields only whole messages', () => {
    for (let k = 0; k <= s.bytes.length; k++) {
      const d = new StreamDecoder(s.start);
      d.push(s.bytes.subarray(0, k));
      expect(d.decoded.length, `messages whole in the first ${k} bytes`).toBe(whole(k));
      expect(d.buffer.pending, `bytes held after ${k}`).toBe(k - (boundaries[whole(k) - 1] ?? 0));
      d.push(s.bytes.subarray(k));
      expect(d.buffer.pending).toBe(0);
      expectFixtures(s, d.decoded, `split at ${k}`);
    }
  });

  it('fed one byte at a time, each message appears exactly when its last byte arrives', () => {
    const d = new StreamDecoder(s.start);
    for (let k = 1; k <= s.bytes.length; k++) {
      const taken = d.push(s.bytes.subarray(k - 1, k));
      expect(taken, `after byte ${k}`).toBe(boundaries.includes(k) ? 1 : 0);
    }
    expect(d.buffer.pending).toBe(0);
    expectFixtures(s, d.decoded, 'single-byte chunks');
  });

  it('an empty chunk changes nothing at any point', () => {
    const d = new StreamDecoder(s.start);
    for (const [i, e] of boundaries.entries()) {
      d.push(s.bytes.subarray(boundaries[i - 1] ?? 0, e - 1));
      expect(d.push(Buffer.alloc(0))).toBe(0);
      expect(d.push(s.bytes.subarray(e - 1, e))).toBe(1);
      expect(d.push(Buffer.alloc(0))).toBe(0);
    }
    expectFixtures(s, d.decoded, 'with empty chunks');
  });
});
