// Follows typed messages (type byte + int32 length) across arbitrary chunks without holding whole messages: an
// observer keeps only the first bytes it asks for and sees the rest of each body as it passes (protocol 3.0).
import { ProtocolError } from './protocol-error.js';

export interface MessageStreamSink {
  /**
   * A message begins: its type byte and body length (without the length word). Returns how many of the body's
   * first bytes to keep for `message` (0 for none).
   */
  header(type: number, bodyLength: number): number;
  /** Every body byte, in order and in pieces as they arrive (only while `streamBody` returned true). */
  body?(part: Buffer): void;
  /** The message ended: `kept` holds the first bytes asked for (fewer when the body is shorter). */
  message(type: number, kept: Buffer, bodyLength: number): void;
}

/**
 * Splits a stream of typed messages for an observer. Copies only the kept bytes (one allocation per kept
 * message), so a large CopyData or DataRow costs nothing but its walk. A length under 4 is a ProtocolError.
 */
export class MessageStream {
  private readonly header = Buffer.alloc(5);
  private headerBytes = 0;
  private type = 0;
  private bodyLength = 0;
  private remaining = 0;
  private kept: Buffer = Buffer.alloc(0);
  private keptBytes = 0;
  private inBody = false;
  /** Whether the current body is passed to `sink.body` (decided per message by `streamBody`). */
  private streaming = false;

  constructor(
    private readonly sink: MessageStreamSink,
    /** Whether to pass the body of a message of this type to `sink.body`. */
    private readonly streamBody: (type: number) => boolean = () => false,
  ) {}

  /** Between two messages (nothing of a next one seen yet). */
  get atBoundary(): boolean {
    return !this.inBody && this.headerBytes === 0;
  }

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (!this.inBody) {
        this.header[this.headerBytes++] = chunk[i++] as number;
        if (this.headerBytes < 5) continue;
        this.headerBytes = 0;
        this.begin(this.header[0] as number, this.header.readInt32BE(1));
        if (this.remaining === 0) this.finish();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - i);
      const part = chunk.subarray(i, i + take);
      if (this.keptBytes < this.kept.length) {
        const n = Math.min(this.kept.length - this.keptBytes, take);
        part.copy(this.kept, this.keptBytes, 0, n);
        this.keptBytes += n;
      }
      if (this.streaming) this.sink.body?.(part);
      this.remaining -= take;
      i += take;
      if (this.remaining === 0) this.finish();
    }
  }

  private begin(type: number, length: number): void {
    if (length < 4) throw new ProtocolError(`invalid message length ${length}`);
    this.type = type;
    this.bodyLength = length - 4;
    this.remaining = this.bodyLength;
    const keep = Math.max(0, Math.min(this.bodyLength, this.sink.header(type, this.bodyLength)));
    this.kept = keep === 0 ? EMPTY : Buffer.allocUnsafe(keep);
    this.keptBytes = 0;
    this.streaming = this.sink.body !== undefined && this.streamBody(type);
    this.inBody = true;
  }

  private finish(): void {
    this.inBody = false;
    const kept = this.kept;
    this.kept = EMPTY;
    this.sink.message(this.type, kept, this.bodyLength);
  }
}

const EMPTY = Buffer.alloc(0);
