import { execFile } from 'node:child_process';
import { createHash, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateHashForChannelBinding, channelBindingDigest } from '../../../src/tls/channel-binding.js';
import { loadX509 } from '../../../src/tls/x509.js';

const run = promisify(execFile);
type X509 = Awaited<ReturnType<typeof loadX509>>;
let x509: X509;
beforeAll(async () => {
  x509 = await loadX509();
});

const rsa = (name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS', hash: string) => ({
  name,
  hash,
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
});

/** A self-signed certificate made with @peculiar/x509 (WebCrypto keys), as DER. */
async function selfSigned(
  keyAlgorithm: Record<string, unknown>,
  signingAlgorithm: Record<string, unknown>,
): Promise<Buffer> {
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm as never, true, ['sign', 'verify'])) as never;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=channel-binding-test',
    keys,
    signingAlgorithm: signingAlgorithm as never,
  });
  return Buffer.from(cert.rawData);
}

/** A self-signed certificate made by the openssl CLI with the given digest (for MD5/SHA-1/SHA-224). */
async function opensslCert(keyArgs: string[], digest: string): Promise<Buffer> {
  const { stdout } = await run(
    '/usr/bin/openssl',
    [
      'req',
      '-x509',
      ...keyArgs,
      `-${digest}`,
      '-nodes',
      '-subj',
      '/CN=cb',
      '-days',
      '1',
      '-keyout',
      '/dev/null',
      '-outform',
      'DER',
    ],
    { encoding: 'buffer' },
  );
  return stdout;
}

async function opensslSignatureName(der: Buffer): Promise<string> {
  const child = execFile('/usr/bin/openssl', ['x509', '-inform', 'DER', '-noout', '-text']);
  const out = new Promise<string>((resolve) => {
    let text = '';
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
    });
    child.on('close', () => resolve(/Signature Algorithm: (\S+)/.exec(text)?.[1] ?? ''));
  });
  child.stdin?.end(der);
  return out;
}

describe('certificateHashForChannelBinding (RFC 5929 §4.1, as PostgreSQL computes it)', () => {
  it('hashes an ecdsa-with-SHA256 certificate with SHA-256', async () => {
    const der = await selfSigned({ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' });
    expect(await opensslSignatureName(der)).toBe('ecdsa-with-SHA256');
    expect(certificateHashForChannelBinding(der)).toEqual(createHash('sha256').update(der).digest());
  });

  it('hashes an ecdsa-with-SHA384 certificate with SHA-384', async () => {
    const der = await selfSigned({ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' });
    expect(await opensslSignatureName(der)).toBe('ecdsa-with-SHA384');
    expect(certificateHashForChannelBinding(der)).toEqual(createHash('sha384').update(der).digest());
  });

  it('hashes sha384WithRSAEncryption with SHA-384 and sha512WithRSAEncryption with SHA-512', async () => {
    const d384 = await selfSigned(rsa('RSASSA-PKCS1-v1_5', 'SHA-384'), { name: 'RSASSA-PKCS1-v1_5' });
    const d512 = await selfSigned(rsa('RSASSA-PKCS1-v1_5', 'SHA-512'), { name: 'RSASSA-PKCS1-v1_5' });
    expect(await opensslSignatureName(d384)).toBe('sha384WithRSAEncryption');
    expect(await opensslSignatureName(d512)).toBe('sha512WithRSAEncryption');
    expect(certificateHashForChannelBinding(d384)).toEqual(createHash('sha384').update(d384).digest());
    expect(certificateHashForChannelBinding(d512)).toEqual(createHash('sha512').update(d512).digest());
    expect(certificateHashForChannelBinding(d512)?.length).toBe(64);
  });

  it('hashes an RSASSA-PSS certificate with the hash named in its parameters', async () => {
    const der = await selfSigned(rsa('RSA-PSS', 'SHA-384'), {
      name: 'RSA-PSS',
      hash: 'SHA-384',
      saltLength: 48,
    });
    expect(await opensslSignatureName(der)).toBe('rsassaPss');
    expect(channelBindingDigest(der)).toBe('sha384');
    expect(certificateHashForChannelBinding(der)).toEqual(createHash('sha384').update(der).digest());
  });

  it('upgrades MD5 and SHA-1 signatures to SHA-256, and keeps SHA-224', async () => {
    const md5 = await opensslCert(['-newkey', 'rsa:1024'], 'md5');
    const sha1Rsa = await opensslCert(['-newkey', 'rsa:1024'], 'sha1');
    const sha1Ec = await opensslCert(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'sha1');
    const sha224 = await opensslCert(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'sha224');
    expect(await opensslSignatureName(md5)).toBe('md5WithRSAEncryption');
    expect(await opensslSignatureName(sha1Ec)).toBe('ecdsa-with-SHA1');
    for (const der of [md5, sha1Rsa, sha1Ec]) {
      expect(certificateHashForChannelBinding(der)).toEqual(createHash('sha256').update(der).digest());
    }
    expect(certificateHashForChannelBinding(sha224)).toEqual(createHash('sha224').update(sha224).digest());
  });

  it('offers no binding for Ed25519, whose signature has no separate hash', async () => {
    const der = await selfSigned({ name: 'Ed25519' }, { name: 'Ed25519' });
    expect(await opensslSignatureName(der)).toBe('ED25519');
    expect(certificateHashForChannelBinding(der)).toBeNull();
  });

  it('returns null, never throws, for every truncation and for arbitrary or mutated bytes', async () => {
    const der = await selfSigned({ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' });
    for (let n = 0; n < der.length; n++) {
      expect(certificateHashForChannelBinding(der.subarray(0, n))).toBeNull();
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expect(() => certificateHashForChannelBinding(Buffer.from(bytes))).not.toThrow();
      }),
    );
    fc.assert(
      fc.property(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 }), (index, value) => {
        const copy = Buffer.from(der);
        copy[index] = value;
        // Whatever it decides, the answer is null or a hash of exactly the bytes it was given.
        const digest = channelBindingDigest(copy);
        const result = certificateHashForChannelBinding(copy);
        expect(result).toEqual(digest === null ? null : createHash(digest).update(copy).digest());
      }),
    );
  });
});
