import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { CA_FILES, ensureCertificates, loadTlsMaterial, type TlsMaterial } from '../../../src/tls/ca.js';
import { loadX509 } from '../../../src/tls/x509.js';

/** The GatehouseError a promise rejects with (failing the test if it resolves or throws something else). */
async function caught(p: Promise<unknown>): Promise<GatehouseError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GatehouseError);
  return e as GatehouseError;
}

const run = promisify(execFile);
const DAY = 86_400_000;
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'gh-ca-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Connects to a TLS server using `material`, trusting `caPem`; resolves with the handshake outcome. */
async function handshake(
  material: TlsMaterial,
  connect: { host: string; servername?: string; caPem?: string },
): Promise<{ authorized: boolean; error?: string }> {
  const server = tls.createServer({ cert: material.certPem, key: material.keyPem }, (s) => s.end());
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, connect.host, r));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      const socket = tls.connect({
        host: connect.host,
        port,
        ca: connect.caPem ?? material.caPem,
        ...(connect.servername ? { servername: connect.servername } : {}),
      });
      socket.once('secureConnect', () => {
        resolve({ authorized: socket.authorized });
        socket.destroy();
      });
      socket.once('error', (e: NodeJS.ErrnoException) =>
        resolve({ authorized: false, error: e.code ?? e.message }),
      );
    });
  } finally {
    await new Promise((r) => server.close(r));
  }
}

describe('ensureCertificates', () => {
  it('creates a P-256 CA and a server certificate with the documented properties and private key modes', async () => {
    const dir = await tempDir();
    const m = await ensureCertificates(dir);
    expect(m.caFile).toBe(join(dir, CA_FILES.ca));
    expect(m.certFile).toBe(join(dir, CA_FILES.cert));
    expect(m.keyFile).toBe(join(dir, CA_FILES.key));
    expect((await stat(join(dir, CA_FILES.caKey))).mode & 0o777).toBe(0o600);
    expect((await stat(m.keyFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(m.certFile, 'utf8')).toBe(m.certPem);

    const x509 = await loadX509();
    const ca = new x509.X509Certificate(m.caPem);
    expect(ca.subject).toMatch(/^CN=Gatehouse Local CA [0-9a-f]{8}$/);
    expect(ca.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });
    expect(ca.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(ca.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect(ca.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    );
    const caYears = (ca.notAfter.getTime() - ca.notBefore.getTime()) / (365.25 * DAY);
    expect(caYears).toBeCloseTo(10, 1);

    const leaf = new x509.X509Certificate(m.certPem);
    expect(leaf.issuer).toBe(ca.subject);
    expect(leaf.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });
    expect(leaf.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(leaf.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.serverAuth,
    ]);
    expect(Math.round((leaf.notAfter.getTime() - leaf.notBefore.getTime()) / DAY)).toBe(825);
    const node = new X509Certificate(m.certPem);
    expect(node.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  });

  it('a TLS client trusting only ca.pem verifies the server as localhost, 127.0.0.1 and ::1', async () => {
    const m = await ensureCertificates(await tempDir());
    expect(await handshake(m, { host: '127.0.0.1', servername: 'localhost' })).toEqual({ authorized: true });
    expect(await handshake(m, { host: '127.0.0.1' })).toEqual({ authorized: true });
    expect(await handshake(m, { host: '::1' })).toEqual({ authorized: true });
  });

  it('a TLS client refuses the server under a name it was not issued for, or with another CA', async () => {
    const m = await ensureCertificates(await tempDir());
    const wrongName = await handshake(m, { host: '127.0.0.1', servername: 'db.example.com' });
    expect(wrongName.error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const other = await ensureCertificates(await tempDir());
    const wrongCa = await handshake(m, { host: '127.0.0.1', servername: 'localhost', caPem: other.caPem });
    expect(wrongCa.authorized).toBe(false);
    expect(wrongCa.error).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_SIGNATURE_FAILURE/);
  });

  it('openssl verifies server.pem against ca.pem for the sslserver purpose, strictly', async () => {
    const m = await ensureCertificates(await tempDir());
    const { stdout } = await run('/usr/bin/openssl', [
      'verify',
      '-x509_strict',
      '-purpose',
      'sslserver',
      '-CAfile',
      m.caFile,
      m.certFile,
    ]);
    expect(stdout.trim()).toBe(`${m.certFile}: OK`);
  });

  it('a second call reuses the CA and server certificate byte for byte', async () => {
    const dir = await tempDir();
    const first = await ensureCertificates(dir);
    const second = await ensureCertificates(dir);
    expect(second).toEqual(first);
  });

  it('re-issues the server certificate when it expires within 30 days, keeping the CA', async () => {
    const dir = await tempDir();
    const clock = new ManualClock(new Date());
    const first = await ensureCertificates(dir, { clock });
    clock.advance(790 * DAY); // 35 days left: kept
    expect((await ensureCertificates(dir, { clock })).certPem).toBe(first.certPem);
    clock.advance(10 * DAY); // 25 days left: renewed
    const renewed = await ensureCertificates(dir, { clock });
    expect(renewed.caPem).toBe(first.caPem);
    expect(renewed.certPem).not.toBe(first.certPem);
    expect(renewed.keyPem).not.toBe(first.keyPem);
    expect(Date.parse(new X509Certificate(renewed.certPem).validTo)).toBeGreaterThan(
      clock.now().getTime() + 800 * DAY,
    );
  });

  it('re-issues when a requested name is missing, and keeps a certificate that already covers the request', async () => {
    const dir = await tempDir();
    const first = await ensureCertificates(dir);
    const wider = await ensureCertificates(dir, {
      hostnames: ['gatehouse.internal'],
      ips: ['10.1.2.3', 'fd00::5'],
    });
    expect(wider.certPem).not.toBe(first.certPem);
    const cert = new X509Certificate(wider.certPem);
    expect(cert.checkHost('gatehouse.internal')).toBe('gatehouse.internal');
    expect(cert.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(cert.checkIP('fd00::5')).toBe('fd00::5');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect((await ensureCertificates(dir, { hostnames: ['gatehouse.internal'] })).certPem).toBe(
      wider.certPem,
    );
    expect((await ensureCertificates(dir)).certPem).toBe(wider.certPem);
  });

  it('re-issues a server certificate whose key is missing or that another CA signed', async () => {
    const dir = await tempDir();
    const first = await ensureCertificates(dir);
    await unlink(first.keyFile);
    const rekeyed = await ensureCertificates(dir);
    expect(rekeyed.certPem).not.toBe(first.certPem);

    await unlink(join(dir, CA_FILES.ca));
    await unlink(join(dir, CA_FILES.caKey));
    const newCa = await ensureCertificates(dir);
    expect(newCa.caPem).not.toBe(first.caPem);
    expect(newCa.certPem).not.toBe(rekeyed.certPem);
    expect(new X509Certificate(newCa.certPem).verify(new X509Certificate(newCa.caPem).publicKey)).toBe(true);
  });

  it('refuses to replace a CA whose key is missing, since clients may trust it', async () => {
    const dir = await tempDir();
    const first = await ensureCertificates(dir);
    await unlink(join(dir, CA_FILES.caKey));
    const e = await caught(ensureCertificates(dir));
    expect(e.code).toBe('GH_CONFIG_INVALID');
    expect(e.message).toContain('ca-key.pem');
    expect(await readFile(first.caFile, 'utf8')).toBe(first.caPem);
  });

  it('refuses a corrupt CA key with GH_CONFIG_INVALID instead of replacing the CA', async () => {
    const dir = await tempDir();
    const first = await ensureCertificates(dir);
    await writeFile(join(dir, CA_FILES.caKey), 'garbage', { mode: 0o600 });
    const e = await caught(ensureCertificates(dir));
    expect(e.code).toBe('GH_CONFIG_INVALID');
    expect(await readFile(first.caFile, 'utf8')).toBe(first.caPem);
  });

  it('rejects names that cannot go in a certificate', async () => {
    const dir = await tempDir();
    await expect(ensureCertificates(dir, { ips: ['not-an-ip'] })).rejects.toMatchObject({
      code: 'GH_CONFIG_INVALID',
    });
    await expect(ensureCertificates(dir, { hostnames: ['bad name'] })).rejects.toMatchObject({
      code: 'GH_CONFIG_INVALID',
    });
  });
});

describe('loadTlsMaterial', () => {
  it('loads a matching certificate, key and CA', async () => {
    const m = await ensureCertificates(await tempDir());
    expect(await loadTlsMaterial(m.certFile, m.keyFile, m.caFile)).toEqual(m);
    const noCa = await loadTlsMaterial(m.certFile, m.keyFile);
    expect(noCa.caPem).toBe('');
    expect(noCa.caFile).toBe('');
  });

  it('refuses a key that does not belong to the certificate, or a missing file', async () => {
    const a = await ensureCertificates(await tempDir());
    const b = await ensureCertificates(await tempDir());
    await expect(loadTlsMaterial(a.certFile, b.keyFile)).rejects.toMatchObject({
      code: 'GH_CONFIG_INVALID',
      message: expect.stringContaining('does not match'),
    });
    await expect(loadTlsMaterial(join(tmpdir(), 'nope.pem'), a.keyFile)).rejects.toMatchObject({
      code: 'GH_CONFIG_INVALID',
      message: expect.stringContaining('ENOENT'),
    });
    await expect(loadTlsMaterial(a.keyFile, a.keyFile)).rejects.toMatchObject({ code: 'GH_CONFIG_INVALID' });
  });
});
