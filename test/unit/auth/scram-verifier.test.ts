// SCRAM verifiers and SASLprep, checked byte for byte against the real PostgreSQL at 127.0.0.1:5432.
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScramServer } from '../../../src/auth/scram/server.js';
import {
  createScramSecret,
  createScramVerifier,
  parseScramVerifier,
  SCRAM_DEFAULT_ITERATIONS,
  saslPrep,
  scramPasswordBytes,
} from '../../../src/auth/scram/verifier.js';

describe('createScramVerifier / parseScramVerifier', () => {
  it('produces PostgreSQL’s stored format with 4096 iterations and a 16-byte random salt by default', () => {
    const v = createScramVerifier('s3cret');
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    const parsed = parseScramVerifier(v);
    expect(parsed?.iterations).toBe(SCRAM_DEFAULT_ITERATIONS);
    expect(parsed?.salt.length).toBe(16);
    expect(parseScramVerifier(createScramVerifier('s3cret'))?.salt).not.toEqual(parsed?.salt);
  });

  it('round-trips a secret through format and parse', () => {
    const secret = createScramSecret('pencil', { salt: Buffer.from('0123456789abcdef'), iterations: 10 });
    const v = createScramVerifier('pencil', { salt: Buffer.from('0123456789abcdef'), iterations: 10 });
    expect(parseScramVerifier(v)).toEqual(secret);
  });

  const good = createScramVerifier('x', { salt: Buffer.from('salt'), iterations: 4096 });
  const [, , keys = ''] = good.split('$');
  const [stored = '', server = ''] = keys.split(':');
  it.each([
    ['a lower-case scheme', good.replace('SCRAM-SHA-256', 'scram-sha-256')],
    ['zero iterations', good.replace('$4096:', '$0:')],
    ['a signed iteration count', good.replace('$4096:', '$+4096:')],
    ['an iteration count above int range', good.replace('$4096:', '$2147483648:')],
    ['an empty salt', good.replace(':c2FsdA==$', ':$')],
    ['non-canonical base64 in the salt', good.replace(':c2FsdA==$', ':c2FsdB==$')],
    ['a 31-byte StoredKey', good.replace(stored, Buffer.alloc(31).toString('base64'))],
    ['a missing ServerKey', good.replace(`:${server}`, '')],
    ['trailing data', `${good}$x`],
    ['an md5 hash', 'md5aa6f3e8b4c1f0e7e0b1f9d6c7a5e3b2d'],
  ])('rejects a verifier with %s', (_, text) => {
    expect(parseScramVerifier(text)).toBeNull();
  });
});

describe('saslPrep (PostgreSQL’s pg_saslprep behaviour)', () => {
  it.each([
    ['I\u00ADX', 'IX', 'RFC 4013 §3: soft hyphen mapped to nothing'],
    ['user', 'user', 'RFC 4013 §3: no transformation'],
    ['\u00AA', 'a', 'RFC 4013 §3: NFKC'],
    ['\u2168', 'IX', 'RFC 4013 §3: NFKC'],
    ['a\u00A0b', 'a b', 'non-ASCII space mapped to space'],
    ['a\u200Bb', 'a b', 'U+200B is in C.1.2 and B.1; PostgreSQL maps it to space first'],
    ['\uFB01x', 'fix', 'ligature decomposed by NFKC'],
    ['\u0007', '\u0007', 'ASCII passes through unchanged in PostgreSQL (the RFC would prohibit it)'],
  ])('prepares %j as %j (%s)', (input, output) => {
    expect(saslPrep(input)).toBe(output);
  });

  it.each([
    ['\u0627\u0031', 'RFC 4013 §3: RandALCat not last (bidi)'],
    ['\u05D0a\u05D0', 'RandALCat mixed with LCat'],
    ['pässwörd\u{1F511}', 'an emoji is unassigned in Unicode 3.2'],
    ['\u00AD', 'empty after mapping'],
    ['é\uE000', 'private use'],
    ['é\uD800', 'a lone surrogate (not UTF-8)'],
  ])('falls back to the raw password for %j (%s)', (input) => {
    expect(saslPrep(input)).toBeNull();
    expect(scramPasswordBytes(input)).toEqual(Buffer.from(input, 'utf8'));
  });
});

// --- the real PostgreSQL ------------------------------------------------------------------------------------

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const pgUp = await reachable('127.0.0.1', 5432);
const skipPg = !pgUp && process.env.CI !== 'true';
if (skipPg)
  console.warn('skipping real-PostgreSQL SCRAM tests: 127.0.0.1:5432 is unreachable (CI=true would fail)');

interface SaslSession {
  response: string;
  serverSignature?: string;
}
interface NodePgSasl {
  startSession(mechanisms: string[], stream?: unknown): SaslSession;
  continueSession(
    session: SaslSession,
    password: string,
    serverData: string,
    stream?: unknown,
  ): Promise<void>;
  finalizeSession(session: SaslSession, serverData: string): void;
}
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as NodePgSasl;

describe.skipIf(skipPg)('against the real PostgreSQL at 127.0.0.1:5432', () => {
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  const role = `scram_t_${process.pid}`;

  beforeAll(async () => {
    await client.connect();
    await client.query(`DROP ROLE IF EXISTS ${role}`);
  });
  afterAll(async () => {
    await client.query(`DROP ROLE IF EXISTS ${role}`);
    await client.end();
  });

  /** What PostgreSQL stores in pg_authid for `password` (a verifier is stored verbatim, a password is hashed). */
  async function storedFor(password: string): Promise<string> {
    await client.query(`DROP ROLE IF EXISTS ${role}`);
    await client.query(`SET password_encryption = 'scram-sha-256'`);
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD ${client.escapeLiteral(password)}`);
    const r = await client.query<{ rolpassword: string }>(
      'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
      [role],
    );
    return r.rows[0]?.rolpassword ?? '';
  }

  it('stores a verifier from createScramVerifier verbatim, so PostgreSQL parsed it as a SCRAM secret', async () => {
    const verifier = createScramVerifier('correct horse');
    expect(await storedFor(verifier)).toBe(verifier);
    // The check can fail: a malformed verifier is not recognised and gets hashed as if it were a password.
    const broken = verifier.replace(/:[^:]+$/, `:${Buffer.alloc(31).toString('base64')}`);
    expect(await storedFor(broken)).not.toBe(broken);
  });

  it('derives the same verifier as PostgreSQL for ASCII and non-ASCII passwords (SASLprep fidelity)', async () => {
    const fixed = [
      'pencil',
      '\uFB01x',
      'Ａbc',
      'a\u00A0b',
      'a\u200Bb',
      'pässwörd\u{1F511}',
      'e\u0301te',
      '\u05D0\u05D1',
    ];
    const bmp = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xfffd }));
    const random = fc.sample(
      fc.string({ unit: bmp.map((cp) => String.fromCodePoint(cp)), minLength: 1, maxLength: 6 }),
      { numRuns: 150, seed: 4013 },
    );
    const astral = fc.sample(fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }), {
      numRuns: 30,
      seed: 3454,
    });
    for (const password of [...fixed, ...random, ...astral].filter((p) => !p.includes('\0'))) {
      const stored = await storedFor(password);
      const secret = parseScramVerifier(stored);
      expect(secret, stored).not.toBeNull();
      if (!secret) continue;
      const mine = createScramVerifier(password, { salt: secret.salt, iterations: secret.iterations });
      expect(mine, JSON.stringify(password)).toBe(stored);
    }
  });

  it('lets node-postgres’s SCRAM client log in through our server with a secret PostgreSQL made', async () => {
    const secret = parseScramVerifier(await storedFor('pässwörd'));
    expect(secret).not.toBeNull();
    if (!secret) return;
    const server = createScramServer({
      user: role,
      secrets: [secret],
      mockSecretKey: Buffer.alloc(32, 7),
      channelBinding: null,
    });
    const session = sasl.startSession(['SCRAM-SHA-256']);
    const challenge = server.start('SCRAM-SHA-256', Buffer.from(session.response));
    expect(challenge.kind).toBe('challenge');
    if (challenge.kind !== 'challenge') return;
    await sasl.continueSession(session, 'pässwörd', challenge.data.toString('latin1'));
    const result = server.step(Buffer.from(session.response, 'latin1'));
    expect(result).toMatchObject({ kind: 'success', identity: { user: role, method: 'scram-sha-256' } });
    if (result.kind === 'success') sasl.finalizeSession(session, result.final?.toString('latin1') ?? '');
  });
});
