// Password mechanisms: which engines get which verifier, and each stored form checked against captured handshakes
// (what a server holding only the stored verifier must be able to verify).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CACHING_SHA2_PASSWORD,
  findPasswordMechanism,
  MYSQL_NATIVE_PASSWORD,
  PASSWORD_MECHANISMS,
  parseCachingSha2Verifier,
  parseMysqlNativeVerifier,
  passwordMechanismsFor,
  SCRAM_SHA_256_MECHANISM,
} from '../../../src/auth/password-mechanisms.js';
import { createScramVerifier, parseScramVerifier } from '../../../src/auth/scram/verifier.js';

const sha = (algorithm: string, ...parts: Buffer[]) => {
  const h = createHash(algorithm);
  for (const p of parts) h.update(p);
  return h.digest();
};
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((v, i) => v ^ (b[i] as number)));

/** mysql_native_password server check: SHA1(response XOR SHA1(nonce + stored)) == stored. */
function nativeAccepts(stored: string, nonce: Buffer, response: Buffer): boolean {
  const stage2 = parseMysqlNativeVerifier(stored);
  if (!stage2) return false;
  return sha('sha1', xor(response, sha('sha1', nonce, stage2))).equals(stage2);
}

/** caching_sha2_password fast-auth server check: SHA256(response XOR SHA256(stored + nonce)) == stored. */
function fastAuthAccepts(stored: string, nonce: Buffer, response: Buffer): boolean {
  const stage2 = parseCachingSha2Verifier(stored);
  if (!stage2) return false;
  return sha('sha256', xor(response, sha('sha256', stage2, nonce))).equals(stage2);
}

const compute = (name: string, password: string) => {
  const mechanism = findPasswordMechanism(name);
  if (!mechanism) throw new Error(`no mechanism ${name}`);
  return mechanism.compute(password);
};

describe('password mechanisms by engine', () => {
  it('a PostgreSQL instance gets SCRAM-SHA-256 only: no unsalted MySQL hashes for its users', () => {
    expect(passwordMechanismsFor('postgres').map((m) => m.name)).toEqual([SCRAM_SHA_256_MECHANISM]);
  });

  it('a MySQL instance gets mysql_native_password and caching_sha2_password, both sealed at rest', () => {
    const mysql = passwordMechanismsFor('mysql');
    expect(mysql.map((m) => m.name)).toEqual([MYSQL_NATIVE_PASSWORD, CACHING_SHA2_PASSWORD]);
    expect(mysql.every((m) => m.sealAtRest)).toBe(true);
    expect(findPasswordMechanism(SCRAM_SHA_256_MECHANISM)?.sealAtRest).toBe(false);
  });

  it('an engine without mechanisms gets none; client_ed25519 is not implemented', () => {
    expect(passwordMechanismsFor('toy')).toEqual([]);
    expect(findPasswordMechanism('client_ed25519')).toBeUndefined();
    expect(new Set(PASSWORD_MECHANISMS.map((m) => m.name)).size).toBe(PASSWORD_MECHANISMS.length);
  });
});

describe('SCRAM-SHA-256', () => {
  const scram = findPasswordMechanism(SCRAM_SHA_256_MECHANISM);

  it('computes a fresh verifier with the configured iterations and a random salt', () => {
    const a = parseScramVerifier(scram?.compute('correct horse', { scramIterations: 4100 }) ?? '');
    const b = parseScramVerifier(scram?.compute('correct horse', { scramIterations: 4100 }) ?? '');
    expect(a?.iterations).toBe(4100);
    expect(a?.salt.equals(b?.salt ?? Buffer.alloc(0))).toBe(false);
  });

  it('reuses the previous verifier salt and iterations (rotation), ignoring the configured count', () => {
    const previous = createScramVerifier('old password', { iterations: 5000 });
    const next = scram?.compute('new password', { previous, scramIterations: 4096 }) ?? '';
    const p = parseScramVerifier(previous);
    const n = parseScramVerifier(next);
    expect(n?.iterations).toBe(5000);
    expect(n?.salt).toEqual(p?.salt);
    expect(next).toBe(createScramVerifier('new password', { salt: p?.salt as Buffer, iterations: 5000 }));
  });

  it('a previous verifier it cannot parse is ignored', () => {
    const next = scram?.compute('new password', { previous: 'md5abc', scramIterations: 4097 }) ?? '';
    expect(parseScramVerifier(next)?.iterations).toBe(4097);
  });
});

describe('mysql_native_password', () => {
  it("stores '*' + upper-case hex SHA1(SHA1(password)), as MySQL's PASSWORD('password') does", () => {
    expect(compute(MYSQL_NATIVE_PASSWORD, 'password')).toBe('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  });

  it('the stored form verifies a response captured with Wireshark (Boost.MySQL test vector, password root)', () => {
    const nonce = Buffer.from('79643d121d7174475f483e3e0b620a033d273a4c', 'hex');
    const response = Buffer.from('f1b2fb1c8de75db8eba8126ad10fe9b11050d428', 'hex');
    expect(nativeAccepts(compute(MYSQL_NATIVE_PASSWORD, 'root'), nonce, response)).toBe(true);
    expect(nativeAccepts(compute(MYSQL_NATIVE_PASSWORD, 'Root'), nonce, response)).toBe(false);
  });

  it('the stored form verifies a JDBC-captured response (kingshard test vector, password kingshard)', () => {
    const nonce = Buffer.from('@jx=d_3z42;sS$YrS)p|', 'latin1');
    const response = Buffer.from('fbc71db5ac3d7b51048d1a1d88c1677f34bcca11', 'hex');
    expect(nativeAccepts(compute(MYSQL_NATIVE_PASSWORD, 'kingshard'), nonce, response)).toBe(true);
  });

  it('hashes the UTF-8 bytes of the password, unnormalised', () => {
    const expected = sha('sha1', sha('sha1', Buffer.from('pässwörd', 'utf8')));
    expect(compute(MYSQL_NATIVE_PASSWORD, 'pässwörd')).toBe(`*${expected.toString('hex').toUpperCase()}`);
  });

  it('parses only its own form', () => {
    expect(parseMysqlNativeVerifier('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19')?.length).toBe(20);
    expect(parseMysqlNativeVerifier('*2470c0c06dee42fd1618bb99005adca2ec9d1e19')).toBeNull();
    expect(parseMysqlNativeVerifier('2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19')).toBeNull();
  });
});

describe('caching_sha2_password (fast-auth path)', () => {
  it('stores lower-case hex SHA256(SHA256(password))', () => {
    expect(compute(CACHING_SHA2_PASSWORD, 'password')).toBe(
      sha('sha256', sha('sha256', Buffer.from('password'))).toString('hex'),
    );
    expect(compute(CACHING_SHA2_PASSWORD, 'password')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the stored form verifies go-sql-driver/mysql scrambles (TestSHA256Pass vectors)', () => {
    const nonce = Buffer.from([
      10, 47, 74, 111, 75, 73, 34, 48, 88, 76, 114, 74, 37, 13, 3, 80, 82, 2, 23, 21,
    ]);
    const vectors: [string, string][] = [
      ['secret', 'f490e76f66d9d86665ce54d98c78d0acfe2fb0b08b423da807144873d30b312c'],
      ['secret2', 'abc3934a012cf342e876071c8ee202de51785b430258a7a0138bc79c4d800bc6'],
    ];
    for (const [password, response] of vectors) {
      expect(
        fastAuthAccepts(compute(CACHING_SHA2_PASSWORD, password), nonce, Buffer.from(response, 'hex')),
      ).toBe(true);
    }
    const secret2 = Buffer.from(vectors[1]?.[1] as string, 'hex');
    expect(fastAuthAccepts(compute(CACHING_SHA2_PASSWORD, 'secret'), nonce, secret2)).toBe(false);
  });

  it('the stored form verifies a MySQL Python connector scramble (Boost.MySQL test vector, password hola)', () => {
    const nonce = Buffer.from('3e3b04550470163a4c1535031576732246081801', 'hex');
    const response = Buffer.from('a1c1e1e91bb6544ba7374b9c566d693e06ca070298acd10618c690389d88e120', 'hex');
    expect(fastAuthAccepts(compute(CACHING_SHA2_PASSWORD, 'hola'), nonce, response)).toBe(true);
  });

  it('parses only its own form', () => {
    expect(parseCachingSha2Verifier(compute(CACHING_SHA2_PASSWORD, 'x'))?.length).toBe(32);
    expect(parseCachingSha2Verifier('A'.repeat(64))).toBeNull();
    expect(parseCachingSha2Verifier('$A$005$abc')).toBeNull();
  });
});
