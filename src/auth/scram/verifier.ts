// SCRAM-SHA-256 secrets: SASLprep as PostgreSQL applies it, key derivation (RFC 5802 §3) and the verifier format
// PostgreSQL stores in pg_authid.rolpassword: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { decodeBase64Strict, messageBytes } from './messages.js';

export const SCRAM_KEY_LENGTH = 32;
export const SCRAM_DEFAULT_ITERATIONS = 4096; // PostgreSQL's scram_iterations default
export const SCRAM_DEFAULT_SALT_LENGTH = 16; // PostgreSQL's SCRAM_DEFAULT_SALT_LEN
const MAX_ITERATIONS_FIELD = 2_147_483_647;

export interface ScramSecret {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export interface ScramVerifierOptions {
  salt?: Buffer;
  iterations?: number;
}

export function scramHash(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** HMAC-SHA-256; string data is a SCRAM byte string (see messageBytes). */
export function scramHmac(key: Buffer, data: Buffer | string): Buffer {
  return createHmac('sha256', key)
    .update(typeof data === 'string' ? messageBytes(data) : data)
    .digest();
}

export function xorBuffers(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/**
 * The bytes PBKDF2 is fed: the SASLprep'd password when SASLprep succeeds, otherwise the raw UTF-8 bytes —
 * PostgreSQL's leniency (auth-scram.c "SASLprep usage"), which libpq mirrors, so logins from psql keep working.
 */
export function scramPasswordBytes(password: string): Buffer {
  return Buffer.from(saslPrep(password) ?? password, 'utf8');
}

/** SaltedPassword := Hi(Normalize(password), salt, i) (RFC 5802 §3), Hi being PBKDF2-HMAC-SHA-256. */
export function scramSaltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(scramPasswordBytes(password), salt, iterations, SCRAM_KEY_LENGTH, 'sha256');
}

/** ClientKey := HMAC(SaltedPassword, "Client Key"); ServerKey := HMAC(SaltedPassword, "Server Key"). */
export function scramKeys(saltedPassword: Buffer): {
  clientKey: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
} {
  const clientKey = scramHmac(saltedPassword, 'Client Key');
  return { clientKey, storedKey: scramHash(clientKey), serverKey: scramHmac(saltedPassword, 'Server Key') };
}

export function createScramSecret(password: string, options: ScramVerifierOptions = {}): ScramSecret {
  const iterations = options.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS_FIELD) {
    throw new RangeError(`SCRAM iteration count must be an integer from 1 to ${MAX_ITERATIONS_FIELD}`);
  }
  const salt = options.salt ?? randomBytes(SCRAM_DEFAULT_SALT_LENGTH);
  if (salt.length === 0) throw new RangeError('SCRAM salt must not be empty');
  const { storedKey, serverKey } = scramKeys(scramSaltedPassword(password, salt, iterations));
  return { iterations, salt, storedKey, serverKey };
}

export function formatScramVerifier(secret: ScramSecret): string {
  const b64 = (b: Buffer) => b.toString('base64');
  return `SCRAM-SHA-256$${secret.iterations}:${b64(secret.salt)}$${b64(secret.storedKey)}:${b64(secret.serverKey)}`;
}

/** The string PostgreSQL accepts verbatim in `CREATE ROLE ... PASSWORD '<verifier>'` and stores in pg_authid. */
export function createScramVerifier(password: string, options: ScramVerifierOptions = {}): string {
  return formatScramVerifier(createScramSecret(password, options));
}

const VERIFIER = /^SCRAM-SHA-256\$([1-9][0-9]{0,9}):([^$:]+)\$([^$:]+):([^$:]+)$/;

/** Parse a stored verifier; null unless every part is well formed (strict base64, 32-byte keys). */
export function parseScramVerifier(text: string): ScramSecret | null {
  const m = VERIFIER.exec(text);
  if (!m) return null;
  const iterations = Number(m[1]);
  const salt = decodeBase64Strict(m[2] ?? '');
  const storedKey = decodeBase64Strict(m[3] ?? '');
  const serverKey = decodeBase64Strict(m[4] ?? '');
  if (iterations > MAX_ITERATIONS_FIELD || !salt || salt.length === 0) return null;
  if (storedKey?.length !== SCRAM_KEY_LENGTH || serverKey?.length !== SCRAM_KEY_LENGTH) return null;
  return { iterations, salt, storedKey, serverKey };
}

/**
 * SASLprep (RFC 4013) the way PostgreSQL's pg_saslprep does it, returning null where PostgreSQL would fall back
 * to the raw password: ASCII passes unchanged; otherwise map (C.1.2 spaces -> U+0020, B.1 removed), refuse an
 * empty result, NFKC-normalise, and refuse prohibited (C.1.2-C.9), unassigned-in-Unicode-3.2 (A.1) and bad bidi
 * (RFC 3454 §6) strings. Like PostgreSQL (and so libpq), the refusal checks look at the mapped string before
 * normalisation; matching libpq byte for byte is what lets psql users log in.
 */
export function saslPrep(input: string): string | null {
  if (/^\p{ASCII}*$/u.test(input)) return input;
  if (/\p{Cs}/u.test(input)) return null; // a lone surrogate: not valid UTF-8, PostgreSQL uses the raw bytes
  const mapped: number[] = [];
  for (const ch of input) {
    const cp = ch.codePointAt(0) ?? 0;
    if (inTable(NON_ASCII_SPACE, cp)) mapped.push(0x20);
    else if (!inTable(MAPPED_TO_NOTHING, cp)) mapped.push(cp);
  }
  if (mapped.length === 0) return null;
  if (mapped.some((cp) => inTable(PROHIBITED, cp) || inTable(UNASSIGNED, cp))) return null;
  if (mapped.some((cp) => inTable(RAND_AL_CAT, cp))) {
    const first = mapped[0] ?? 0;
    const last = mapped[mapped.length - 1] ?? 0;
    if (mapped.some((cp) => inTable(L_CAT, cp))) return null;
    if (!inTable(RAND_AL_CAT, first) || !inTable(RAND_AL_CAT, last)) return null;
  }
  return String.fromCodePoint(...mapped).normalize('NFKC');
}

/**
 * Code point tables are packed as comma-separated base-36 tokens `gap[.span]`: the range starts `gap` after the
 * end of the previous one (+1) and covers `span` more code points. They were generated from Python's `stringprep`
 * module (RFC 3454 over the Unicode 3.2 database).
 */
function ranges(packed: string): Uint32Array {
  const tokens = packed.split(',');
  const out = new Uint32Array(tokens.length * 2);
  let next = 0;
  tokens.forEach((token, i) => {
    const [gap = '0', span = '0'] = token.split('.');
    const start = next + Number.parseInt(gap, 36);
    const end = start + Number.parseInt(span, 36);
    out[i * 2] = start;
    out[i * 2 + 1] = end;
    next = end + 1;
  });
  return out;
}

function inTable(table: Uint32Array, cp: number): boolean {
  let lo = 0;
  let hi = table.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < (table[mid * 2] ?? 0)) hi = mid - 1;
    else if (cp > (table[mid * 2 + 1] ?? 0)) lo = mid + 1;
    else return true;
  }
  return false;
}

/** RFC 3454 C.1.2: non-ASCII space characters, mapped to U+0020. */
const NON_ASCII_SPACE = ranges('4g,4bj,1vj.b,z,1b,334');

/** RFC 3454 B.1: commonly mapped to nothing. */
const MAPPED_TO_NOTHING = ranges('4t,ip,43a,4.2,1kt.2,2a,17rz.f,6n');

/** RFC 4013 §2.3 prohibited output: RFC 3454 C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9. */
const PROHIBITED = ranges(
  '0.v,2n.x,in.1,pn,1d,31s,b1,1kh.f,o.7,1b.4,6.5,328.b,4,x6n.6in,y8.v,7j,6x.6,15df.7,96r.1,1eke.1,1' +
    'eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1,u.2n,1egu.2t4x',
);

/** RFC 3454 A.1: code points unassigned in Unicode 3.2. */
const UNASSIGNED = ranges(
  'f5,i.r,2m.1,1r.g,28.f,g.3,2.3,1.2,1.4,7,1,k,18,13.8,3r,1z,12.1,2.5,g.w,12.1,7,13,2.5,h,n,a.a,r.4' +
    ',5.m,1.d,1.2,1,q.4,m.9,3y.1,f,e,u.2,r.1g,1e.9a,3,1h.1,i.1,5.2,p.f,3,8.1,2.1,m,7,1.2,4.1,1,7.1,2.' +
    '1,3.8,1.3,2,5.1,l.6,1.1,6.3,2.1,m,7,2,2,2.1,1,5.3,2.1,3.a,4,1.6,f.b,3,7,1,3,m,7,2,5.1,a,3,3.1,1.' +
    'e,1.4,a.g,3,8.1,2.1,m,7,2.1,4.1,8.2,2.1,3.7,2.3,2,3.3,b.g,2,6.2,3,4.2,2,1,2.2,2.2,3.2,8,3.3,5.2,' +
    '3,4.8,1.e,c.d,3,8,3,n,a,5.3,7,3,4.6,2.8,2.3,a.h,2,8,3,n,a,5.3,7,3,4.6,2.6,1,2.3,a.h,2,8,3,n,g.3,' +
    '6.1,3,4.8,1.7,2.3,a.h,2,i.2,o,9,1.1,7.2,1.3,6,1,8.h,3.b,1m.3,t.10,2,1.1,2,1.1,1.5,4,7,3,1,1.1,2,' +
    'd,3.1,5,1,6.1,a.1,2.x,20,y.5,r.3,8,10,f.1,1.1b,y,5,2,7.2,4.5,q.1x,12.9,15.1,1.3,2i.4,1w.4,2a.5,7' +
    ',1r,1,4.1,7,1,4.1,13,1,4.1,v,1,4.1,7,1,4.1,7,7,n,v,1,4.1,7,13,j.5,s.y,2d.b,hi.8,t.2,29.e,d,7.a,n' +
    '.8,k.b,d,3,2.b,2l.2,a.l,f,a.5,2g.7,16.11x,4c.3,2i.5,m.1,6.1,12.1,6.1,8,1,1,1,v.1,1h,f,e.1,6,j.1,' +
    '3,9,2b.3,1.6,5.5,8.1,r.g,i.t,r.k,1n.1,f.6,1d.b,fz.1c,13.o,b.k,4f,7o.1,2,2t.1,a.3a,4,4.1,s,z,1,4.' +
    '2,1,7.1,1g.2,o,e.g,s.3,ls.ov,q,2h.b,5y.p,c.3,1s,2e.1,2v.4,14.3,2m,14.1j,19.2,10.c,17.2,25.3,1b,3' +
    'b.3,2r.1,v,52u.21,g4m.2h,wd.2,1j.1fc,8mc.2j,6r2.1,1n.44,7.b,5.4,q,5,1,2,2,30.w,a5.f,1s.1,1i.7,19' +
    '.2,g.f,4.b,n.1,a,j,4.3,5,3r.1,1,5a.2,6.1,6.1,6.1,3.2,7,7.9,7.lb,v,4.b,r.50,12.1,12.148h,6u.9,13.' +
    '2,50.f5,2d,1z,2.1,1.1,2.1,4,c,1,4,2,1t,4.1,8,7,s,4,5,1.2,7,9e.3,82.3,1e.7wd,wyh.g14,f2.15r,2.1ek' +
    'd,2.1ekd,2.1ekd,2.1ekd,2.1ekd,2.1ekd,2.1ekd,2.1ekd,2.1ekd,2.1ekd,2.1ekd,2,1.t,2o.1egt',
);

/** RFC 3454 D.1: bidirectional category R or AL. */
const RAND_AL_CAT = ranges(
  '14u,1,2,c.q,5.4,12,3,1.p,5.a,y.2,1.2s,7,7.1,j.4,1.d,2,1.q,2b.11,b,4t9,179p,1.9,1.c,1.4,1,1.1,1.1' +
    ',1.2z,x.a2,i.1r,2.1h,14.c,37.4,1.3q',
);

/** RFC 3454 D.2: bidirectional category L. */
const L_CAT = ranges(
  '1t.p,6.p,1b,a,4,5.m,1.u,1.88,1.h,s.2l,2.8,2.6,e.1,e.4,9,3v,b,1.2,1,1.j,1.17,1.11,a.3m,7.1w,1.11,' +
    '2.1,6.f,x.11,2.6,1.12,1,op,1.1g,3.3,8.3,3,7.9,2.c,h.1,1.7,2.1,2.l,1.6,1,3.3,4.2,6.1,2.1,a,4.1,1.' +
    '2,4.b,2.6,a.5,4.1,2.l,1.6,1.1,1.1,1.1,4.2,o.3,1,7.9,2.2,e,1.6,1,1.2,1.l,1.6,1.1,1.4,3.3,8,1.1,3,' +
    'f,5.9,i.1,1.7,2.1,2.l,1.6,1.1,2.3,3.1,1,6.1,2.1,a,4.1,1.2,4.a,i,1.5,3.2,1.3,3.1,1,1.1,3.1,3.2,3.' +
    '7,1.2,4.1,1.1,3.2,1.2,a,f.b,e.2,1.7,1.2,1.m,1.9,1.4,7.3,r.1,4.9,i.1,1.7,1.2,1.m,1.9,1.4,4,1.4,2.' +
    '1,1.1,9.1,7,1.1,4.9,i.1,1.7,1.2,1.m,1.f,4.2,5.2,1.2,a,8.1,4.9,i.1,1.h,3.n,1.8,1,2.6,8.2,6.7,i.2,' +
    'c.1b,1.1,c.6,8.c,11.1,1,2.1,1,2,6.3,1.6,1.2,1,1,2.1,1.3,1.1,9,2.4,1,9.9,2.1,y.n,2.q,1,1,5.9,1.x,' +
    'k,5,2.3,1e.7,1.5,2,1c.x,1.4,1.1,1,4,6,7.n,20.11,a.14,2,4.2h,5.1v,5.29,6.6,1.1q,1,1.3,2.6,1,1.3,2' +
    '.12,1,1.3,2.u,1,1.3,2.6,1,1.3,2.6,1.6,1.m,1.u,1,1.3,2.6,1.12,1.i,6.r,z.2c,c.hh,a.p,5.28,f.c,1.3,' +
    'e.h,3.1,9.h,e.c,1.2,f.1i,7.7,1.1,b.6,1,3.9,12.9,6.2f,8.14,11z.4b,4.2h,6.l,2.5,2.11,2.5,2.7,1,1,1' +
    ',1.u,2.1g,1.6,1,3.2,1.6,3.3,2.5,4.c,5.2,1.6,h,2q,d,3m,4,2.9,1,3.4,6,1,1,1.3,1.2,1.6,3.2,5.4,m.z,' +
    'c2.1w,q,7a.25,26z.2,p.8,7.4,2.4,4.2d,6.2,1.2h,1.3,5.13,4.2l,1.13,1k.18,3.z,s.r,3.1d,f.b,4.1a,1.3' +
    'a,4.2q,2.u,1.52t,22.g4l,2i.wc,1gz.8mb,2k.6r1,2.1m,45.6,c.4,sp.p,6.p,b.2g,3.5,2.5,2.5,2.2,mb.u,1.' +
    '3,c.q,51.11,2.11,148i.6t,a.12,3.1o,3.8,g.1,7.t,4.1b,f6.2c,1.1y,1.1,2,2.1,2.3,1.b,1,1.3,1.1,1.1s,' +
    '1.3,2.7,1.6,1.r,1.3,1.4,1,3.6,1.9d,4.81,7xy.wye,g15.f1,gvz6.1ekd,2.1ekd',
);
