// Startup-class packets (no type byte): SSLRequest, GSSENCRequest, CancelRequest, StartupMessage (PG doc 55.7).
import { BufferReader } from './buffer-reader.js';
import { BufferWriter } from './buffer-writer.js';
import { ProtocolError } from './protocol-error.js';

export const SSL_REQUEST_CODE = 80877103; // 1234 << 16 | 5679
export const GSSENC_REQUEST_CODE = 80877104; // 1234 << 16 | 5680
export const CANCEL_REQUEST_CODE = 80877102; // 1234 << 16 | 5678
export const PROTOCOL_3_0 = 0x30000;
export const PROTOCOL_3_2 = 0x30002;
/** Longest cancel key a 3.2 peer may send (commit e411a8d). */
export const MAX_CANCEL_KEY_LENGTH = 256;

export type StartupPacket =
  | { readonly kind: 'ssl' }
  | { readonly kind: 'gssenc' }
  | { readonly kind: 'cancel'; readonly processId: number; readonly secretKey: Buffer }
  | {
      readonly kind: 'startup';
      readonly major: number;
      readonly minor: number;
      readonly parameters: ReadonlyMap<string, string>;
    };

/** Parse one whole startup-class packet (including its length word). */
export function parseStartupPacket(packet: Buffer): StartupPacket {
  const r = new BufferReader(packet);
  const len = r.int32();
  if (len !== packet.length) throw new ProtocolError('startup packet length mismatch');
  const code = r.int32();
  switch (code) {
    case SSL_REQUEST_CODE:
      r.end('SSLRequest');
      return { kind: 'ssl' };
    case GSSENC_REQUEST_CODE:
      r.end('GSSENCRequest');
      return { kind: 'gssenc' };
    case CANCEL_REQUEST_CODE: {
      const processId = r.int32();
      const secretKey = Buffer.from(r.rest());
      if (secretKey.length < 1 || secretKey.length > MAX_CANCEL_KEY_LENGTH) {
        throw new ProtocolError(`invalid length of cancel key: ${secretKey.length}`);
      }
      return { kind: 'cancel', processId, secretKey };
    }
    default:
      // Check the major version before the body (PostgreSQL's ProcessStartupPacket): a v2 packet has a
      // fixed layout that would otherwise be misreported as malformed instead of unsupported.
      if (code >>> 16 !== 3)
        return { kind: 'startup', major: code >>> 16, minor: code & 0xffff, parameters: new Map() };
      return parseStartupMessage(r, code);
  }
}

function parseStartupMessage(r: BufferReader, version: number): StartupPacket {
  const major = version >>> 16;
  const minor = version & 0xffff;
  const parameters = new Map<string, string>();
  for (;;) {
    const name = r.cstring();
    if (name === '') break;
    if (parameters.has(name)) throw new ProtocolError(`duplicate startup parameter "${name}"`);
    parameters.set(name, r.cstring());
  }
  r.end('StartupMessage');
  return { kind: 'startup', major, minor, parameters };
}

export function createStartupMessage(
  parameters: Iterable<readonly [string, string]>,
  version = PROTOCOL_3_0,
): Buffer {
  const w = new BufferWriter().int32(version);
  for (const [name, value] of parameters) w.cstring(name).cstring(value);
  return w.int8(0).frame();
}

export function createSSLRequest(): Buffer {
  return new BufferWriter().int32(SSL_REQUEST_CODE).frame();
}

export function createGSSENCRequest(): Buffer {
  return new BufferWriter().int32(GSSENC_REQUEST_CODE).frame();
}

export function createCancelRequest(processId: number, secretKey: Buffer): Buffer {
  return new BufferWriter().int32(CANCEL_REQUEST_CODE).int32(processId).bytes(secretKey).frame();
}
