// Identifier generation: request ids, AWS-shaped account and resource ids.
import { randomBytes, randomInt } from 'node:crypto';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomFrom(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Short id shown to clients and written to logs so an operator can find the full reason. */
export function newRequestId(): string {
  return randomBytes(8).toString('hex');
}

/** 12-digit AWS-style account id (never starting with 0, as AWS's never do). */
export function newAccountId(): string {
  return String(randomInt(1, 10)) + randomFrom('0123456789', 11);
}

/** RDS DbiResourceId: `db-` + 26 upper-case letters/digits. */
export function newDbiResourceId(): string {
  return `db-${randomFrom(UPPER_ALNUM, 26)}`;
}

/** AWS access key id: prefix (AKIA long-term, ASIA temporary) + 16 upper-case letters/digits. */
export function newAccessKeyId(prefix: 'AKIA' | 'ASIA' = 'AKIA'): string {
  return prefix + randomFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16);
}

/** 40-character secret access key (base64 alphabet, like AWS). */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64').replaceAll('+', 'A').replaceAll('/', 'B').slice(0, 40);
}

/** Human-typable generated password: 32 chars, URL/shell safe. */
export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}
