// tls-server-end-point channel binding data (RFC 5929 §4.1) for SCRAM-SHA-256-PLUS, as PostgreSQL computes it.
import { createHash } from 'node:crypto';

type Digest = 'sha224' | 'sha256' | 'sha384' | 'sha512';

/**
 * Signature algorithm OID -> hash. RFC 5929 §4.1: use the certificate's signature hash, but MD5 and
 * SHA-1 are replaced by SHA-256. PostgreSQL's be_tls_get_certificate_hash does the same and fails for
 * algorithms without a separate digest (Ed25519/Ed448), which is null here.
 */
const SIGNATURE_HASH: Readonly<Record<string, Digest>> = {
  '1.2.840.113549.1.1.4': 'sha256', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'sha256', // sha1WithRSAEncryption
  '1.3.14.3.2.29': 'sha256', // sha1WithRSA (OIW)
  '1.2.840.113549.1.1.14': 'sha224', // sha224WithRSAEncryption
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': 'sha384', // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13': 'sha512', // sha512WithRSAEncryption
  '1.2.840.10045.4.1': 'sha256', // ecdsa-with-SHA1
  '1.2.840.10045.4.3.1': 'sha224', // ecdsa-with-SHA224
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384', // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4': 'sha512', // ecdsa-with-SHA512
  '1.2.840.10040.4.3': 'sha256', // dsa-with-sha1
  '2.16.840.1.101.3.4.3.1': 'sha224', // dsa-with-sha224
  '2.16.840.1.101.3.4.3.2': 'sha256', // dsa-with-sha256
};

const RSASSA_PSS = '1.2.840.113549.1.1.10';

/** Hash OIDs inside RSASSA-PSS parameters (RFC 4055 §3.1); absent hashAlgorithm means SHA-1. */
const PSS_HASH: Readonly<Record<string, Digest>> = {
  '1.3.14.3.2.26': 'sha256', // sha1, upgraded per RFC 5929
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const TAG = { sequence: 0x30, oid: 0x06, pssHashAlgorithm: 0xa0 } as const;

interface Tlv {
  tag: number;
  /** Content start and end (exclusive) in the buffer. */
  start: number;
  end: number;
}

/** One DER TLV at `offset`, which must end by `limit`; null if malformed (indefinite or overlong lengths). */
function readTlv(der: Buffer, offset: number, limit: number): Tlv | null {
  if (offset + 2 > limit) return null;
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) return null; // multi-byte tags never occur in these structures
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) return null;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  const end = start + length;
  return end > limit ? null : { tag, start, end };
}

function decodeOid(der: Buffer, tlv: Tlv): string | null {
  if (tlv.tag !== TAG.oid || tlv.start === tlv.end) return null;
  const arcs: number[] = [];
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i++) {
    const byte = der[i]!;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) return null;
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  if (der[tlv.end - 1]! & 0x80) return null; // truncated final arc
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] AlgorithmIdentifier DEFAULT sha1, ... } */
function pssDigest(der: Buffer, params: Tlv | null, limit: number): Digest | null {
  if (params === null || params.tag !== TAG.sequence || params.end > limit) return null;
  const first = params.start < params.end ? readTlv(der, params.start, params.end) : null;
  if (first === null || first.tag !== TAG.pssHashAlgorithm) return PSS_HASH['1.3.14.3.2.26']!;
  const algorithm = readTlv(der, first.start, first.end);
  if (algorithm === null || algorithm.tag !== TAG.sequence) return null;
  const oid = readTlv(der, algorithm.start, algorithm.end);
  const name = oid === null ? null : decodeOid(der, oid);
  return name === null ? null : (PSS_HASH[name] ?? null);
}

/** The certificate's signatureAlgorithm digest per RFC 5929 §4.1, or null if unknown or not parseable. */
export function channelBindingDigest(certDer: Buffer): Digest | null {
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue }
  const cert = readTlv(certDer, 0, certDer.length);
  if (cert === null || cert.tag !== TAG.sequence) return null;
  const tbs = readTlv(certDer, cert.start, cert.end);
  if (tbs === null || tbs.tag !== TAG.sequence) return null;
  const algorithm = readTlv(certDer, tbs.end, cert.end);
  if (algorithm === null || algorithm.tag !== TAG.sequence) return null;
  const oidTlv = readTlv(certDer, algorithm.start, algorithm.end);
  const oid = oidTlv === null ? null : decodeOid(certDer, oidTlv);
  if (oid === null || oidTlv === null) return null;
  if (oid === RSASSA_PSS) {
    const params = oidTlv.end < algorithm.end ? readTlv(certDer, oidTlv.end, algorithm.end) : null;
    return pssDigest(certDer, params, algorithm.end);
  }
  return SIGNATURE_HASH[oid] ?? null;
}

/**
 * The tls-server-end-point binding data: the hash of the DER certificate the server presented, with the
 * hash chosen by channelBindingDigest. Null means channel binding cannot be offered for this certificate
 * (the server must then not advertise SCRAM-SHA-256-PLUS).
 */
export function certificateHashForChannelBinding(certDer: Buffer): Buffer | null {
  const digest = channelBindingDigest(certDer);
  return digest === null ? null : createHash(digest).update(certDer).digest();
}
