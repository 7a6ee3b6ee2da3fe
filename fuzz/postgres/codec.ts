// Frontend message builders and a little backend parsing for the fuzzer, written from the PostgreSQL protocol
// chapter independently of src/protocol (the code under test should not generate its own inputs).

export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
export const V3_0 = 0x30000;
export const V3_2 = 0x30002;

export const AUTH_OK = 0;
export const AUTH_CLEARTEXT = 3;
export const AUTH_SASL = 10;
export const AUTH_SASL_CONTINUE = 11;
export const AUTH_SASL_FINAL = 12;

export type Bytes = string | Buffer;

const asBuffer = (s: Bytes): Buffer => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

/** A NUL-terminated string (the text may itself hold NULs: that is for the fuzzer to decide). */
export function cstr(s: Bytes): Buffer {
  return Buffer.concat([asBuffer(s), Buffer.alloc(1)]);
}

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0);
  return b;
}

export function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(((n + 0x8000) & 0xffff) - 0x8000);
  return b;
}

/** A startup-class packet: Int32 length (including itself), Int32 code, body. */
export function startupPacket(code: number, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([int32(8 + body.length), int32(code), body]);
}

export function startupMessage(parameters: ReadonlyArray<readonly [Bytes, Bytes]>, version = V3_0): Buffer {
  const body = Buffer.concat([...parameters.flatMap(([k, v]) => [cstr(k), cstr(v)]), Buffer.alloc(1)]);
  return startupPacket(version, body);
}

export const sslRequest = (): Buffer => startupPacket(SSL_REQUEST_CODE);
export const gssencRequest = (): Buffer => startupPacket(GSSENC_REQUEST_CODE);

export function cancelRequest(processId: number, key: Buffer): Buffer {
  return startupPacket(CANCEL_REQUEST_CODE, Buffer.concat([int32(processId), key]));
}

/** A typed message: Byte1 type, Int32 length (including itself, not the type), body. */
export function frame(type: string | number, body: Buffer): Buffer {
  const t = typeof type === 'number' ? type : type.charCodeAt(0);
  return Buffer.concat([Buffer.from([t]), int32(4 + body.length), body]);
}

export const passwordMessage = (password: Bytes): Buffer => frame('p', cstr(password));

/** SASLInitialResponse; `data` null is the protocol's -1 ("no initial response"). */
export function saslInitialResponse(mechanism: Bytes, data: Buffer | null, declaredLength?: number): Buffer {
  const len = declaredLength ?? (data === null ? -1 : data.length);
  return frame('p', Buffer.concat([cstr(mechanism), int32(len), data ?? Buffer.alloc(0)]));
}

export const saslResponse = (data: Buffer): Buffer => frame('p', data);

/** The authentication code of an 'R' message, or null for anything else. */
export function authCode(m: { type: string; body: Buffer } | null): number | null {
  return m && m.type === 'R' && m.body.length >= 4 ? m.body.readInt32BE(0) : null;
}

/** Mechanism names in an AuthenticationSASL body. */
export function saslMechanisms(body: Buffer): string[] {
  return body
    .subarray(4)
    .toString('utf8')
    .split('\0')
    .filter((s) => s !== '');
}
