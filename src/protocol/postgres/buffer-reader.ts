// Bounds-checked reader over one PostgreSQL message body; every overrun is a ProtocolError, never a RangeError.
import { ProtocolError } from './protocol-error.js';

export class BufferReader {
  private offset: number;
  constructor(
    private readonly buf: Buffer,
    offset = 0,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.offset + n > this.buf.length) throw new ProtocolError(`truncated ${what}`);
  }

  int8(): number {
    this.need(1, 'byte');
    return this.buf.readUInt8(this.offset++);
  }

  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** NUL-terminated string (UTF-8). */
  cstring(): string {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) throw new ProtocolError('unterminated string');
    const s = this.buf.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return s;
  }

  bytes(n: number): Buffer {
    this.need(n, 'bytes');
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.offset);
    this.offset = this.buf.length;
    return b;
  }

  /** Require that the message was consumed exactly. */
  end(what: string): void {
    if (this.remaining !== 0)
      throw new ProtocolError(`${this.remaining} unexpected trailing bytes in ${what}`);
  }
}
