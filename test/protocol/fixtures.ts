// PostgreSQL wire fixtures: bytes captured from psql 15.20, node-postgres 8 and PostgreSQL 18.4, plus create*-built ones.
import {
  AUTH,
  createAuthenticationCleartextPassword,
  createAuthenticationOk,
  createAuthenticationSASL,
  createAuthenticationSASLContinue,
  createAuthenticationSASLFinal,
  createBackendKeyData,
  createCancelRequest,
  createErrorResponse,
  createGSSENCRequest,
  createNegotiateProtocolVersion,
  createNoticeResponse,
  createParameterStatus,
  createPasswordMessage,
  createReadyForQuery,
  createSASLInitialResponse,
  createSASLResponse,
  createSSLRequest,
  createStartupMessage,
  createTerminate,
  MessageBuffer,
  PROTOCOL_3_0,
  PROTOCOL_3_2,
  parseAuthenticationRequest,
  parseBackendKeyData,
  parseErrorFields,
  parseNegotiateProtocolVersion,
  parseParameterStatus,
  parsePasswordMessage,
  parseSASLInitialResponse,
  parseStartupPacket,
  type StartupPacket,
} from '../../src/protocol/postgres/index.js';

/** PostgreSQL's MAX_STARTUP_PACKET_LENGTH (also the gateway's default startup cap). */
export const STARTUP_CAP = 10_000;
/** Generous typed-message cap: no fixture comes near it. */
export const MESSAGE_CAP = 1 << 20;

/** Hex with optional whitespace, in as many pieces as reads well (header, body). */
export function hex(...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
}

export interface StartupFixture {
  readonly framing: 'startup';
  readonly name: string;
  readonly bytes: Buffer;
  /** What parseStartupPacket must return, written out from the protocol spec (not from the codec). */
  readonly expected: StartupPacket;
  /** For literal fixtures: the create* call that must reproduce `bytes` byte for byte. */
  readonly build?: () => Buffer;
}

export interface TypedFixture {
  readonly framing: 'typed';
  readonly name: string;
  readonly type: string;
  readonly bytes: Buffer;
  /** The parser for this body in its context (a 'p' body means different things at different times). */
  readonly parse: (body: Buffer) => unknown;
  readonly expected: unknown;
  readonly build?: () => Buffer;
}

export type Fixture = StartupFixture | TypedFixture;

const startup = (
  name: string,
  bytes: Buffer,
  expected: StartupPacket,
  build?: () => Buffer,
): StartupFixture =>
  build === undefined
    ? { framing: 'startup', name, bytes, expected }
    : { framing: 'startup', name, bytes, expected, build };

function typed(
  type: string,
  name: string,
  bytes: Buffer,
  parse: (body: Buffer) => unknown,
  expected: unknown,
  build?: () => Buffer,
): TypedFixture {
  const base = { framing: 'typed' as const, type, name, bytes, parse, expected };
  return build === undefined ? base : { ...base, build };
}

const v3 = (minor: number, parameters: [string, string][]): StartupPacket => ({
  kind: 'startup',
  major: 3,
  minor,
  parameters: new Map(parameters),
});
/** Bodies with no parser of their own (SASLResponse, ReadyForQuery, Terminate): compare the raw text. */
const text = (body: Buffer): string => body.toString('utf8');
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

// Cancel keys PostgreSQL 18.4 issued (BackendKeyData below), reused by the CancelRequests.
const KEY_4 = hex('154b28e9');
const KEY_32 = hex('31869cdeabd9602f5dc248935865e837', '56f504b0c62c40ecf3556cfa07328ebf');
const PSQL = [
  ['user', 'alice'],
  ['database', 'postgres'],
  ['application_name', 'psql'],
] as [string, string][];
const PG_LOGIN = [
  ['user', 'postgres'],
  ['database', 'postgres'],
] as [string, string][];
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_FIRST = `r=${CLIENT_NONCE}or2QN2pBrhYfLn/J+zpDaQyw,s=iLsHSXgWmCaMBe/tbhVCPw==,i=4096`;
const CLIENT_FINAL = `c=biws,r=${CLIENT_NONCE}or2QN2pBrhYfLn/J+zpDaQyw,p=fRjouAODZQjukvrhnPN2PnX+a//bW0t3iROCIIkLoHQ=`;
const SERVER_FINAL = 'v=UHB/oemaVnrtZ4sUsd2AM5o2/Bj95VUGNVXHRT5GnaQ=';

/** Client -> server. */
export const frontend = {
  sslRequest: startup(
    'SSLRequest (psql 15.20, sslmode=prefer)',
    hex('00000008 04d2162f'),
    { kind: 'ssl' },
    () => createSSLRequest(),
  ),
  gssencRequest: startup('GSSENCRequest (1234/5680)', hex('00000008 04d21630'), { kind: 'gssenc' }, () =>
    createGSSENCRequest(),
  ),
  psqlStartup: startup(
    'StartupMessage 3.0 from psql 15.20',
    hex(
      '0000003c 00030000',
      '7573657200 616c69636500 646174616261736500 706f73746772657300',
      '6170706c69636174696f6e5f6e616d6500 7073716c00 00',
    ),
    v3(0, PSQL),
    () => createStartupMessage(PSQL),
  ),
  psqlStartupClientEncoding: startup(
    'StartupMessage 3.0 from psql 15.20 with PGCLIENTENCODING=UTF8',
    hex(
      '00000051 00030000',
      '7573657200 616c69636500 646174616261736500 706f73746772657300',
      '6170706c69636174696f6e5f6e616d6500 7073716c00 636c69656e745f656e636f64696e6700 5554463800 00',
    ),
    v3(0, [...PSQL, ['client_encoding', 'UTF8']]),
    () => createStartupMessage([...PSQL, ['client_encoding', 'UTF8']]),
  ),
  nodePgStartup: startup(
    'StartupMessage 3.0 from node-postgres 8 (appends client_encoding=UTF8)',
    hex(
      '0000003b 00030000',
      '7573657200 616c69636500 646174616261736500 706f73746772657300',
      '636c69656e745f656e636f64696e6700 5554463800 00',
    ),
    v3(0, [...PSQL.slice(0, 2), ['client_encoding', 'UTF8']]),
    () => createStartupMessage([...PSQL.slice(0, 2), ['client_encoding', 'UTF8']]),
  ),
  startup32: startup(
    'StartupMessage 3.2 (PostgreSQL 18.4 answered it with a 32-byte key)',
    hex('00000029 00030002', '7573657200 706f73746772657300 646174616261736500 706f73746772657300 00'),
    v3(2, PG_LOGIN),
    () => createStartupMessage(PG_LOGIN, PROTOCOL_3_2),
  ),
  greaseStartup: startup(
    'StartupMessage 3.9999 "grease" with _pq_.test_option (PostgreSQL 18.4 negotiated down)',
    hex(
      '0000003c 0003270f',
      '7573657200 706f73746772657300 646174616261736500 706f73746772657300',
      '5f70715f2e746573745f6f7074696f6e00 7800 00',
    ),
    v3(9999, [...PG_LOGIN, ['_pq_.test_option', 'x']]),
    () => createStartupMessage([...PG_LOGIN, ['_pq_.test_option', 'x']], (3 << 16) | 9999),
  ),
  cancel30: startup(
    'CancelRequest 3.0, 16 bytes (node-postgres 8 Connection.cancel)',
    hex('00000010 04d2162e 000048e9 154b28e9'),
    { kind: 'cancel', processId: 18665, secretKey: KEY_4 },
    () => createCancelRequest(18665, KEY_4),
  ),
  cancel32: startup(
    'CancelRequest 3.2 with the 32-byte key PostgreSQL 18.4 issued',
    hex('0000002c 04d2162e 000048e7', '31869cdeabd9602f5dc248935865e837 56f504b0c62c40ecf3556cfa07328ebf'),
    { kind: 'cancel', processId: 18663, secretKey: KEY_32 },
    () => createCancelRequest(18663, KEY_32),
  ),
  saslInitialAbc: typed(
    'p',
    'SASLInitialResponse SCRAM-SHA-256 "n,,n=,r=abc"',
    hex('70 00000021', '534352414d2d5348412d32353600 0000000b 6e2c2c6e3d2c723d616263'),
    parseSASLInitialResponse,
    { mechanism: 'SCRAM-SHA-256', data: utf8('n,,n=,r=abc') },
    () => createSASLInitialResponse('SCRAM-SHA-256', utf8('n,,n=,r=abc')),
  ),
  saslInitial: typed(
    'p',
    'SASLInitialResponse as PostgreSQL 18.4 accepted it',
    hex(
      '70 00000032',
      '534352414d2d5348412d32353600 0000001c 6e2c2c6e3d2c723d 724f70724e476677456265525767624e456b714f',
    ),
    parseSASLInitialResponse,
    { mechanism: 'SCRAM-SHA-256', data: utf8(`n,,n=,r=${CLIENT_NONCE}`) },
    () => createSASLInitialResponse('SCRAM-SHA-256', utf8(`n,,n=,r=${CLIENT_NONCE}`)),
  ),
  saslInitialNoData: typed(
    'p',
    'SASLInitialResponse with length -1 (no initial response)',
    hex('70 00000016', '534352414d2d5348412d32353600 ffffffff'),
    parseSASLInitialResponse,
    { mechanism: 'SCRAM-SHA-256', data: null },
  ),
  saslInitialPlus: typed(
    'p',
    'SASLInitialResponse SCRAM-SHA-256-PLUS (built)',
    createSASLInitialResponse('SCRAM-SHA-256-PLUS', utf8(`p=tls-server-end-point,,n=,r=${CLIENT_NONCE}`)),
    parseSASLInitialResponse,
    { mechanism: 'SCRAM-SHA-256-PLUS', data: utf8(`p=tls-server-end-point,,n=,r=${CLIENT_NONCE}`) },
  ),
  saslResponse: typed(
    'p',
    'SASLResponse (client-final-message PostgreSQL 18.4 accepted)',
    hex(
      '70 00000068',
      '633d626977732c723d724f70724e476677456265525767624e456b714f6f7232514e327042726859664c6e2f4a2b7a70',
      '44615179772c703d66526a6f75414f445a516a756b7672686e504e32506e582b612f2f625730743369524f4349496b4c6f48513d',
    ),
    text,
    CLIENT_FINAL,
    () => createSASLResponse(utf8(CLIENT_FINAL)),
  ),
  password: typed(
    'p',
    'PasswordMessage (built)',
    createPasswordMessage('s3cr3t'),
    parsePasswordMessage,
    's3cr3t',
  ),
  passwordUnicode: typed(
    'p',
    'PasswordMessage with non-ASCII text (built)',
    createPasswordMessage('pässwörd 🔑'),
    parsePasswordMessage,
    'pässwörd 🔑',
  ),
  terminate: typed('X', 'Terminate', hex('58 00000004'), text, '', () => createTerminate()),
} as const;

const status = (name: string, value: string, bytes: Buffer): TypedFixture =>
  typed('S', `ParameterStatus ${name}`, bytes, parseParameterStatus, { name, value }, () =>
    createParameterStatus(name, value),
  );

/** The fifteen ParameterStatus messages PostgreSQL 18.4 sent after a psql-like 3.0 login, in order. */
export const pg18ParameterStatus: readonly TypedFixture[] = [
  status('in_hot_standby', 'off', hex('53 00000017', '696e5f686f745f7374616e646279006f666600')),
  status('integer_datetimes', 'on', hex('53 00000019', '696e74656765725f6461746574696d6573006f6e00')),
  status('TimeZone', 'Etc/UTC', hex('53 00000015', '54696d655a6f6e65004574632f55544300')),
  status('IntervalStyle', 'postgres', hex('53 0000001b', '496e74657276616c5374796c6500706f73746772657300')),
  status(
    'search_path',
    '"$user", public',
    hex('53 00000020', '7365617263685f7061746800222475736572222c207075626c696300'),
  ),
  status('is_superuser', 'on', hex('53 00000014', '69735f737570657275736572006f6e00')),
  status('application_name', 'psql', hex('53 0000001a', '6170706c69636174696f6e5f6e616d65007073716c00')),
  status(
    'default_transaction_read_only',
    'off',
    hex('53 00000026', '64656661756c745f7472616e73616374696f6e5f726561645f6f6e6c79006f666600'),
  ),
  status('scram_iterations', '4096', hex('53 0000001a', '736372616d5f697465726174696f6e73003430393600')),
  status('DateStyle', 'ISO, MDY', hex('53 00000017', '446174655374796c650049534f2c204d445900')),
  status(
    'standard_conforming_strings',
    'on',
    hex('53 00000023', '7374616e646172645f636f6e666f726d696e675f737472696e6773006f6e00'),
  ),
  status(
    'session_authorization',
    'postgres',
    hex('53 00000023', '73657373696f6e5f617574686f72697a6174696f6e00706f73746772657300'),
  ),
  status('client_encoding', 'UTF8', hex('53 00000019', '636c69656e745f656e636f64696e67005554463800')),
  status('server_version', '18.4', hex('53 00000018', '7365727665725f76657273696f6e0031382e3400')),
  status('server_encoding', 'UTF8', hex('53 00000019', '7365727665725f656e636f64696e67005554463800')),
];

const fields = (entries: [string, string][]): Map<string, string> => new Map(entries);

/** Server -> client. */
export const backend = {
  authSASL: typed(
    'R',
    'AuthenticationSASL [SCRAM-SHA-256] (PostgreSQL 18.4, no TLS)',
    hex('52 00000017', '0000000a 534352414d2d5348412d32353600 00'),
    parseAuthenticationRequest,
    { code: AUTH.sasl, mechanisms: ['SCRAM-SHA-256'] },
    () => createAuthenticationSASL(['SCRAM-SHA-256']),
  ),
  authSASLPlus: typed(
    'R',
    'AuthenticationSASL [SCRAM-SHA-256-PLUS, SCRAM-SHA-256] (built)',
    createAuthenticationSASL(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']),
    parseAuthenticationRequest,
    { code: AUTH.sasl, mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] },
  ),
  saslContinue: typed(
    'R',
    'AuthenticationSASLContinue (server-first-message, PostgreSQL 18.4)',
    hex(
      '52 00000058 0000000b',
      '723d724f70724e476677456265525767624e456b714f6f7232514e327042726859664c6e2f4a2b7a7044615179772c',
      '733d694c7348535867576d43614d42652f746268564350773d3d2c693d34303936',
    ),
    parseAuthenticationRequest,
    { code: AUTH.saslContinue, data: utf8(SERVER_FIRST) },
    () => createAuthenticationSASLContinue(utf8(SERVER_FIRST)),
  ),
  saslFinal: typed(
    'R',
    'AuthenticationSASLFinal (server-final-message, PostgreSQL 18.4)',
    hex(
      '52 00000036 0000000c',
      '763d5548422f6f656d61566e72745a347355736432414d356f322f426a39355655474e565848525435476e61513d',
    ),
    parseAuthenticationRequest,
    { code: AUTH.saslFinal, data: utf8(SERVER_FINAL) },
    () => createAuthenticationSASLFinal(utf8(SERVER_FINAL)),
  ),
  authOk: typed(
    'R',
    'AuthenticationOk',
    hex('52 00000008 00000000'),
    parseAuthenticationRequest,
    { code: AUTH.ok },
    () => createAuthenticationOk(),
  ),
  authCleartext: typed(
    'R',
    'AuthenticationCleartextPassword',
    hex('52 00000008 00000003'),
    parseAuthenticationRequest,
    { code: AUTH.cleartextPassword },
    () => createAuthenticationCleartextPassword(),
  ),
  authMD5: typed(
    'R',
    'AuthenticationMD5Password with salt',
    hex('52 0000000c 00000005 01020304'),
    parseAuthenticationRequest,
    { code: AUTH.md5Password, salt: hex('01020304') },
  ),
  keyData4: typed(
    'K',
    'BackendKeyData 3.0, 4-byte key (PostgreSQL 18.4)',
    hex('4b 0000000c 000048e9 154b28e9'),
    parseBackendKeyData,
    { processId: 18665, secretKey: KEY_4 },
    () => createBackendKeyData(18665, KEY_4),
  ),
  keyData32: typed(
    'K',
    'BackendKeyData 3.2, 32-byte key (PostgreSQL 18.4)',
    hex('4b 00000028 000048e7', '31869cdeabd9602f5dc248935865e837 56f504b0c62c40ecf3556cfa07328ebf'),
    parseBackendKeyData,
    { processId: 18663, secretKey: KEY_32 },
    () => createBackendKeyData(18663, KEY_32),
  ),
  keyData256: typed(
    'K',
    'BackendKeyData with the longest (256-byte) key (built)',
    createBackendKeyData(0x7fffffff, Buffer.alloc(256, 0xa5)),
    parseBackendKeyData,
    { processId: 0x7fffffff, secretKey: Buffer.alloc(256, 0xa5) },
  ),
  readyIdle: typed('Z', 'ReadyForQuery idle', hex('5a 00000005 49'), text, 'I', () => createReadyForQuery()),
  readyInTransaction: typed('Z', 'ReadyForQuery in transaction (built)', createReadyForQuery('T'), text, 'T'),
  errorPassword: typed(
    'E',
    'ErrorResponse FATAL 28P01 (PostgreSQL 18.4, wrong password)',
    hex(
      '45 00000068',
      '53464154414c00 56464154414c00 433238503031 00',
      '4d70617373776f72642061757468656e7469636174696f6e206661696c656420666f7220757365722022706f73746772657322 00',
      '46617574682e6300 4c33323000 52617574685f6661696c656400 00',
    ),
    parseErrorFields,
    fields([
      ['S', 'FATAL'],
      ['V', 'FATAL'],
      ['C', '28P01'],
      ['M', 'password authentication failed for user "postgres"'],
      ['F', 'auth.c'],
      ['L', '320'],
      ['R', 'auth_failed'],
    ]),
  ),
  errorNoDatabase: typed(
    'E',
    'ErrorResponse FATAL 3D000 (PostgreSQL 18.4, no such database)',
    hex(
      '45 0000005e',
      '53464154414c00 56464154414c00 43334430303000',
      '4d646174616261736520226e6f7375636864622220646f6573206e6f7420657869737400',
      '46706f7374696e69742e6300 4c3130313600 52496e6974506f73746772657300 00',
    ),
    parseErrorFields,
    fields([
      ['S', 'FATAL'],
      ['V', 'FATAL'],
      ['C', '3D000'],
      ['M', 'database "nosuchdb" does not exist'],
      ['F', 'postinit.c'],
      ['L', '1016'],
      ['R', 'InitPostgres'],
    ]),
  ),
  errorBuilt: typed(
    'E',
    'ErrorResponse with detail and hint (built)',
    createErrorResponse({
      severity: 'FATAL',
      code: '28000',
      message: 'PAM authentication failed for user "alice"',
      detail: 'request id 7f3c',
      hint: 'tokens expire after 15 minutes',
    }),
    parseErrorFields,
    fields([
      ['S', 'FATAL'],
      ['V', 'FATAL'],
      ['C', '28000'],
      ['M', 'PAM authentication failed for user "alice"'],
      ['D', 'request id 7f3c'],
      ['H', 'tokens expire after 15 minutes'],
    ]),
  ),
  notice: typed(
    'N',
    'NoticeResponse (built)',
    createNoticeResponse({ severity: 'WARNING', code: '01000', message: 'connection is not encrypted' }),
    parseErrorFields,
    fields([
      ['S', 'WARNING'],
      ['V', 'WARNING'],
      ['C', '01000'],
      ['M', 'connection is not encrypted'],
    ]),
  ),
  negotiate32: typed(
    'v',
    'NegotiateProtocolVersion 3.2 ["_pq_.test_option"] (PostgreSQL 18.4 answering grease)',
    hex('76 0000001d', '00030002 00000001 5f70715f2e746573745f6f7074696f6e00'),
    parseNegotiateProtocolVersion,
    { version: 0x30002, unrecognised: ['_pq_.test_option'] },
    () => createNegotiateProtocolVersion(PROTOCOL_3_2, ['_pq_.test_option']),
  ),
  negotiate30: typed(
    'v',
    'NegotiateProtocolVersion 3.0, no options (built)',
    createNegotiateProtocolVersion(PROTOCOL_3_0, []),
    parseNegotiateProtocolVersion,
    { version: 196608, unrecognised: [] },
  ),
} as const;

export const ALL_FIXTURES: readonly Fixture[] = [
  ...Object.values(frontend),
  ...Object.values(backend),
  ...pg18ParameterStatus,
];

export interface FixtureStream {
  readonly name: string;
  /** Client streams open with startup-class packets; server streams hold typed messages only. */
  readonly start: DecodePhase;
  readonly fixtures: readonly Fixture[];
  readonly bytes: Buffer;
}

const stream = (name: string, start: DecodePhase, fixtures: readonly Fixture[]): FixtureStream => ({
  name,
  start,
  fixtures,
  bytes: Buffer.concat(fixtures.map((f) => f.bytes)),
});

const f = frontend;
const b = backend;

/** Whole conversations, one direction each. */
export const HANDSHAKES: readonly FixtureStream[] = [
  stream('psql: refused SSLRequest, StartupMessage, SCRAM, Terminate', 'startup', [
    f.sslRequest,
    f.psqlStartup,
    f.saslInitial,
    f.saslResponse,
    f.terminate,
  ]),
  stream('psql with a Kerberos ccache: GSSENCRequest, SSLRequest, StartupMessage', 'startup', [
    f.gssencRequest,
    f.sslRequest,
    f.psqlStartupClientEncoding,
    f.password,
  ]),
  stream('node-postgres: StartupMessage, SCRAM, Terminate', 'startup', [
    f.nodePgStartup,
    f.saslInitialAbc,
    f.saslResponse,
    f.terminate,
  ]),
  stream('3.2 client: StartupMessage, SCRAM-PLUS, Terminate', 'startup', [
    f.startup32,
    f.saslInitialPlus,
    f.saslResponse,
    f.terminate,
  ]),
  stream('grease client: StartupMessage 3.9999, SASL without initial response', 'startup', [
    f.greaseStartup,
    f.saslInitialNoData,
    f.saslResponse,
    f.passwordUnicode,
  ]),
  stream('cancel 3.0 after a refused SSLRequest', 'startup', [f.sslRequest, f.cancel30]),
  stream('cancel 3.2 after refused GSSENC and SSL requests', 'startup', [
    f.gssencRequest,
    f.sslRequest,
    f.cancel32,
  ]),
  stream('PostgreSQL 18.4 accepting a 3.0 SCRAM login', 'typed', [
    b.authSASL,
    b.saslContinue,
    b.saslFinal,
    b.authOk,
    ...pg18ParameterStatus,
    b.keyData4,
    b.readyIdle,
  ]),
  stream('PostgreSQL 18.4 negotiating grease down to 3.2', 'typed', [
    b.negotiate32,
    b.authSASL,
    b.saslContinue,
    b.saslFinal,
    b.authOk,
    ...pg18ParameterStatus.slice(0, 3),
    b.keyData32,
    b.readyIdle,
  ]),
  stream('PostgreSQL 18.4 refusing a wrong password', 'typed', [b.authSASL, b.saslContinue, b.errorPassword]),
  stream('PostgreSQL 18.4 refusing an unknown database after auth', 'typed', [
    b.authSASL,
    b.saslContinue,
    b.saslFinal,
    b.authOk,
    b.errorNoDatabase,
  ]),
  stream('gateway: negotiate, SCRAM-PLUS offer, welcome with notice', 'typed', [
    b.negotiate30,
    b.authSASLPlus,
    b.saslContinue,
    b.saslFinal,
    b.authOk,
    b.notice,
    b.keyData256,
    b.readyInTransaction,
  ]),
  stream('other auth requests then an error', 'typed', [b.authCleartext, b.authMD5, b.errorBuilt]),
];

/** Every fixture on its own, plus every handshake. */
export const ALL_STREAMS: readonly FixtureStream[] = [
  ...ALL_FIXTURES.map((x) => stream(x.name, x.framing, [x])),
  ...HANDSHAKES,
];

export type DecodePhase = 'startup' | 'typed';

/** One unit taken from a MessageBuffer: a whole startup-class packet, or a typed message's type and body. */
export type Decoded =
  | { readonly framing: 'startup'; readonly packet: Buffer }
  | { readonly framing: 'typed'; readonly type: string; readonly body: Buffer };

/**
 * Drives one MessageBuffer as a connection handler does: startup-class packets until a StartupMessage
 * (after SSLRequest/GSSENCRequest answered 'N' another startup-class packet follows, PG doc 55.2.10/11),
 * typed messages after it; nothing after a CancelRequest (the server just closes).
 */
export class StreamDecoder {
  readonly buffer = new MessageBuffer();
  readonly decoded: Decoded[] = [];
  private phase: DecodePhase | 'closed';

  constructor(start: DecodePhase) {
    this.phase = start;
  }

  /** Push one chunk and take every complete unit now available; returns how many were taken. */
  push(chunk: Buffer): number {
    this.buffer.push(chunk);
    let taken = 0;
    for (let d = this.next(); d !== null; d = this.next()) {
      this.decoded.push(d);
      taken++;
    }
    return taken;
  }

  private next(): Decoded | null {
    if (this.phase === 'closed') return null;
    if (this.phase === 'typed') {
      const m = this.buffer.nextMessage(MESSAGE_CAP);
      return m === null ? null : { framing: 'typed', type: m.type, body: m.body };
    }
    const packet = this.buffer.nextStartupPacket(STARTUP_CAP);
    if (packet === null) return null;
    const kind = parseStartupPacket(packet).kind;
    if (kind === 'startup') this.phase = 'typed';
    if (kind === 'cancel') this.phase = 'closed';
    return { framing: 'startup', packet };
  }
}

/** Decode a whole stream delivered as the given chunks. */
export function decodeChunks(start: DecodePhase, chunks: readonly Buffer[]): Decoded[] {
  const d = new StreamDecoder(start);
  for (const c of chunks) d.push(c);
  return d.decoded;
}

/** Stable text form of a decoded unit, for cheap and readable sequence comparison. */
export function show(d: Decoded): string {
  return d.framing === 'startup'
    ? `startup ${d.packet.toString('hex')}`
    : `${d.type} ${d.body.toString('hex')}`;
}

/** Parse one decoded unit with the parser its fixture names. */
export function parseWith(fixture: Fixture, d: Decoded): unknown {
  if (d.framing === 'startup') return parseStartupPacket(d.packet);
  if (fixture.framing !== 'typed') throw new Error(`expected a startup packet for ${fixture.name}`);
  return fixture.parse(d.body);
}
