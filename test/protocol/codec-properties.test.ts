// Property tests for the PostgreSQL codec: create/parse round trips, hostile-input robustness, length caps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUTH,
  CANCEL_REQUEST_CODE,
  createAuthenticationSASL,
  createAuthenticationSASLContinue,
  createAuthenticationSASLFinal,
  createBackendKeyData,
  createCancelRequest,
  createErrorResponse,
  createNegotiateProtocolVersion,
  createNoticeResponse,
  createParameterStatus,
  createPasswordMessage,
  createSASLInitialResponse,
  createSASLResponse,
  createSSLRequest,
  createStartupMessage,
  type ErrorFields,
  GSSENC_REQUEST_CODE,
  MessageBuffer,
  MessageTooLargeError,
  ProtocolError,
  parseAuthenticationRequest,
  parseBackendKeyData,
  parseErrorFields,
  parseNegotiateProtocolVersion,
  parseParameterStatus,
  parsePasswordMessage,
  parseSASLInitialResponse,
  parseStartupPacket,
  SSL_REQUEST_CODE,
} from '../../src/protocol/postgres/index.js';
import { decodeChunks, HANDSHAKES, show } from './fixtures.js';

const RUNS = 300;
const BIG = 1 << 30;
const SPECIAL_CODES: readonly number[] = [SSL_REQUEST_CODE, GSSENC_REQUEST_CODE, CANCEL_REQUEST_CODE];

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
/** Any Unicode text without NUL (the wire's string terminator); NULs are swapped, not filtered, to keep runs cheap. */
const text = (minLength = 0, maxLength = 24) =>
  fc.string({ unit: 'binary', minLength, maxLength }).map((s) => s.replaceAll('\0', '\u2400'));
const bytes = (minLength: number, maxLength: number) =>
  fc.uint8Array({ minLength, maxLength }).map((u) => Buffer.from(u));
/** Random bytes rich in NULs and small values, so string and count fields parse some of the time. */
const hostileBytes = (maxLength = 96) =>
  fc
    .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 8 })), {
      maxLength,
    })
    .map((a) => Buffer.from(a));

function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** Frame a typed message through a MessageBuffer and return its body, checking the type on the way. */
function body(message: Buffer, type: string): Buffer {
  const mb = new MessageBuffer();
  mb.push(message);
  const m = mb.nextMessage(BIG);
  expect(m?.type).toBe(type);
  expect(mb.pending).toBe(0);
  return m!.body;
}

function startupPacket(packet: Buffer): Buffer {
  const mb = new MessageBuffer();
  mb.push(packet);
  const p = mb.nextStartupPacket(BIG);
  expect(mb.pending).toBe(0);
  return p!;
}

/** Run a parser on hostile input: a value or a ProtocolError are both fine; anything else fails the property. */
function returnsOrProtocolError(parse: () => unknown): void {
  try {
    parse();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
}

function expectProtocolError(parse: () => unknown): ProtocolError {
  try {
    parse();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return e as ProtocolError;
  }
  throw new Error('expected a ProtocolError, but the input was accepted');
}

const startupParameters = fc.uniqueArray(fc.tuple(text(1), text()), {
  selector: ([name]) => name,
  maxLength: 10,
});
const startupVersion = fc
  .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
  .filter(([major, minor]) => !SPECIAL_CODES.includes((major << 16) | minor));

describe('round trips: what create* writes, parse* reads back unchanged', () => {
  it('a 3.x StartupMessage keeps any distinct non-empty names, any values, their order, and any minor version', () => {
    fc.assert(
      fc.property(startupParameters, fc.integer({ min: 0, max: 0xffff }), (params, minor) => {
        const p = parseStartupPacket(startupPacket(createStartupMessage(params, (3 << 16) | minor)));
        expect(p.kind === 'startup' && { major: p.major, minor: p.minor, params: [...p.parameters] }).toEqual(
          { major: 3, minor, params },
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('a StartupMessage of another major version reports its version without parsing the body (as PostgreSQL)', () => {
    fc.assert(
      fc.property(
        startupParameters,
        startupVersion.filter(([major]) => major !== 3),
        (params, [major, minor]) => {
          const p = parseStartupPacket(startupPacket(createStartupMessage(params, (major << 16) | minor)));
          expect(p.kind === 'startup' && { major: p.major, minor: p.minor, n: p.parameters.size }).toEqual({
            major,
            minor,
            n: 0,
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a CancelRequest keeps any process id and any key of 1..256 bytes', () => {
    fc.assert(
      fc.property(int32, bytes(1, 256), (processId, secretKey) => {
        expect(parseStartupPacket(startupPacket(createCancelRequest(processId, secretKey)))).toEqual({
          kind: 'cancel',
          processId,
          secretKey,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('BackendKeyData keeps any process id and any key of 4..256 bytes', () => {
    fc.assert(
      fc.property(int32, bytes(4, 256), (processId, secretKey) => {
        expect(parseBackendKeyData(body(createBackendKeyData(processId, secretKey), 'K'))).toEqual({
          processId,
          secretKey,
        });
      }),
      { numRuns: RUNS },
    );
  });

  const severity = fc.constantFrom<ErrorFields['severity']>(
    'ERROR',
    'FATAL',
    'PANIC',
    'WARNING',
    'NOTICE',
    'DEBUG',
    'INFO',
    'LOG',
  );
  const errorFields: fc.Arbitrary<ErrorFields> = fc.record(
    { severity, code: text(0, 5), message: text(0, 80), detail: text(0, 80), hint: text(0, 80) },
    { requiredKeys: ['severity', 'code', 'message'] },
  );

  it('ErrorResponse and NoticeResponse keep every field, and only those fields', () => {
    fc.assert(
      fc.property(errorFields, fc.boolean(), (f, notice) => {
        const message = notice ? createNoticeResponse(f) : createErrorResponse(f);
        const expected = new Map([
          ['S', f.severity],
          ['V', f.severity],
          ['C', f.code],
          ['M', f.message],
        ]);
        if (f.detail !== undefined) expected.set('D', f.detail);
        if (f.hint !== undefined) expected.set('H', f.hint);
        expect(parseErrorFields(body(message, notice ? 'N' : 'E'))).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('SASLInitialResponse keeps any mechanism name and any data bytes', () => {
    fc.assert(
      fc.property(text(), bytes(0, 1024), (mechanism, data) => {
        expect(parseSASLInitialResponse(body(createSASLInitialResponse(mechanism, data), 'p'))).toEqual({
          mechanism,
          data,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('SASLResponse, SASLContinue and SASLFinal carry any data bytes verbatim', () => {
    fc.assert(
      fc.property(bytes(0, 1024), (data) => {
        expect(body(createSASLResponse(data), 'p')).toEqual(data);
        expect(parseAuthenticationRequest(body(createAuthenticationSASLContinue(data), 'R'))).toEqual({
          code: AUTH.saslContinue,
          data,
        });
        expect(parseAuthenticationRequest(body(createAuthenticationSASLFinal(data), 'R'))).toEqual({
          code: AUTH.saslFinal,
          data,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('AuthenticationSASL keeps any list of non-empty mechanism names in order', () => {
    fc.assert(
      fc.property(fc.array(text(1), { maxLength: 6 }), (mechanisms) => {
        expect(parseAuthenticationRequest(body(createAuthenticationSASL(mechanisms), 'R'))).toEqual({
          code: AUTH.sasl,
          mechanisms,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('PasswordMessage, ParameterStatus and NegotiateProtocolVersion keep any text', () => {
    fc.assert(
      fc.property(
        text(0, 200),
        text(),
        fc.array(text(), { maxLength: 6 }),
        int32,
        (s, value, options, version) => {
          expect(parsePasswordMessage(body(createPasswordMessage(s), 'p'))).toBe(s);
          expect(parseParameterStatus(body(createParameterStatus(s, value), 'S'))).toEqual({
            name: s,
            value,
          });
          expect(
            parseNegotiateProtocolVersion(body(createNegotiateProtocolVersion(version, options), 'v')),
          ).toEqual({
            version,
            unrecognised: options,
          });
        },
      ),
      { numRuns: RUNS },
    );
  });
});

const withLength = (rest: Buffer) => Buffer.concat([be32(rest.length + 4), rest]);
/** Packets that pass the length check and reach each startup branch with a random tail. */
const plausibleStartupPacket = fc
  .tuple(fc.oneof(fc.constantFrom(...SPECIAL_CODES, 0x30000, 0x30002, 0x3270f), int32), hostileBytes())
  .map(([code, tail]) => withLength(Buffer.concat([be32(code), tail])));
const plausibleAuthRequest = fc
  .tuple(fc.oneof(fc.constantFrom(0, 3, 5, 7, 8, 9, 10, 11, 12), int32), hostileBytes())
  .map(([code, tail]) => Buffer.concat([be32(code), tail]));
const plausibleSASLInitial = fc
  .tuple(text(0, 16), fc.oneof(fc.constant(-1), fc.integer({ min: -2, max: 40 }), int32), hostileBytes(40))
  .map(([m, len, tail]) => Buffer.concat([Buffer.from(`${m}\0`), be32(len), tail]));
const plausibleNegotiate = fc
  .tuple(int32, fc.oneof(fc.integer({ min: -1, max: 12 }), int32), hostileBytes())
  .map(([v, n, tail]) => Buffer.concat([be32(v), be32(n), tail]));

const parsers: readonly [string, (b: Buffer) => unknown, fc.Arbitrary<Buffer>][] = [
  ['parseStartupPacket', parseStartupPacket, plausibleStartupPacket],
  ['parseSASLInitialResponse', parseSASLInitialResponse, plausibleSASLInitial],
  ['parsePasswordMessage', parsePasswordMessage, hostileBytes()],
  ['parseErrorFields', parseErrorFields, hostileBytes()],
  ['parseBackendKeyData', parseBackendKeyData, bytes(0, 300)],
  ['parseNegotiateProtocolVersion', parseNegotiateProtocolVersion, plausibleNegotiate],
  ['parseAuthenticationRequest', parseAuthenticationRequest, plausibleAuthRequest],
  ['parseParameterStatus', parseParameterStatus, hostileBytes()],
];

// NUL-dense, count-claiming and string-dense shapes; a quadratic loop would take minutes on these.
const MIB = 1 << 20;
const distinctParameters = Array.from({ length: 100_000 }, (_, i) => `p${i}\0v\0`).join('');
const ADVERSARIAL_SHAPES = [
  Buffer.alloc(MIB),
  Buffer.alloc(MIB, 0x41),
  Buffer.from('A\0'.repeat(MIB / 2)),
  Buffer.concat([be32(AUTH.sasl), Buffer.from('A\0'.repeat(MIB / 2))]),
  Buffer.concat([be32(0x30000), be32(MIB), Buffer.alloc(MIB)]),
  withLength(Buffer.concat([be32(0x30000), Buffer.from(`${distinctParameters}\0`)])),
];

describe('hostile input: parsers return a value or throw ProtocolError, nothing else', () => {
  it.each(parsers)('%s on arbitrary bytes', (_, parse, plausible) => {
    fc.assert(
      fc.property(fc.oneof(bytes(0, 64), hostileBytes(), plausible), (input) =>
        returnsOrProtocolError(() => parse(input)),
      ),
      { numRuns: RUNS },
    );
  });

  it.each(parsers)('%s does linear work on a 1 MiB adversarial body', (_, parse) => {
    const started = performance.now();
    for (const s of ADVERSARIAL_SHAPES) returnsOrProtocolError(() => parse(s));
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

/** Drain a buffer the way a connection does, alternating startup/typed reads as the script says. */
function drain(mb: MessageBuffer, script: readonly boolean[], cap: number, consumed: { n: number }): boolean {
  for (let i = 0; ; i++) {
    const asStartup = script[i % Math.max(script.length, 1)] ?? false;
    try {
      if (asStartup) {
        const p = mb.nextStartupPacket(cap);
        if (p === null) return true;
        expect(p.length).toBeGreaterThanOrEqual(8);
        expect(p.length).toBeLessThanOrEqual(cap);
        expect(p.readInt32BE(0)).toBe(p.length);
        consumed.n += p.length;
      } else {
        const m = mb.nextMessage(cap);
        if (m === null) return true;
        expect(m.body.length + 4).toBeLessThanOrEqual(cap);
        consumed.n += m.body.length + 5;
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e; // MessageTooLargeError is a ProtocolError
      return false; // the connection would be closed here
    }
  }
}

const frame = fc
  .tuple(fc.integer({ min: 0, max: 255 }), bytes(0, 40), fc.boolean())
  .map(([type, b, typed]) =>
    typed
      ? Buffer.concat([Buffer.of(type), be32(b.length + 4), b])
      : withLength(Buffer.concat([be32(0x30000), b])),
  );
const streamOfFramesAndGarbage = fc
  .array(fc.oneof(frame, bytes(1, 12)), { maxLength: 8 })
  .map((parts) => Buffer.concat(parts));
const cuts = (length: number) => fc.uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: 12 });
const chunked = (b: Buffer, at: readonly number[]) => {
  const points = [0, ...[...at].sort((x, y) => x - y), b.length];
  return points.slice(1).map((end, i) => b.subarray(points[i]!, end));
};

describe('MessageBuffer under arbitrary chunking', () => {
  it('never throws anything but ProtocolError, and never invents or loses bytes', () => {
    fc.assert(
      fc.property(
        streamOfFramesAndGarbage.chain((b) => fc.tuple(fc.constant(b), cuts(b.length))),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 8, max: 200 }),
        ([input, at], script, cap) => {
          const mb = new MessageBuffer();
          const consumed = { n: 0 };
          let pushed = 0;
          for (const chunk of chunked(input, at)) {
            mb.push(chunk);
            pushed += chunk.length;
            if (!drain(mb, script, cap, consumed)) return;
            expect(consumed.n + mb.pending).toBe(pushed);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('any chunking of a real handshake decodes as the unsplit stream does', () => {
    const handshake = fc.constantFrom(...HANDSHAKES);
    fc.assert(
      fc.property(
        handshake.chain((s) => fc.tuple(fc.constant(s), cuts(s.bytes.length))),
        ([s, at]) => {
          const whole = decodeChunks(s.start, [s.bytes]).map(show);
          expect(decodeChunks(s.start, chunked(s.bytes, at)).map(show)).toEqual(whole);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('peek returns the byte at an offset or null, never undefined', () => {
    fc.assert(
      fc.property(bytes(0, 16), fc.integer({ min: -4, max: 20 }), (b, offset) => {
        const mb = new MessageBuffer();
        mb.push(b);
        expect(mb.peek(offset)).toBe(offset >= 0 && offset < b.length ? b[offset] : null);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('length words', () => {
  const header = (typed: boolean, type: number, len: number) =>
    typed ? Buffer.concat([Buffer.of(type), be32(len)]) : be32(len);

  it('a declared length over the cap is refused as soon as the length word is in, before any body', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 8, max: 100_000 })
          .chain((cap) => fc.tuple(fc.constant(cap), fc.integer({ min: cap + 1, max: 2 ** 31 - 1 }))),
        fc.boolean(),
        fc.integer({ min: 0, max: 255 }),
        ([cap, len], typed, type) => {
          const mb = new MessageBuffer();
          const next = () => (typed ? mb.nextMessage(cap) : mb.nextStartupPacket(cap));
          const h = header(typed, type, len);
          for (let i = 0; i < h.length - 1; i++) {
            mb.push(h.subarray(i, i + 1));
            expect(next()).toBeNull();
          }
          mb.push(h.subarray(h.length - 1));
          const e = expectProtocolError(next);
          expect(e).toBeInstanceOf(MessageTooLargeError);
          expect(e).toMatchObject({ size: len, limit: cap });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a declared length exactly at the cap waits for its body and is accepted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 4096 }), fc.boolean(), (cap, typed) => {
        const mb = new MessageBuffer();
        const next = () => (typed ? mb.nextMessage(cap) : mb.nextStartupPacket(cap));
        const whole = Buffer.concat([header(typed, 0x70, cap), Buffer.alloc(cap - 4)]);
        mb.push(whole.subarray(0, whole.length - 1));
        expect(next()).toBeNull();
        mb.push(whole.subarray(whole.length - 1));
        expect(next()).not.toBeNull();
        expect(mb.pending).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  const negative = fc.integer({ min: -(2 ** 31), max: -1 });
  const tooShort = fc.oneof(
    fc.tuple(fc.constant(true), fc.oneof(fc.integer({ min: 0, max: 3 }), negative)),
    fc.tuple(fc.constant(false), fc.oneof(fc.integer({ min: 0, max: 7 }), negative)),
  );

  it('a typed length under 4 or a startup length under 8 is a ProtocolError, not an oversize', () => {
    fc.assert(
      fc.property(tooShort, ([typed, len]) => {
        const mb = new MessageBuffer();
        mb.push(header(typed, 0x70, len));
        const e = expectProtocolError(() => (typed ? mb.nextMessage(BIG) : mb.nextStartupPacket(BIG)));
        expect(e).not.toBeInstanceOf(MessageTooLargeError);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('StartupMessage layout', () => {
  it('a repeated parameter name is a ProtocolError wherever the repeat sits', () => {
    fc.assert(
      fc.property(
        startupParameters.filter((p) => p.length > 0),
        fc.nat(),
        fc.nat(),
        text(),
        (params, which, where, value) => {
          const name = params[which % params.length]![0];
          const withRepeat = [...params];
          withRepeat.splice(where % (params.length + 1), 0, [name, value]);
          const e = expectProtocolError(() => parseStartupPacket(createStartupMessage(withRepeat)));
          expect(e.message).toContain('duplicate');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('any bytes after the terminator are a ProtocolError, even with a matching length word', () => {
    fc.assert(
      fc.property(startupParameters, bytes(1, 16), (params, extra) => {
        const packet = Buffer.concat([createStartupMessage(params), extra]);
        packet.writeInt32BE(packet.length, 0);
        expectProtocolError(() => parseStartupPacket(startupPacket(packet)));
      }),
      { numRuns: RUNS },
    );
  });

  it('SSLRequest with trailing bytes, a missing terminator, or a length word that disagrees is a ProtocolError', () => {
    fc.assert(
      fc.property(
        startupParameters,
        bytes(1, 8),
        fc.integer({ min: -8, max: 8 }).filter((d) => d !== 0),
        (params, extra, delta) => {
          const ssl = Buffer.concat([createSSLRequest(), extra]);
          ssl.writeInt32BE(ssl.length, 0);
          expectProtocolError(() => parseStartupPacket(ssl));
          const unterminated = createStartupMessage(params).subarray(0, -1);
          unterminated.writeInt32BE(unterminated.length, 0);
          expectProtocolError(() => parseStartupPacket(unterminated));
          const lying = Buffer.from(createStartupMessage(params));
          lying.writeInt32BE(lying.length + delta, 0);
          expectProtocolError(() => parseStartupPacket(lying));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('cancel keys of 0 or more than 256 bytes and BackendKeyData keys outside 4..256 are refused', () => {
    fc.assert(
      fc.property(int32, fc.oneof(bytes(0, 0), bytes(257, 300)), bytes(0, 3), (pid, badCancel, shortKey) => {
        expectProtocolError(() => parseStartupPacket(createCancelRequest(pid, badCancel)));
        expectProtocolError(() => parseBackendKeyData(body(createBackendKeyData(pid, shortKey), 'K')));
        expectProtocolError(() =>
          parseBackendKeyData(body(createBackendKeyData(pid, Buffer.alloc(257)), 'K')),
        );
      }),
      { numRuns: RUNS },
    );
  });
});

describe('declared counts and terminators inside bodies', () => {
  it('a SASLInitialResponse whose data length disagrees with the bytes sent is a ProtocolError', () => {
    fc.assert(
      fc.property(
        text(0, 16),
        bytes(0, 64),
        fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: -8, max: -1 }), int32),
        (mechanism, data, skew) => {
          const declared = data.length + skew;
          fc.pre(declared !== data.length && declared !== -1);
          const b = Buffer.concat([Buffer.from(`${mechanism}\0`), be32(declared | 0), data]);
          expectProtocolError(() => parseSASLInitialResponse(b));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('NegotiateProtocolVersion with a negative or wrong option count, or trailing bytes, is a ProtocolError', () => {
    fc.assert(
      fc.property(
        int32,
        fc.array(text(), { maxLength: 5 }),
        fc.integer({ min: 1, max: 3 }),
        (v, options, skew) => {
          const good = createNegotiateProtocolVersion(v, options).subarray(5);
          const withCount = (n: number) => Buffer.concat([be32(v), be32(n), good.subarray(8)]);
          expectProtocolError(() => parseNegotiateProtocolVersion(withCount(-skew)));
          expectProtocolError(() => parseNegotiateProtocolVersion(withCount(options.length + skew)));
          expectProtocolError(() =>
            parseNegotiateProtocolVersion(Buffer.concat([good, Buffer.alloc(skew, 0x41)])),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('PasswordMessage and ParameterStatus refuse bytes after their last NUL and a missing NUL', () => {
    fc.assert(
      fc.property(text(0, 40), bytes(1, 8), (s, extra) => {
        const password = createPasswordMessage(s).subarray(5);
        expectProtocolError(() => parsePasswordMessage(Buffer.concat([password, extra])));
        expectProtocolError(() => parsePasswordMessage(password.subarray(0, -1)));
        const status = createParameterStatus(s, s).subarray(5);
        expectProtocolError(() => parseParameterStatus(Buffer.concat([status, extra])));
        expectProtocolError(() => parseParameterStatus(status.subarray(0, -1)));
      }),
      { numRuns: RUNS },
    );
  });
});
