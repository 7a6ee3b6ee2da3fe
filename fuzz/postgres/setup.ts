// What the PostgreSQL generator families know about the server under test, and the small helpers they share.
import { randomCuts, randomText, SPECIAL_STRINGS } from '../mutate.js';
import type { Rng } from '../rng.js';
import type { Finish, Listener } from '../target.js';
import type { SendOptions, Wire } from '../wire.js';
import { type Bytes, sslRequest, V3_0, V3_2 } from './codec.js';

export interface PgFuzzSetup {
  /** SCRAM password user's instance, the IAM-enabled instance, and a force-SSL instance. */
  readonly listeners: { readonly password: Listener; readonly iam: Listener; readonly forceSsl: Listener };
  /** The SCRAM user of the password instance, and of the force-SSL one; both have `password`. */
  readonly passwordUser: string;
  readonly forceSslUser: string;
  readonly password: string;
  readonly iamUser: string;
  readonly database: string;
  /** A currently valid RDS IAM token for iamUser at the iam listener ('' when the server has none). */
  token(): string;
  /** Whether the server answers SSLRequest with 'S' (the toy server does not). */
  readonly tls: boolean;
}

/** SSLRequest, then a TLS handshake if the server says 'S'. True when the connection is now encrypted. */
export async function upgrade(wire: Wire): Promise<boolean> {
  if (!(await wire.send(sslRequest()))) return false;
  const answer = await wire.readByte();
  if (answer !== 0x53) return false;
  return wire.startTls();
}

export async function maybeTls(
  wire: Wire,
  rng: Rng,
  probability: number,
  setup: PgFuzzSetup,
): Promise<boolean> {
  return setup.tls && rng.chance(probability) ? upgrade(wire) : false;
}

/** The protocol version word of a StartupMessage: mostly 3.0, then 3.2, grease, and nonsense. */
export function pickVersion(rng: Rng): number {
  return rng.weighted<number>([
    [70, V3_0],
    [10, V3_2],
    [4, 0x3270f], // 3.9999: PG19 libpq grease
    [3, 0x30001],
    [3, 0x20000],
    [2, 0x40000],
    [2, 0],
    [3, rng.next() | 0],
    [3, (3 << 16) | rng.int(0, 0xffff)],
  ]);
}

/** A user name: the real ones mostly, else unknown, empty, huge, or full of control characters. */
export function pickUser(rng: Rng, setup: PgFuzzSetup, preferred: string): Bytes {
  return rng.weighted<() => Bytes>([
    [50, () => preferred],
    [8, () => setup.passwordUser],
    [3, () => setup.forceSslUser],
    [8, () => setup.iamUser],
    [6, () => 'postgres'],
    [6, () => `u${rng.int(0, 99999)}`],
    [4, () => ''],
    [6, () => randomText(rng, 64)],
    [3, () => 'x'.repeat(rng.int(64, 9000))],
    [4, () => `${preferred}${rng.pick(SPECIAL_STRINGS)}`],
    [2, () => rng.bytes(rng.int(1, 40))],
  ])();
}

/** StartupMessage parameters around `user`: the usual client ones, protocol options, duplicates, junk. */
export function startupParameters(rng: Rng, setup: PgFuzzSetup, user: Bytes): Array<[Bytes, Bytes]> {
  const params: Array<[Bytes, Bytes]> = [];
  if (!rng.chance(0.05)) params.push(['user', user]);
  if (rng.chance(0.8)) params.push(['database', rng.chance(0.85) ? setup.database : randomText(rng, 40)]);
  const extras: Array<readonly [number, () => [Bytes, Bytes]]> = [
    [5, () => ['application_name', rng.chance(0.7) ? 'fuzz' : randomText(rng, 100)]],
    [4, () => ['client_encoding', rng.pick(['UTF8', 'LATIN1', 'SQL_ASCII', 'nonsense', ''])]],
    [
      3,
      () => [
        'options',
        rng.pick(['-c search_path=public', '-c statement_timeout=5s', '--x', randomText(rng, 60)]),
      ],
    ],
    [2, () => ['replication', rng.pick(['true', 'database', 'false', 'yes', ''])]],
    [3, () => [`_pq_.${rng.pick(['protocol_managed_params', 'test', 'x'])}`, rng.pick(['1', '', 'on'])]],
    [2, () => ['DateStyle', 'ISO']],
    [2, () => ['extra_float_digits', rng.pick(['2', '3', '-15', 'x'])]],
    [2, () => [randomText(rng, 30), randomText(rng, 30)]],
    [1, () => ['user', randomText(rng, 20)]], // duplicate
    [1, () => ['', 'value']],
  ];
  const n = rng.chance(0.9) ? rng.int(0, 4) : rng.int(5, 40);
  for (let i = 0; i < n; i++) params.push(rng.weighted(extras)());
  if (rng.chance(0.03)) {
    // A huge parameter list: thousands of tiny pairs, around and beyond the startup packet cap.
    const count = rng.int(500, 6000);
    for (let i = 0; i < count; i++) params.push([`p${i}`, rng.chance(0.5) ? '' : 'v']);
  }
  return params;
}

/** Usually one write; sometimes split at every byte (short messages only) or at a few random points. */
export function splitOption(rng: Rng, length: number): SendOptions['split'] {
  const r = rng.float();
  if (r < 0.04 && length <= 160) return 'bytes';
  if (r < 0.15) return randomCuts(rng, length);
  return undefined;
}

/** Half-close at once most of the time; otherwise give the server a moment to refuse on its own. */
export function pickFinish(rng: Rng): Finish {
  return rng.chance(0.6) ? 'fin' : 'await';
}
