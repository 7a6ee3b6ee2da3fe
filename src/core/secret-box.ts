// Seals secrets at rest (backend passwords, access-key secrets) with AES-256-GCM under the master key.
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { GatehouseError } from './errors.js';

export interface SecretBox {
  /** Non-secret fingerprint of the master key, safe to log and store (16 hex chars). */
  readonly keyId: string;
  /** version(1) || iv(12) || ciphertext || tag(16). `aad` binds the value to its context (e.g. a row). */
  seal(plaintext: string | Buffer, aad?: string): Buffer;
  /** The plaintext; throws when the key, the aad or any byte is wrong. */
  open(sealed: Buffer, aad?: string): Buffer;
}

export const MASTER_KEY_BYTES = 32;
const FORMAT_VERSION = 1;
const IV_BYTES = 12; // the GCM nonce size NIST SP 800-38D recommends
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES;
const KEY_ID_LABEL = 'gatehouse/master-key-id/v1';

/** The key id: HMAC-SHA256(masterKey, fixed label), first 16 hex chars. Reveals nothing about the key. */
export function masterKeyId(masterKey: Buffer): string {
  return createHmac('sha256', masterKey).update(KEY_ID_LABEL).digest('hex').slice(0, 16);
}

/** The authenticated data: the version byte is covered too, so a future format cannot be spliced in. */
function additionalData(aad: string | undefined): Buffer {
  return Buffer.concat([Buffer.from([FORMAT_VERSION]), Buffer.from(aad ?? '', 'utf8')]);
}

function unsealable(reason: string): GatehouseError {
  return new GatehouseError('GH_SECRET_UNSEALABLE', {}, { detail: `cannot open sealed secret: ${reason}` });
}

export function createSecretBox(masterKey: Buffer): SecretBox {
  if (masterKey.length !== MASTER_KEY_BYTES) {
    throw new GatehouseError('GH_MASTER_KEY_INVALID', { reason: `got ${masterKey.length} bytes` });
  }
  // A KeyObject holds its own copy, so later changes to the caller's buffer cannot affect us.
  const key = createSecretKey(Buffer.from(masterKey));
  const keyId = masterKeyId(masterKey);

  return {
    keyId,
    seal(plaintext, aad) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(aad));
      const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
      const body = Buffer.concat([cipher.update(data), cipher.final()]);
      return Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, body, cipher.getAuthTag()]);
    },
    open(sealed, aad) {
      if (sealed.length < HEADER_BYTES + TAG_BYTES) throw unsealable(`too short (${sealed.length} bytes)`);
      if (sealed[0] !== FORMAT_VERSION) throw unsealable(`unknown format version ${sealed[0]}`);
      const iv = sealed.subarray(1, HEADER_BYTES);
      const body = sealed.subarray(HEADER_BYTES, sealed.length - TAG_BYTES);
      const tag = sealed.subarray(sealed.length - TAG_BYTES);
      // authTagLength pins the tag size: GCM would otherwise accept a truncated tag.
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(aad));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw unsealable(
          `authentication failed (wrong master key ${keyId}, wrong context, or tampered data)`,
        );
      }
    },
  };
}
