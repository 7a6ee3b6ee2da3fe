// Authentication message family: server requests ('R') and client responses ('p'), PG doc 55.2.3 / 55.7.
import { BufferReader } from './buffer-reader.js';
import { BufferWriter } from './buffer-writer.js';
import { ProtocolError } from './protocol-error.js';

export const AUTH = {
  ok: 0,
  cleartextPassword: 3,
  md5Password: 5,
  gss: 7,
  gssContinue: 8,
  sspi: 9,
  sasl: 10,
  saslContinue: 11,
  saslFinal: 12,
} as const;

export function createAuthenticationOk(): Buffer {
  return new BufferWriter().int32(AUTH.ok).frame('R');
}

export function createAuthenticationCleartextPassword(): Buffer {
  return new BufferWriter().int32(AUTH.cleartextPassword).frame('R');
}

export function createAuthenticationSASL(mechanisms: readonly string[]): Buffer {
  const w = new BufferWriter().int32(AUTH.sasl);
  for (const m of mechanisms) w.cstring(m);
  return w.int8(0).frame('R');
}

export function createAuthenticationSASLContinue(data: Buffer): Buffer {
  return new BufferWriter().int32(AUTH.saslContinue).bytes(data).frame('R');
}

export function createAuthenticationSASLFinal(data: Buffer): Buffer {
  return new BufferWriter().int32(AUTH.saslFinal).bytes(data).frame('R');
}

export type AuthenticationRequest =
  | { readonly code: typeof AUTH.ok }
  | { readonly code: typeof AUTH.cleartextPassword }
  | { readonly code: typeof AUTH.md5Password; readonly salt: Buffer }
  | { readonly code: typeof AUTH.sasl; readonly mechanisms: string[] }
  | { readonly code: typeof AUTH.saslContinue | typeof AUTH.saslFinal; readonly data: Buffer }
  | { readonly code: number };

/** Parse an 'R' body as the gateway's backend leg receives it. */
export function parseAuthenticationRequest(body: Buffer): AuthenticationRequest {
  const r = new BufferReader(body);
  const code = r.int32();
  switch (code) {
    case AUTH.ok:
    case AUTH.cleartextPassword:
      r.end('Authentication');
      return { code };
    case AUTH.md5Password: {
      const salt = Buffer.from(r.bytes(4));
      r.end('AuthenticationMD5Password');
      return { code, salt };
    }
    case AUTH.sasl: {
      const mechanisms: string[] = [];
      for (let m = r.cstring(); m !== ''; m = r.cstring()) mechanisms.push(m);
      r.end('AuthenticationSASL');
      return { code, mechanisms };
    }
    case AUTH.saslContinue:
    case AUTH.saslFinal:
      return { code, data: Buffer.from(r.rest()) };
    default:
      return { code };
  }
}

export interface SASLInitialResponse {
  readonly mechanism: string;
  /** null when the client sent length -1 (no initial response). */
  readonly data: Buffer | null;
}

export function parseSASLInitialResponse(body: Buffer): SASLInitialResponse {
  const r = new BufferReader(body);
  const mechanism = r.cstring();
  const len = r.int32();
  if (len === -1) {
    r.end('SASLInitialResponse');
    return { mechanism, data: null };
  }
  if (len < 0) throw new ProtocolError(`invalid SASL initial response length ${len}`);
  const data = Buffer.from(r.bytes(len));
  r.end('SASLInitialResponse');
  return { mechanism, data };
}

/** PasswordMessage: exactly one NUL-terminated string filling the body (PG checks strlen+1 == len). */
export function parsePasswordMessage(body: Buffer): string {
  const r = new BufferReader(body);
  const password = r.cstring();
  r.end('PasswordMessage');
  return password;
}

export function createSASLInitialResponse(mechanism: string, data: Buffer): Buffer {
  return new BufferWriter().cstring(mechanism).int32(data.length).bytes(data).frame('p');
}

export function createSASLResponse(data: Buffer): Buffer {
  return new BufferWriter().bytes(data).frame('p');
}

export function createPasswordMessage(password: string): Buffer {
  return new BufferWriter().cstring(password).frame('p');
}
