// PostgreSQL's message framing on both streams of a relayed session: where a message ends, so a session can be
// ended between two messages, and whether the session is idle (ReadyForQuery 'I' with no request outstanding).
import type { BoundaryTracker } from '../common/relay.js';

/** Follows one stream's framing (type byte + int32 length) without copying; reports each message's type. */
export class PgFrameReader {
  private remaining = 0; // body bytes left in the current message
  private headerBytes = 0; // bytes of the 5-byte header seen so far
  private readonly header = Buffer.alloc(5);
  private wantBody = false; // pass the next body byte to onBody

  /** `onType(type)` per complete header (true: pass the message's first body byte to `onBody`). */
  constructor(
    private readonly onType: (type: number) => boolean = () => false,
    private readonly onBody: (firstByte: number) => void = () => {},
  ) {}

  get atBoundary(): boolean {
    return this.remaining === 0 && this.headerBytes === 0;
  }

  /** Consume `chunk`; with `stopAtBoundary`, return how many bytes reach the next boundary (else all). */
  feed(chunk: Buffer, stopAtBoundary = false): number {
    let i = 0;
    while (i < chunk.length) {
      if (stopAtBoundary && this.atBoundary && i > 0) return i;
      if (this.remaining > 0) {
        if (this.wantBody) {
          this.wantBody = false;
          this.onBody(chunk[i] as number);
        }
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        continue;
      }
      this.header[this.headerBytes++] = chunk[i++] as number;
      if (this.headerBytes === 5) {
        this.headerBytes = 0;
        this.remaining = Math.max(0, this.header.readInt32BE(1) - 4);
        this.wantBody = this.onType(this.header[0] as number) && this.remaining > 0;
      }
    }
    return i;
  }
}

const READY_FOR_QUERY = 0x5a; // 'Z'
/** Frontend messages answered by exactly one ReadyForQuery: Query, Sync, FunctionCall (protocol §55.2). */
const REQUESTS = new Set([0x51, 0x53, 0x46]); // 'Q', 'S', 'F'
const IDLE = 0x49; // 'I': not in a transaction block
/**
 * Extended-query messages before their Sync (Parse, Bind, Describe, Execute, Close, Flush): the backend may be
 * working on them already (a pipeline, or a client that sends Sync late), so the session is not idle until
 * the Sync's ReadyForQuery.
 */
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]); // 'P', 'B', 'D', 'E', 'C', 'H'
const SYNC = 0x53; // 'S'

/**
 * The backend's boundaries, plus what the session is doing: a request (Query, Sync, FunctionCall) is outstanding
 * until its ReadyForQuery, whose status byte says whether a transaction block is open ('T', 'E') or not ('I');
 * extended-query messages not yet followed by a Sync count as work in progress too.
 */
export class PgFrameTracker implements BoundaryTracker {
  private outstanding = 0;
  private status = IDLE; // the welcome's own ReadyForQuery
  private readonly backend = new PgFrameReader(
    (type) => {
      if (type !== READY_FOR_QUERY) return false;
      this.outstanding = Math.max(0, this.outstanding - 1);
      return true;
    },
    (status) => {
      this.status = status;
    },
  );
  private unsynced = false; // extended-query messages sent since the last Sync
  private readonly client = new PgFrameReader((type) => {
    if (REQUESTS.has(type)) this.outstanding++;
    if (EXTENDED.has(type)) this.unsynced = true;
    else if (type === SYNC) this.unsynced = false;
    return false;
  });

  get atBoundary(): boolean {
    return this.backend.atBoundary;
  }

  /** No transaction block, no request outstanding or unsynced, and neither side in the middle of a message. */
  get idle(): boolean {
    return (
      this.outstanding === 0 &&
      !this.unsynced &&
      this.status === IDLE &&
      this.backend.atBoundary &&
      this.client.atBoundary
    );
  }

  feed(chunk: Buffer, stopAtBoundary = false): number {
    return this.backend.feed(chunk, stopAtBoundary);
  }

  fromClient(chunk: Buffer): void {
    this.client.feed(chunk);
  }
}
