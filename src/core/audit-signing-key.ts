// The Ed25519 key that signs audit digests. It lives outside the store (a file, like the master key), so whoever
// can rewrite the store cannot re-sign a rewritten trail; its public half is what `audit verify` checks with.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { keyIdOf } from './audit-chain.js';

export interface AuditSigner {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;
  readonly path: string;
}

/** Read the key at `path`, or create it (mode 0600, never overwriting) when `create` and it does not exist. */
export function loadAuditSigningKey(path: string, create: boolean): AuditSigner {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !create) {
      throw new Error(`cannot read the audit signing key ${path}: ${(e as Error).message}`);
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
    } catch (w) {
      // Another node or process created it first: use theirs.
      if ((w as NodeJS.ErrnoException).code !== 'EEXIST') throw w;
      pem = readFileSync(path, 'utf8');
    }
  }
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`the audit signing key ${path} is ${privateKey.asymmetricKeyType}, not Ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey), path };
}

/** The public key as PEM (SPKI), for `gatehouse audit public-key` and auditors. */
export function publicKeyPem(signer: { publicKey: KeyObject }): string {
  return signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();
}
