// Token-shaped passwords on the IAM instance: a real RDS IAM token (host:port/?Action=connect&DBUser=…&X-Amz-…)
// with its query parameters dropped, doubled, reordered, re-encoded or given hostile values, sent as the
// PasswordMessage inside TLS (and sometimes in the clear, or framed wrongly).
import { mutate, randomText, SPECIAL_STRINGS } from '../mutate.js';
import type { Rng } from '../rng.js';
import type { CaseFamily, FuzzCase } from '../target.js';
import {
  AUTH_CLEARTEXT,
  AUTH_SASL,
  authCode,
  cstr,
  frame,
  passwordMessage,
  startupMessage,
} from './codec.js';
import { type PgFuzzSetup, pickFinish, splitOption, upgrade } from './setup.js';

type Param = [string, string];

/** encodeURIComponent that keeps what it cannot encode (lone surrogates) as it is. */
function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s;
  }
}

const VALUES: Record<string, readonly string[]> = {
  Action: ['Connect', 'connect2', '', 'login', 'connect%00'],
  DBUser: ['postgres', 'fuzz', 'FUZZ_IAM', '', '%00', 'fuzz_iam%20', 'fuzz%5Fiam', 'a'.repeat(300)],
  'X-Amz-Algorithm': ['AWS4-HMAC-SHA512', '', 'aws4-hmac-sha256', 'AWS4-HMAC-SHA256 '],
  'X-Amz-Date': [
    '20991231T235959Z',
    '19700101T000000Z',
    '2026-12-07T00:00:00Z',
    '20261207',
    '',
    '99999999T999999Z',
  ],
  'X-Amz-Expires': ['0', '901', '-1', '1e3', '999999999999999999999', '', '900 ', '0900', '+900', '9.5'],
  'X-Amz-SignedHeaders': ['host%3Bx-amz-date', 'Host', '', 'x', 'host%3B'],
};

function mutateCredential(rng: Rng, value: string): string {
  const parts = value.split('%2F');
  const i = rng.int(0, parts.length - 1);
  const replacement = rng.pick([
    '',
    `AKIA${rng.bytes(8).toString('hex').toUpperCase()}`,
    '20261332',
    'us-west-2',
    'rds',
    's3',
    'aws4_requesx',
    randomText(rng, 20),
  ]);
  parts[i] = replacement;
  if (rng.chance(0.2)) parts.push('extra');
  if (rng.chance(0.1)) parts.splice(0, 1);
  return encode(parts.join('/'));
}

function mutateSignature(rng: Rng, sig: string): string {
  return rng.weighted<() => string>([
    [
      3,
      () => {
        const i = rng.int(0, sig.length - 1);
        return `${sig.slice(0, i)}${sig[i] === '0' ? '1' : '0'}${sig.slice(i + 1)}`;
      },
    ],
    [1, () => sig.toUpperCase()],
    [1, () => sig.slice(0, 63)],
    [1, () => `${sig}0`],
    [1, () => 'zz'.repeat(32)],
    [1, () => ''],
  ])();
}

/** A new value for parameter `name`: a hostile one from the table, or a mutated credential / signature. */
function hostileValue(rng: Rng, name: string, value: string): string {
  if (name === 'X-Amz-Credential') return mutateCredential(rng, value);
  if (name === 'X-Amz-Signature') return mutateSignature(rng, value);
  return rng.pick(VALUES[name] ?? [randomText(rng, 20)]);
}

/** One parameter-level mutation: a value replaced or extended, a parameter dropped, doubled, renamed, added. */
function mutateParams(rng: Rng, params: readonly Param[]): Param[] {
  const out = params.map(([k, v]): Param => [k, v]);
  const i = rng.int(0, out.length - 1);
  const [name, value] = out[i] as Param;
  const replace = (p: Param) => {
    out[i] = p;
  };
  const insert = (p: Param) => {
    out.splice(rng.int(0, out.length), 0, p);
  };
  rng.weighted<() => void>([
    [4, () => replace([name, hostileValue(rng, name, value)])],
    [3, () => out.splice(i, 1)],
    [2, () => insert([name, value])],
    [2, () => insert([name, rng.pick(VALUES[name] ?? ['x'])])],
    [2, () => out.reverse()],
    [2, () => replace([rng.pick([name.toLowerCase(), `${name}x`, name.slice(1), '']), value])],
    [2, () => out.push([rng.pick(['X-Amz-Security-Token', 'Foo', 'X-Amz-Foo', '']), randomText(rng, 60)])],
    [2, () => replace([name, `${value}${encode(rng.pick(SPECIAL_STRINGS))}`])],
    [1, () => replace([name, `${value}${rng.pick(SPECIAL_STRINGS)}`])],
    [1, () => replace([name, value.replace(/%2F/g, rng.pick(['/', '%2f', '%252F']))])],
    [1, () => replace([name, 'A'.repeat(rng.int(4000, 9000))])],
  ])();
  return out;
}

/** A token-shaped password: the real token, mutated at the parameter level, the host level or byte level. */
export function tokenPassword(rng: Rng, token: string): { text: Buffer; honest: boolean } {
  const q = token.indexOf('/?');
  if (q < 0 || rng.chance(0.07)) return { text: Buffer.from(token, 'utf8'), honest: true };
  const host = token.slice(0, q);
  const params = token
    .slice(q + 2)
    .split('&')
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as Param);
  const r = rng.float();
  if (r < 0.6) {
    const query = mutateParams(rng, params)
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    return { text: Buffer.from(`${host}/?${query}`, 'utf8'), honest: false };
  }
  if (r < 0.75) {
    const newHost = rng.pick([
      'localhost:5432',
      host.replace(/:\d+$/, ':1'),
      `https://${host}`,
      '',
      host.split(':')[0] ?? '',
    ]);
    const sep = rng.pick(['/?', '?', '//?', '/', '/?&']);
    return { text: Buffer.from(`${newHost}${sep}${token.slice(q + 2)}`, 'utf8'), honest: false };
  }
  return { text: mutate(rng, Buffer.from(token, 'utf8')).bytes, honest: false };
}

export function tokenFamily(setup: PgFuzzSetup): CaseFamily {
  return {
    name: 'iam-token',
    weight: 10,
    kind: 'pre-auth',
    generate(rng): FuzzCase {
      return {
        listener: setup.listeners.iam,
        async run(wire) {
          const token = setup.token();
          if (setup.tls && rng.chance(0.9) && !(await upgrade(wire))) return 'fin';
          const user = rng.chance(0.85) ? setup.iamUser : rng.pick([setup.passwordUser, 'postgres', 'ghost']);
          await wire.send(
            startupMessage([
              ['user', user],
              ['database', setup.database],
            ]),
          );
          const code = authCode(await wire.readUntil('R'));
          if (code !== AUTH_CLEARTEXT && code !== AUTH_SASL) return 'fin';
          const { text, honest } = tokenPassword(rng, token);
          const framing = rng.float();
          const msg =
            framing < 0.85
              ? passwordMessage(text)
              : framing < 0.9
                ? frame('p', text) // no NUL terminator
                : framing < 0.95
                  ? frame('p', Buffer.concat([cstr(text), rng.bytes(rng.int(1, 16))]))
                  : mutate(rng, passwordMessage(text), [1]).bytes;
          await wire.send(msg, { split: splitOption(rng, msg.length) });
          if (honest && framing < 0.85) await wire.readUntil('Z', 10_000);
          else if (rng.chance(0.5)) await wire.maybeMessage();
          return pickFinish(rng);
        },
      };
    },
  };
}
