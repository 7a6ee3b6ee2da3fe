// Builder for PostgreSQL messages: typed (Byte1 type + Int32 length) or untyped startup-class packets.
export class BufferWriter {
  private parts: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  int8(v: number): this {
    const b = Buffer.allocUnsafe(1);
    b.writeUInt8(v);
    return this.push(b);
  }

  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    return this.push(b);
  }

  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    return this.push(b);
  }

  cstring(s: string): this {
    return this.push(Buffer.from(`${s}\0`, 'utf8'));
  }

  bytes(b: Uint8Array): this {
    return this.push(Buffer.from(b));
  }

  /** Frame as `type, Int32 length, body`; with no type, as a startup-class packet `Int32 length, body`. */
  frame(type?: string): Buffer {
    const header = Buffer.allocUnsafe(type === undefined ? 4 : 5);
    if (type === undefined) {
      header.writeInt32BE(this.size + 4, 0);
    } else {
      header.write(type, 0, 'latin1');
      header.writeInt32BE(this.size + 4, 1);
    }
    return Buffer.concat([header, ...this.parts], header.length + this.size);
  }
}
