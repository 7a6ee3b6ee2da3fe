import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../src/core/errors.js';
import { createSecretBox, masterKeyId } from '../../../src/core/secret-box.js';

const key = randomBytes(32);
const box = createSecretBox(key);

function flip(buf: Buffer, index: number): Buffer {
  const copy = Buffer.from(buf);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

describe('createSecretBox', () => {
  it('opens what it sealed, for strings and binary, with and without aad', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.string(), { nil: undefined }),
        (bytes, aad) => {
          const plain = Buffer.from(bytes);
          expect(box.open(box.seal(plain, aad), aad).equals(plain)).toBe(true);
        },
      ),
    );
    expect(box.open(box.seal('pässwörd')).toString('utf8')).toBe('pässwörd');
  });

  it('uses the documented layout: version 1, 12-byte IV, ciphertext, 16-byte tag', () => {
    const sealed = box.seal('abc');
    expect(sealed[0]).toBe(1);
    expect(sealed.length).toBe(1 + 12 + 3 + 16);
  });

  it('uses a fresh IV each time, so equal plaintexts seal differently', () => {
    const a = box.seal('same');
    const b = box.seal('same');
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('refuses to open after any single bit of version, IV, ciphertext or tag is flipped', () => {
    const sealed = box.seal('backend-secret', 'row:42');
    for (let i = 0; i < sealed.length; i++) {
      expect(() => box.open(flip(sealed, i), 'row:42')).toThrow(GatehouseError);
    }
  });

  it('refuses a truncated tag or a value too short to hold one', () => {
    const sealed = box.seal('x');
    expect(() => box.open(sealed.subarray(0, sealed.length - 1))).toThrow(GatehouseError);
    expect(() => box.open(sealed.subarray(0, 28))).toThrow(GatehouseError);
    expect(() => box.open(Buffer.alloc(0))).toThrow(GatehouseError);
  });

  it('refuses to open with a different aad, or without the aad it was sealed with', () => {
    const sealed = box.seal('secret', 'instance:1');
    expect(() => box.open(sealed, 'instance:2')).toThrow(GatehouseError);
    expect(() => box.open(sealed)).toThrow(GatehouseError);
    expect(() => box.open(box.seal('secret'), 'instance:1')).toThrow(GatehouseError);
  });

  it('refuses to open with another master key', () => {
    const other = createSecretBox(randomBytes(32));
    expect(() => other.open(box.seal('secret'))).toThrow(
      expect.objectContaining({
        code: 'GH_SECRET_UNSEALABLE',
        detail: expect.stringMatching(/authentication failed/),
      }),
    );
  });

  it('keyId is a stable 16-hex fingerprint that differs between keys and is not the key', () => {
    expect(box.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(createSecretBox(Buffer.from(key)).keyId).toBe(box.keyId);
    expect(masterKeyId(key)).toBe(box.keyId);
    expect(createSecretBox(randomBytes(32)).keyId).not.toBe(box.keyId);
    expect(key.toString('hex')).not.toContain(box.keyId);
  });

  it('is not affected when the caller later overwrites its key buffer', () => {
    const k = randomBytes(32);
    const b = createSecretBox(k);
    const sealed = b.seal('v');
    k.fill(0);
    expect(b.open(sealed).toString()).toBe('v');
  });

  it('rejects a master key that is not 32 bytes with GH_MASTER_KEY_INVALID', () => {
    for (const n of [0, 16, 31, 33, 64]) {
      expect(() => createSecretBox(randomBytes(n))).toThrow(
        expect.objectContaining({ code: 'GH_MASTER_KEY_INVALID' }),
      );
    }
  });
});
