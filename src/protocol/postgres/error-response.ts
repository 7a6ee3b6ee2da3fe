// ErrorResponse / NoticeResponse ('E' / 'N'): field-coded bodies (PG doc 55.8).
import { BufferReader } from './buffer-reader.js';
import { BufferWriter } from './buffer-writer.js';

export interface ErrorFields {
  readonly severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

function writeFields(w: BufferWriter, f: ErrorFields): BufferWriter {
  w.int8(0x53).cstring(f.severity); // S: localized severity
  w.int8(0x56).cstring(f.severity); // V: non-localized severity (9.6+)
  w.int8(0x43).cstring(f.code); // C: SQLSTATE
  w.int8(0x4d).cstring(f.message); // M
  if (f.detail !== undefined) w.int8(0x44).cstring(f.detail); // D
  if (f.hint !== undefined) w.int8(0x48).cstring(f.hint); // H
  return w.int8(0);
}

export function createErrorResponse(f: ErrorFields): Buffer {
  return writeFields(new BufferWriter(), f).frame('E');
}

export function createNoticeResponse(f: ErrorFields): Buffer {
  return writeFields(new BufferWriter(), f).frame('N');
}

/** All fields keyed by their one-letter code; unknown field types are kept, as the spec asks clients to ignore them. */
export function parseErrorFields(body: Buffer): Map<string, string> {
  const r = new BufferReader(body);
  const fields = new Map<string, string>();
  for (let t = r.int8(); t !== 0; t = r.int8()) fields.set(String.fromCharCode(t), r.cstring());
  r.end('ErrorResponse');
  return fields;
}
