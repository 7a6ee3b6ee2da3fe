// The one error type the codec throws: malformed input from the peer.
export class ProtocolError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ProtocolError';
  }
}

/** A message declared a length over the cap in force (tighter before authentication). */
export class MessageTooLargeError extends ProtocolError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`message of ${size} bytes exceeds the ${limit}-byte limit`);
    this.name = 'MessageTooLargeError';
  }
}
