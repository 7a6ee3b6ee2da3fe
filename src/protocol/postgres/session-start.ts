// Messages that finish start-up: ParameterStatus, BackendKeyData, ReadyForQuery, NegotiateProtocolVersion.
import { BufferReader } from './buffer-reader.js';
import { BufferWriter } from './buffer-writer.js';
import { ProtocolError } from './protocol-error.js';
import { MAX_CANCEL_KEY_LENGTH } from './startup.js';

export function createParameterStatus(name: string, value: string): Buffer {
  return new BufferWriter().cstring(name).cstring(value).frame('S');
}

export function parseParameterStatus(body: Buffer): { name: string; value: string } {
  const r = new BufferReader(body);
  const name = r.cstring();
  const value = r.cstring();
  r.end('ParameterStatus');
  return { name, value };
}

export function createBackendKeyData(processId: number, secretKey: Buffer): Buffer {
  return new BufferWriter().int32(processId).bytes(secretKey).frame('K');
}

export function parseBackendKeyData(body: Buffer): { processId: number; secretKey: Buffer } {
  const r = new BufferReader(body);
  const processId = r.int32();
  const secretKey = Buffer.from(r.rest());
  if (secretKey.length < 4 || secretKey.length > MAX_CANCEL_KEY_LENGTH) {
    throw new ProtocolError(`invalid cancel key length ${secretKey.length}`);
  }
  return { processId, secretKey };
}

export type TransactionStatus = 'I' | 'T' | 'E';

export function createReadyForQuery(status: TransactionStatus = 'I'): Buffer {
  return new BufferWriter().int8(status.charCodeAt(0)).frame('Z');
}

/** 'v': the newest version we support (full number, as PostgreSQL sends) and the `_pq_.` options we ignored. */
export function createNegotiateProtocolVersion(version: number, unrecognised: readonly string[]): Buffer {
  const w = new BufferWriter().int32(version).int32(unrecognised.length);
  for (const o of unrecognised) w.cstring(o);
  return w.frame('v');
}

export function parseNegotiateProtocolVersion(body: Buffer): { version: number; unrecognised: string[] } {
  const r = new BufferReader(body);
  const version = r.int32();
  const n = r.int32();
  if (n < 0 || n > body.length) throw new ProtocolError(`invalid option count ${n}`);
  const unrecognised: string[] = [];
  for (let i = 0; i < n; i++) unrecognised.push(r.cstring());
  r.end('NegotiateProtocolVersion');
  return { version, unrecognised };
}

/** Query (simple protocol): one SQL string. */
export function createQuery(sql: string): Buffer {
  return new BufferWriter().cstring(sql).frame('Q');
}

export function createTerminate(): Buffer {
  return new BufferWriter().frame('X');
}
