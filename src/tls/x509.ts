// @peculiar/x509 loaded ready for use: Reflect metadata for its tsyringe container, Node's WebCrypto as provider.
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

let x509Module: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API before
 * the module is evaluated: load the standard polyfill first, import lazily, then make Node's WebCrypto
 * the provider.
 */
export function loadX509(): Promise<typeof X509> {
  x509Module ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);
    return x509;
  })();
  return x509Module;
}
