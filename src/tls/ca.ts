// The local certificate authority: a CA and a server certificate created once in the data dir, then reused.
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { type Clock, systemClock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import { loadX509 } from './x509.js';

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Empty when loadTlsMaterial was given no CA file. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface EnsureCertificatesOptions {
  /** DNS names besides `localhost`. */
  hostnames?: string[];
  /** IP addresses besides 127.0.0.1 and ::1. */
  ips?: string[];
  clock?: Clock;
}

export const CA_FILES = {
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  cert: 'server.pem',
  key: 'server-key.pem',
} as const;

const DAY_MS = 86_400_000;
const CA_VALIDITY_DAYS = 3652; // 10 years
const LEAF_VALIDITY_DAYS = 825; // the longest lifetime Apple platforms accept for a TLS server certificate
const RENEW_BEFORE_DAYS = 30;
const BACKDATE_MS = 5 * 60_000; // tolerate small clock differences between the CA and its clients
const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const EC_SIGNATURE = { name: 'ECDSA', hash: 'SHA-256' } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

/** Any PEM private key (PKCS#8, SEC1) as PKCS#8 DER, the form WebCrypto imports. */
function pkcs8Der(keyPem: string): Buffer {
  return createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
}

/** Positive 127-bit serial: RFC 5280 §4.1.2.2 wants unique, positive, at most 20 octets. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Temp file + rename: readers never see half a file, and a key is 0600 from its first byte. */
async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, text, { mode, flag: 'wx' });
  await rename(temp, file);
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', key));
}

interface Ca {
  cert: X509Certificate;
  certPem: string;
  key: webcrypto.CryptoKey;
}

async function createCa(dir: string, clock: Clock): Promise<Ca> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
  const notBefore = new Date(clock.now().getTime() - BACKDATE_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    // A random suffix keeps two installations' CAs apart in a trust store that holds both.
    name: `CN=Gatehouse Local CA ${randomBytes(4).toString('hex')}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: EC_SIGNATURE,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = cert.toString('pem');
  // Key first: a crash in between leaves a key without a certificate, which the next run replaces.
  await writeAtomic(join(dir, CA_FILES.caKey), await exportKeyPem(keys.privateKey), 0o600);
  await writeAtomic(join(dir, CA_FILES.ca), certPem, 0o644);
  return { cert: new X509Certificate(certPem), certPem, key: keys.privateKey };
}

async function loadOrCreateCa(dir: string, clock: Clock): Promise<Ca> {
  const certPem = await readOptional(join(dir, CA_FILES.ca));
  const keyPem = await readOptional(join(dir, CA_FILES.caKey));
  if (certPem === null) return createCa(dir, clock);
  if (keyPem === null) {
    // Clients may already trust this CA: replacing it silently would break them all.
    throw new GatehouseError('GH_CONFIG_INVALID', {
      reason: `${join(dir, CA_FILES.ca)} exists but its key ${CA_FILES.caKey} is missing: restore the key, or delete ca.pem to create a new CA (clients must then trust the new ca.pem)`,
    });
  }
  try {
    const key = await webcrypto.subtle.importKey('pkcs8', pkcs8Der(keyPem), EC_KEY, false, ['sign']);
    return { cert: new X509Certificate(certPem), certPem, key };
  } catch (e) {
    throw new GatehouseError('GH_CONFIG_INVALID', {
      reason: `the local CA in ${dir} is unreadable (${e instanceof Error ? e.message : String(e)}): it must be a P-256 certificate and key as Gatehouse wrote them`,
    });
  }
}

/** Why the existing leaf must be replaced, or null when it is still good. */
function leafProblem(
  ca: Ca,
  certPem: string | null,
  keyPem: string | null,
  names: SanList,
  now: Date,
): string | null {
  if (certPem === null || keyPem === null) return 'missing';
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
    if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) return 'key does not match';
  } catch {
    return 'unreadable';
  }
  if (!leaf.verify(ca.cert.publicKey)) return 'not signed by the current CA';
  if (Date.parse(leaf.validTo) - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return 'expires soon';
  const missingDns = names.dns.find(
    (d) => leaf.checkHost(d, { wildcards: false, subject: 'never' }) === undefined,
  );
  const missingIp = names.ips.find((ip) => leaf.checkIP(ip) === undefined);
  if (missingDns ?? missingIp) return `lacks ${missingDns ?? missingIp}`;
  return null;
}

interface SanList {
  dns: string[];
  ips: string[];
}

function sanList(options: EnsureCertificatesOptions): SanList {
  const dns = [...new Set(['localhost', ...(options.hostnames ?? []).map((h) => h.toLowerCase())])];
  const ips = [...new Set(['127.0.0.1', '::1', ...(options.ips ?? [])])];
  for (const h of dns) {
    if (!/^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(h)) {
      throw new GatehouseError('GH_CONFIG_INVALID', {
        reason: `"${h}" is not a valid DNS name for the certificate`,
      });
    }
  }
  for (const ip of ips) {
    if (isIP(ip) === 0)
      throw new GatehouseError('GH_CONFIG_INVALID', { reason: `"${ip}" is not an IP address` });
  }
  return { dns, ips };
}

async function issueLeaf(dir: string, ca: Ca, names: SanList, clock: Clock): Promise<void> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
  const notBefore = new Date(clock.now().getTime() - BACKDATE_MS);
  const caCert = new x509.X509Certificate(ca.certPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${names.dns[0]}`,
    issuer: caCert.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + LEAF_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: EC_SIGNATURE,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      // RFC 6125 §6.4.4: clients match SANs only, so every name and address must be listed here.
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  // Key first: a crash in between leaves a key that does not match the old certificate: re-issued next run.
  await writeAtomic(join(dir, CA_FILES.key), await exportKeyPem(keys.privateKey), 0o600);
  await writeAtomic(join(dir, CA_FILES.cert), cert.toString('pem'), 0o644);
}

/**
 * The CA and server certificate in `dir`, created on first use. The server certificate is re-issued when
 * it is missing, expires within 30 days, was signed by another CA, or lacks a requested name.
 */
export async function ensureCertificates(
  dir: string,
  options: EnsureCertificatesOptions = {},
): Promise<TlsMaterial> {
  const clock = options.clock ?? systemClock;
  const names = sanList(options);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = await loadOrCreateCa(dir, clock);
  const certFile = join(dir, CA_FILES.cert);
  const keyFile = join(dir, CA_FILES.key);
  const current = [await readOptional(certFile), await readOptional(keyFile)] as const;
  if (leafProblem(ca, current[0], current[1], names, clock.now()) !== null)
    await issueLeaf(dir, ca, names, clock);
  return {
    caPem: ca.certPem,
    certPem: await readFile(certFile, 'utf8'),
    keyPem: await readFile(keyFile, 'utf8'),
    caFile: join(dir, CA_FILES.ca),
    certFile,
    keyFile,
  };
}

/** Operator-supplied certificate (chain first) and key; checks they parse and belong together. */
export async function loadTlsMaterial(
  certFile: string,
  keyFile: string,
  caFile?: string,
): Promise<TlsMaterial> {
  const read = async (file: string, what: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      throw new GatehouseError('GH_CONFIG_INVALID', {
        reason: `cannot read TLS ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      });
    }
  };
  const certPem = await read(certFile, 'certificate');
  const keyPem = await read(keyFile, 'key');
  const caPem = caFile === undefined ? '' : await read(caFile, 'CA file');
  let matches: boolean;
  try {
    matches = new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
    if (caFile !== undefined) new X509Certificate(caPem);
  } catch (e) {
    throw new GatehouseError('GH_CONFIG_INVALID', {
      reason: `TLS material ${certFile} / ${keyFile}${caFile ? ` / ${caFile}` : ''} is not valid PEM: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
  if (!matches) {
    throw new GatehouseError('GH_CONFIG_INVALID', {
      reason: `TLS key ${keyFile} does not match certificate ${certFile}`,
    });
  }
  return { caPem, certPem, keyPem, caFile: caFile ?? '', certFile, keyFile };
}
