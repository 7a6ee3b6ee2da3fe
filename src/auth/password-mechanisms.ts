// Password mechanisms and the verifier each stores. Plaintext passwords are never kept, so a verifier can only be
// computed while a password is being set or rotated: for every mechanism serving the instance's engine.
import { createHash } from 'node:crypto';
import { createScramVerifier, parseScramVerifier } from './scram/verifier.js';

export interface PasswordMechanismOptions {
  /**
   * The user's current verifier of this mechanism, for mechanisms stored in clear (`sealAtRest` false):
   * SCRAM-SHA-256 reuses its salt and iteration count, because SCRAM sends the salt before the client
   * proves anything and every verifier valid at once must share it (docs/auth.md).
   */
  readonly previous?: string;
  /** PBKDF2 iterations for a new SCRAM-SHA-256 verifier (`scram.iterations`). */
  readonly scramIterations?: number;
}

export interface PasswordMechanism {
  /** The mechanism as the protocol names it; stored with each verifier (`StoredVerifier.mechanism`). */
  readonly name: string;
  /** Engines whose password users get a verifier of this mechanism. */
  readonly engines: readonly string[];
  /**
   * Sealed under the master key in the store. True for unsalted fast hashes (a store dump must not be a
   * rainbow-table target); SCRAM verifiers are salted and iterated and kept as PostgreSQL keeps them.
   */
  readonly sealAtRest: boolean;
  compute(password: string, options?: PasswordMechanismOptions): string;
}

export const SCRAM_SHA_256_MECHANISM = 'SCRAM-SHA-256';
export const MYSQL_NATIVE_PASSWORD = 'mysql_native_password';
export const CACHING_SHA2_PASSWORD = 'caching_sha2_password';

function sha(algorithm: 'sha1' | 'sha256', data: Buffer): Buffer {
  return createHash(algorithm).update(data).digest();
}

/** PostgreSQL's `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>` (src/auth/scram/verifier.ts). */
const scramSha256: PasswordMechanism = {
  name: SCRAM_SHA_256_MECHANISM,
  engines: ['postgres'],
  sealAtRest: false,
  compute(password, options = {}) {
    const previous = options.previous === undefined ? null : parseScramVerifier(options.previous);
    return previous
      ? createScramVerifier(password, { salt: previous.salt, iterations: previous.iterations })
      : createScramVerifier(
          password,
          options.scramIterations === undefined ? {} : { iterations: options.scramIterations },
        );
  },
};

/**
 * MySQL's `*` + upper-case hex SHA1(SHA1(password)), exactly as mysql.user.authentication_string holds it. The
 * server checks a client's SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))) against it. The password is
 * hashed as the UTF-8 bytes the client sends (no normalisation).
 */
const mysqlNativePassword: PasswordMechanism = {
  name: MYSQL_NATIVE_PASSWORD,
  engines: ['mysql'],
  sealAtRest: true,
  compute(password) {
    return `*${sha('sha1', sha('sha1', Buffer.from(password, 'utf8')))
      .toString('hex')
      .toUpperCase()}`;
  },
};

/**
 * caching_sha2_password: lower-case hex SHA256(SHA256(password)), what the fast-auth path needs (the server's
 * in-memory cache entry). The client sends SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce); the
 * server recovers SHA256(password) with the stored value and checks that it hashes to it. MySQL's own stored form
 * (`$A$005$` salted SHA-256 crypt) serves the full-auth path instead, which needs the cleartext password: sent
 * over TLS (or RSA-encrypted), which a gateway can check against this same value by hashing it twice.
 */
const cachingSha2Password: PasswordMechanism = {
  name: CACHING_SHA2_PASSWORD,
  engines: ['mysql'],
  sealAtRest: true,
  compute(password) {
    return sha('sha256', sha('sha256', Buffer.from(password, 'utf8'))).toString('hex');
  },
};

/**
 * Every mechanism Gatehouse can compute. MariaDB's `client_ed25519` is not here: its verifier is the Ed25519
 * public key of a key pair whose expanded secret is SHA-512(password) (an arbitrary-length seed), which Node's
 * crypto cannot derive without a new dependency (docs/decisions.md).
 */
export const PASSWORD_MECHANISMS: readonly PasswordMechanism[] = [
  scramSha256,
  mysqlNativePassword,
  cachingSha2Password,
];

export function findPasswordMechanism(name: string): PasswordMechanism | undefined {
  return PASSWORD_MECHANISMS.find((m) => m.name === name);
}

/** The mechanisms whose verifiers a password user of an `engine` instance gets (empty: none known). */
export function passwordMechanismsFor(engine: string): PasswordMechanism[] {
  return PASSWORD_MECHANISMS.filter((m) => m.engines.includes(engine));
}

/** The 20-byte SHA1(SHA1(password)) of a mysql_native_password verifier, or null when malformed. */
export function parseMysqlNativeVerifier(text: string): Buffer | null {
  return /^\*[0-9A-F]{40}$/.test(text) ? Buffer.from(text.slice(1), 'hex') : null;
}

/** The 32-byte SHA256(SHA256(password)) of a caching_sha2_password verifier, or null when malformed. */
export function parseCachingSha2Verifier(text: string): Buffer | null {
  return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : null;
}
