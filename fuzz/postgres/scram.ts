// Client side of SCRAM-SHA-256 (RFC 5802 / 7677) for the fuzzer: builds honest messages so mutations can be
// applied at a chosen point of an otherwise valid exchange. Salted passwords are cached (one PBKDF2 per salt).
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';

export interface ServerFirst {
  readonly text: string;
  readonly nonce: string;
  readonly salt: Buffer;
  readonly iterations: number;
}

export function parseServerFirst(data: Buffer): ServerFirst | null {
  const text = data.toString('latin1');
  const attrs = new Map(text.split(',').map((p) => [p.slice(0, 1), p.slice(2)] as const));
  const nonce = attrs.get('r');
  const salt = attrs.get('s');
  const iterations = Number(attrs.get('i'));
  if (
    !nonce ||
    salt === undefined ||
    !Number.isInteger(iterations) ||
    iterations < 1 ||
    iterations > 100_000
  ) {
    return null;
  }
  return { text, nonce, salt: Buffer.from(salt, 'base64'), iterations };
}

const salted = new Map<string, Buffer>();

function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  const key = `${password}\0${salt.toString('base64')}\0${iterations}`;
  let value = salted.get(key);
  if (!value) {
    value = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
    if (salted.size > 1000) salted.clear();
    salted.set(key, value);
  }
  return value;
}

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text, 'latin1').digest();

/** The ClientProof of `password` for this exchange (`withoutProof` = `c=…,r=…`). */
export function clientProof(
  password: string,
  server: ServerFirst,
  clientFirstBare: string,
  withoutProof: string,
): Buffer {
  const clientKey = hmac(saltedPassword(password, server.salt, server.iterations), 'Client Key');
  const storedKey = createHash('sha256').update(clientKey).digest();
  const signature = hmac(storedKey, `${clientFirstBare},${server.text},${withoutProof}`);
  const proof = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) proof[i] = (clientKey[i] as number) ^ (signature[i] as number);
  return proof;
}

/** The `c=` value for a gs2 header (and the certificate hash when binding with p=tls-server-end-point). */
export function channelBindingValue(gs2Header: string, certificateHash: Buffer | null): string {
  const header = Buffer.from(gs2Header, 'latin1');
  return (certificateHash ? Buffer.concat([header, certificateHash]) : header).toString('base64');
}
