// SCRAM-SHA-256 message grammar (RFC 5802 §7) with PostgreSQL's restrictions (auth-scram.c): parse and build the
// client-first, server-first, client-final and server-final attribute strings. Never throws on hostile input.

/**
 * Messages are handled as "byte strings" (latin1: one char per byte) so that the exact bytes the peer sent go
 * into the AuthMessage (RFC 5802 §3) even when a username is not valid UTF-8.
 */
export function messageText(bytes: Buffer): string {
  return bytes.toString('latin1');
}

export function messageBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

export type ScramParseResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: 'GH_PROTOCOL_VIOLATION'; reason: string };

/** gs2-cbind-flag: `n` no channel binding support, `y` supported but thought unsupported by the server, `p=` in use. */
export type Gs2CbindFlag = { flag: 'n' } | { flag: 'y' } | { flag: 'p'; cbName: string };

export interface ClientFirstMessage {
  cbind: Gs2CbindFlag;
  /** The gs2-header as sent (e.g. `n,,`): the start of the cbind-input that `c=` must carry. */
  gs2Header: string;
  /** The `n=` value. PostgreSQL ignores it (the StartupMessage user counts); kept for debugging. */
  username: string;
  clientNonce: string;
  /** client-first-message-bare, byte for byte (latin1 string). */
  bare: string;
}

export interface ServerFirstMessage {
  nonce: string;
  salt: Buffer;
  iterations: number;
}

export interface ClientFinalMessage {
  /** Decoded `c=` (the cbind-input). */
  channelBinding: Buffer;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, byte for byte (latin1 string). */
  withoutProof: string;
}

export type ServerFinalMessage = { kind: 'verifier'; signature: Buffer } | { kind: 'error'; error: string };

const SCRAM_KEY_LENGTH = 32;
const MAX_ITERATIONS_FIELD = 2_147_483_647; // PostgreSQL keeps the count in an int
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/; // RFC 5802 "printable": %x21-2B / %x2D-7E (no comma)
const CB_NAME = /^[A-Za-z0-9.-]+$/; // RFC 5056 §7 cb-name
const ATTRIBUTE = /^[A-Za-z]=/; // attr-val = ALPHA "=" value
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict RFC 4648 base64 (padding required, canonical trailing bits), as RFC 5802's `base64` rule demands. */
export function decodeBase64Strict(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

export function isScramPrintable(text: string): boolean {
  return PRINTABLE.test(text);
}

function fail<T>(reason: string): ScramParseResult<T> {
  return { ok: false, code: 'GH_PROTOCOL_VIOLATION', reason };
}

/** Describe one client character for a log line without echoing arbitrary client bytes (like PG's sanitize_char). */
function describeChar(c: string | undefined): string {
  if (c === undefined) return 'end of message';
  const code = c.charCodeAt(0);
  return code >= 0x21 && code <= 0x7e ? `'${c}'` : `0x${code.toString(16).padStart(2, '0')}`;
}

/** Split into attributes and check the basic shape: non-empty, no NUL, every attribute `ALPHA=...`. */
function splitAttributes(text: string, what: string): ScramParseResult<string[]> {
  if (text.length === 0) return fail(`malformed SCRAM message (empty ${what})`);
  if (text.includes('\0')) return fail(`malformed SCRAM message (NUL byte in ${what})`);
  const attributes = text.split(',');
  for (const attribute of attributes) {
    if (!ATTRIBUTE.test(attribute)) {
      return fail(
        `malformed SCRAM message (attribute expected in ${what}, found ${describeChar(attribute[0])})`,
      );
    }
  }
  return { ok: true, value: attributes };
}

/** Read attribute `name` at position `index`, or explain what was there instead. */
function expectAttribute(attributes: string[], index: number, name: string): string | null {
  const attribute = attributes[index];
  return attribute?.[0] === name ? attribute.slice(2) : null;
}

function expected(attributes: string[], index: number, name: string, what: string): string {
  return `malformed SCRAM message (attribute '${name}' expected in ${what}, found ${describeChar(attributes[index]?.[0])})`;
}

/** saslname (RFC 5802 §5.1): `,` and `=` travel as `=2C` and `=3D`. */
function decodeSaslName(value: string): string {
  return Buffer.from(value.replace(/=2C/g, ',').replace(/=3D/g, '='), 'latin1').toString('utf8');
}

function encodeSaslName(name: string): string {
  return messageText(Buffer.from(name.replace(/=/g, '=3D').replace(/,/g, '=2C'), 'utf8'));
}

/** Parse the gs2-header of a client-first-message (RFC 5802 §7); authzid is refused like PostgreSQL does. */
function parseGs2Header(text: string): ScramParseResult<{ cbind: Gs2CbindFlag; length: number }> {
  let cbind: Gs2CbindFlag;
  let i: number;
  const first = text[0];
  if (first === 'n' || first === 'y') {
    cbind = { flag: first };
    i = 1;
  } else if (text.startsWith('p=')) {
    const end = text.indexOf(',');
    const cbName = text.slice(2, end === -1 ? text.length : end);
    if (!CB_NAME.test(cbName)) return fail('malformed SCRAM message (invalid channel-binding type name)');
    cbind = { flag: 'p', cbName };
    i = 2 + cbName.length;
  } else {
    return fail(`malformed SCRAM message (unexpected channel-binding flag ${describeChar(first)})`);
  }
  if (text[i] !== ',') return fail(`malformed SCRAM message (comma expected, got ${describeChar(text[i])})`);
  i++;
  if (text[i] === 'a') return fail('client uses an authorization identity (a=), which is not supported');
  if (text[i] !== ',') return fail(`malformed SCRAM message (unexpected attribute ${describeChar(text[i])})`);
  return { ok: true, value: { cbind, length: i + 1 } };
}

export function parseClientFirst(bytes: Buffer): ScramParseResult<ClientFirstMessage> {
  const text = messageText(bytes);
  const header = parseGs2Header(text);
  if (!header.ok) return header;
  const bare = text.slice(header.value.length);
  // RFC 5802 §5.1: an m= here signals a mandatory extension; we support none, so fail at once (RFC allows it).
  if (bare.startsWith('m'))
    return fail('client requires a mandatory SCRAM extension (m=), which is not supported');
  const split = splitAttributes(bare, 'client-first-message');
  if (!split.ok) return split;
  const attributes = split.value;
  const what = 'client-first-message';
  const username = expectAttribute(attributes, 0, 'n');
  if (username === null) return fail(expected(attributes, 0, 'n', what));
  const clientNonce = expectAttribute(attributes, 1, 'r');
  if (clientNonce === null) return fail(expected(attributes, 1, 'r', what));
  if (!isScramPrintable(clientNonce)) return fail('empty or non-printable characters in SCRAM nonce');
  // Optional extensions after the nonce are ignored, as PostgreSQL does.
  return {
    ok: true,
    value: {
      cbind: header.value.cbind,
      gs2Header: text.slice(0, header.value.length),
      username: decodeSaslName(username),
      clientNonce,
      bare,
    },
  };
}

export function buildGs2Header(cbind: Gs2CbindFlag): string {
  return cbind.flag === 'p' ? `p=${cbind.cbName},,` : `${cbind.flag},,`;
}

/** client-first-message; `bare` is what goes into the AuthMessage. */
export function buildClientFirst(o: { cbind: Gs2CbindFlag; username: string; clientNonce: string }): {
  text: string;
  bare: string;
} {
  const bare = `n=${encodeSaslName(o.username)},r=${o.clientNonce}`;
  return { text: buildGs2Header(o.cbind) + bare, bare };
}

export function parseServerFirst(bytes: Buffer): ScramParseResult<ServerFirstMessage> {
  const what = 'server-first-message';
  const split = splitAttributes(messageText(bytes), what);
  if (!split.ok) return split;
  const attributes = split.value;
  if (attributes[0]?.startsWith('m=')) return fail('server requires a mandatory SCRAM extension (m=)');
  const nonce = expectAttribute(attributes, 0, 'r');
  if (nonce === null) return fail(expected(attributes, 0, 'r', what));
  if (!isScramPrintable(nonce)) return fail('empty or non-printable characters in SCRAM nonce');
  const saltText = expectAttribute(attributes, 1, 's');
  if (saltText === null) return fail(expected(attributes, 1, 's', what));
  const salt = decodeBase64Strict(saltText);
  if (salt === null || salt.length === 0) return fail('malformed SCRAM message (invalid salt)');
  const iterationText = expectAttribute(attributes, 2, 'i');
  if (iterationText === null) return fail(expected(attributes, 2, 'i', what));
  const iterations = /^[1-9][0-9]{0,9}$/.test(iterationText) ? Number(iterationText) : 0;
  if (iterations < 1 || iterations > MAX_ITERATIONS_FIELD) {
    return fail('malformed SCRAM message (invalid iteration count)');
  }
  return { ok: true, value: { nonce, salt, iterations } };
}

export function buildServerFirst(o: ServerFirstMessage): string {
  return `r=${o.nonce},s=${o.salt.toString('base64')},i=${o.iterations}`;
}

export function parseClientFinal(bytes: Buffer): ScramParseResult<ClientFinalMessage> {
  const what = 'client-final-message';
  const text = messageText(bytes);
  const split = splitAttributes(text, what);
  if (!split.ok) return split;
  const attributes = split.value;
  const cbText = expectAttribute(attributes, 0, 'c');
  if (cbText === null) return fail(expected(attributes, 0, 'c', what));
  const channelBinding = decodeBase64Strict(cbText);
  if (channelBinding === null || channelBinding.length === 0) {
    return fail('malformed SCRAM message (invalid channel-binding data)');
  }
  const nonce = expectAttribute(attributes, 1, 'r');
  if (nonce === null) return fail(expected(attributes, 1, 'r', what));
  if (!isScramPrintable(nonce)) return fail('empty or non-printable characters in SCRAM nonce');
  // Extensions may sit between r= and p=; the proof must be the last attribute (RFC 5802 §7).
  const last = attributes.length - 1;
  for (let i = 2; i < last; i++) {
    if (attributes[i]?.[0] === 'p') return fail('malformed SCRAM message (garbage after the proof)');
  }
  const proofText = last >= 2 ? expectAttribute(attributes, last, 'p') : null;
  if (proofText === null) return fail(expected(attributes, Math.max(last, 2), 'p', what));
  const proof = decodeBase64Strict(proofText);
  if (proof === null || proof.length !== SCRAM_KEY_LENGTH) {
    return fail('malformed SCRAM message (malformed proof in client-final-message)');
  }
  const withoutProof = text.slice(0, text.length - proofText.length - 3);
  return { ok: true, value: { channelBinding, nonce, proof, withoutProof } };
}

export function buildClientFinalWithoutProof(o: { channelBinding: Buffer; nonce: string }): string {
  return `c=${o.channelBinding.toString('base64')},r=${o.nonce}`;
}

export function buildClientFinal(withoutProof: string, proof: Buffer): string {
  return `${withoutProof},p=${proof.toString('base64')}`;
}

export function parseServerFinal(bytes: Buffer): ScramParseResult<ServerFinalMessage> {
  const what = 'server-final-message';
  const split = splitAttributes(messageText(bytes), what);
  if (!split.ok) return split;
  const attributes = split.value;
  const error = expectAttribute(attributes, 0, 'e');
  if (error !== null) return { ok: true, value: { kind: 'error', error } };
  const signatureText = expectAttribute(attributes, 0, 'v');
  if (signatureText === null) return fail(expected(attributes, 0, 'v', what));
  const signature = decodeBase64Strict(signatureText);
  if (signature === null || signature.length !== SCRAM_KEY_LENGTH) {
    return fail('malformed SCRAM message (invalid server signature)');
  }
  return { ok: true, value: { kind: 'verifier', signature } };
}

export function buildServerFinal(signature: Buffer): string {
  return `v=${signature.toString('base64')}`;
}
