// parseAuthToken reads every field of SDK-minted RDS tokens, in any parameter order, and refuses anything not
// in the one canonical form (GH_IAM_TOKEN_MALFORMED with a reason); looksLikeToken tells tokens from passwords.
import { describe, expect, it } from 'vitest';
import { generateAuthToken } from '../../../src/auth/iam-token/generate.js';
import { looksLikeToken, parseAuthToken } from '../../../src/auth/iam-token/parse.js';
import { GatehouseError } from '../../../src/core/errors.js';
import {
  AT,
  ENDPOINT,
  expectNoSecrets,
  LONG_TERM,
  rawParam,
  rdsSignerToken,
  reorder,
  signatureOf,
  TEMPORARY,
  withoutParam,
  withParam,
} from './support/iam-token.js';

function malformedReason(token: string): string {
  let err: unknown;
  try {
    parseAuthToken(token);
  } catch (e) {
    err = e;
  }
  if (!(err instanceof GatehouseError))
    throw new Error(`parsed, or threw a non-GatehouseError: ${String(err)}`);
  expect(err.code).toBe('GH_IAM_TOKEN_MALFORMED');
  const prefix = 'IAM auth token is malformed: ';
  expect(err.message.startsWith(prefix)).toBe(true);
  expectNoSecrets(err, { signature: signatureOf(base) });
  return err.message.slice(prefix.length);
}

const base = await rdsSignerToken();
const session = await rdsSignerToken({ credentials: TEMPORARY });

describe('parseAuthToken: what it reads', () => {
  it('reads every field of an rds-signer token, decoding values and keeping the raw canonical query', () => {
    const t = parseAuthToken(session);
    expect(t).toEqual({
      signedHost: ENDPOINT,
      canonicalQuery: [
        'Action=connect',
        'DBUser=app_user',
        'X-Amz-Algorithm=AWS4-HMAC-SHA256',
        `X-Amz-Credential=${TEMPORARY.accessKeyId}%2F20261128%2Fus-east-1%2Frds-db%2Faws4_request`,
        'X-Amz-Date=20261128T123456Z',
        'X-Amz-Expires=900',
        `X-Amz-Security-Token=${rawParam(session, 'X-Amz-Security-Token')}`,
        'X-Amz-SignedHeaders=host',
      ].join('&'),
      action: 'connect',
      dbUser: 'app_user',
      algorithm: 'AWS4-HMAC-SHA256',
      accessKeyId: TEMPORARY.accessKeyId,
      scopeDate: '20261128',
      region: 'us-east-1',
      service: 'rds-db',
      terminator: 'aws4_request',
      amzDate: '20261128T123456Z',
      signedAt: AT,
      expiresSeconds: 900,
      signedHeaders: 'host',
      signature: signatureOf(session),
      securityToken: TEMPORARY.sessionToken,
    });
  });

  it('has no securityToken for a long-term key token', () => {
    expect(parseAuthToken(base).securityToken).toBeUndefined();
  });

  it('gives the same canonical query (sorted by name, signature left out) for any parameter order', () => {
    const expected = parseAuthToken(session);
    for (const order of [
      (p: string[]) => [...p].reverse(),
      (p: string[]) => [...p.slice(3), ...p.slice(0, 3)],
      (p: string[]) => [...p].sort(),
    ]) {
      expect(parseAuthToken(reorder(session, order))).toEqual(expected);
    }
  });

  it('decodes a user name that needed percent-encoding (space, &, #, non-ASCII)', async () => {
    const token = await generateAuthToken({
      hostname: 'db.example.internal',
      port: 5433,
      username: 'app user&x#é',
      region: 'us-east-1',
      credentials: LONG_TERM,
      signingDate: AT,
    });
    expect(token).toContain('DBUser=app%20user%26x%23%C3%A9&');
    expect(parseAuthToken(token).dbUser).toBe('app user&x#é');
  });

  it('accepts an IPv6 literal host and an upper-case host as signed (case is kept for the signature)', () => {
    const v6 = `[fd00::1]:5433/?${base.split('/?')[1]}`;
    expect(parseAuthToken(v6).signedHost).toBe('[fd00::1]:5433');
    const upper = `DB.Example.Internal:5433/?${base.split('/?')[1]}`;
    expect(parseAuthToken(upper).signedHost).toBe('DB.Example.Internal:5433');
  });

  it('accepts a host name with underscores (Docker Compose service names), as signers do', () => {
    const compose = `gatehouse_db:5432/?${base.split('/?')[1]}`;
    expect(parseAuthToken(compose).signedHost).toBe('gatehouse_db:5432');
  });
});

describe('parseAuthToken: one canonical form, everything else GH_IAM_TOKEN_MALFORMED', () => {
  const q = base.slice(base.indexOf('/?'));
  const cases: [string, string, string][] = [
    ['empty', '', 'the password is empty'],
    ['a plain password', 'hunter2', 'expected HOST:PORT/?Action=connect&DBUser=…'],
    [
      'an https:// URL',
      `https://${base}`,
      'it starts with a URL scheme; a token is HOST:PORT/?Action=connect&… with no scheme',
    ],
    [
      'a postgres:// URL',
      `postgres://${base}`,
      'it starts with a URL scheme; a token is HOST:PORT/?Action=connect&… with no scheme',
    ],
    ['no port', `db.example.internal${q}`, '"db.example.internal" is not HOST:PORT'],
    ['port 0', `db.example.internal:0${q}`, '"db.example.internal:0" is not HOST:PORT'],
    ['port 65536', `db.example.internal:65536${q}`, '"db.example.internal:65536" is not HOST:PORT'],
    ['a leading-zero port', `db.example.internal:05433${q}`, '"db.example.internal:05433" is not HOST:PORT'],
    [
      'userinfo in the host',
      `u@db.example.internal:5433${q}`,
      '"u@db.example.internal:5433" is not HOST:PORT',
    ],
    ['a path', base.replace('/?', '/x?'), 'the path must be "/" followed by the query (HOST:PORT/?…)'],
    ['no query', `${ENDPOINT}/`, 'the path must be "/" followed by the query (HOST:PORT/?…)'],
    ['an empty query', `${ENDPOINT}/?`, '"" is not NAME=VALUE'],
    ['a trailing &', `${base}&`, '"" is not NAME=VALUE'],
    ['a doubled &', base.replace('&DBUser', '&&DBUser'), '"" is not NAME=VALUE'],
    ['a parameter without =', base.replace('Action=connect', 'Action'), '"Action" is not NAME=VALUE'],
    ['an empty name', base.replace('Action=connect', '=connect'), 'query item 1 is not NAME=VALUE'],
    [
      'a name cut short (a truncated token)',
      base.slice(0, base.indexOf('X-Amz-Signature=') + 9),
      '"X-Amz-Sig" is not NAME=VALUE',
    ],
    ['an unknown parameter', `${base}&Foo=1`, 'unknown parameter "Foo"'],
    ['a lower-case known name', base.replace('Action=', 'action='), 'unknown parameter "action"'],
    ['an encoded name', base.replace('DBUser=', 'DB%55ser='), 'unknown parameter "DB%55ser"'],
    ['a duplicate parameter', `${base}&Action=connect`, 'parameter Action appears twice'],
    [
      'a duplicate signature',
      `${base}&X-Amz-Signature=${signatureOf(base)}`,
      'parameter X-Amz-Signature appears twice',
    ],
    [
      'a lower-case percent escape (%2f)',
      base.replace('%2F20261128%2F', '%2f20261128%2F'),
      'X-Amz-Credential is not in canonical URI encoding',
    ],
    [
      'an unreserved character percent-encoded',
      withParam(base, 'DBUser', 'app%5Fuser'),
      'DBUser is not in canonical URI encoding',
    ],
    ['+ for a space', withParam(base, 'DBUser', 'app+user'), 'DBUser is not in canonical URI encoding'],
    ['a bare space', withParam(base, 'DBUser', 'app user'), 'DBUser is not in canonical URI encoding'],
    [
      'a bare reserved character',
      withParam(base, 'DBUser', "app'user"),
      'DBUser is not in canonical URI encoding',
    ],
    [
      'a bare slash in the credential',
      base.replace('%2F20261128', '/20261128'),
      'X-Amz-Credential is not in canonical URI encoding',
    ],
    ['a broken escape', withParam(base, 'DBUser', 'app%zzuser'), 'DBUser is not valid percent-encoding'],
    ['invalid UTF-8', withParam(base, 'DBUser', 'app%E9user'), 'DBUser is not valid percent-encoding'],
    [
      'a lone surrogate (library callers only: the wire is UTF-8)',
      withParam(base, 'DBUser', 'app\uD800user'),
      'DBUser is not in canonical URI encoding',
    ],
    [
      'a credential with four parts',
      withParam(base, 'X-Amz-Credential', 'AKIAIOSFODNN7EXAMPLE%2F20261128%2Fus-east-1%2Frds-db'),
      'X-Amz-Credential must be ACCESS_KEY_ID/yyyymmdd/REGION/SERVICE/aws4_request',
    ],
    [
      'a lower-case access key id',
      withParam(
        base,
        'X-Amz-Credential',
        'akiaiosfodnn7example%2F20261128%2Fus-east-1%2Frds-db%2Faws4_request',
      ),
      'the access key id in X-Amz-Credential is invalid',
    ],
    [
      'a short access key id',
      withParam(base, 'X-Amz-Credential', 'AKIA%2F20261128%2Fus-east-1%2Frds-db%2Faws4_request'),
      'the access key id in X-Amz-Credential is invalid',
    ],
    [
      'negative X-Amz-Expires',
      withParam(base, 'X-Amz-Expires', '-1'),
      'X-Amz-Expires must be a whole number of seconds',
    ],
    [
      'leading-zero X-Amz-Expires',
      withParam(base, 'X-Amz-Expires', '0900'),
      'X-Amz-Expires must be a whole number of seconds',
    ],
    [
      'fractional X-Amz-Expires',
      withParam(base, 'X-Amz-Expires', '1.5'),
      'X-Amz-Expires must be a whole number of seconds',
    ],
    [
      'X-Amz-Date without Z',
      withParam(base, 'X-Amz-Date', '20261128T123456'),
      'X-Amz-Date "20261128T123456" is not yyyymmddThhmmssZ',
    ],
    [
      'X-Amz-Date in ISO 8601 extended form',
      withParam(base, 'X-Amz-Date', '2026-11-28T12%3A34%3A56Z'),
      'X-Amz-Date "2026-11-28T12:34:56Z" is not yyyymmddThhmmssZ',
    ],
    [
      'February 30th',
      withParam(base, 'X-Amz-Date', '20260230T123456Z'),
      'X-Amz-Date "20260230T123456Z" is not a valid time',
    ],
    [
      'hour 24',
      withParam(base, 'X-Amz-Date', '20261128T240000Z'),
      'X-Amz-Date "20261128T240000Z" is not a valid time',
    ],
    [
      'second 60',
      withParam(base, 'X-Amz-Date', '20261128T235960Z'),
      'X-Amz-Date "20261128T235960Z" is not a valid time',
    ],
    [
      'an upper-case hex signature',
      withParam(base, 'X-Amz-Signature', signatureOf(base).toUpperCase()),
      'X-Amz-Signature must be 64 lower-case hex digits',
    ],
    [
      'a 63-digit signature',
      withParam(base, 'X-Amz-Signature', signatureOf(base).slice(1)),
      'X-Amz-Signature must be 64 lower-case hex digits',
    ],
    ['an empty session token', `${base}&X-Amz-Security-Token=`, 'X-Amz-Security-Token is empty'],
  ];
  for (const name of [
    'Action',
    'DBUser',
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Date',
    'X-Amz-Expires',
    'X-Amz-SignedHeaders',
    'X-Amz-Signature',
  ]) {
    cases.push([`no ${name}`, withoutParam(base, name), `parameter ${name} is missing`]);
  }

  it.each(cases)('refuses %s', (_name, token, reason) => {
    expect(malformedReason(token)).toBe(reason);
  });

  it('accepts only the canonical spelling among equivalent encodings of the same value', () => {
    // Each pair decodes to the same DBUser; only the signer's own encoding parses.
    const spellings = ['app%5Fuser', 'app_user', '%61pp_user', 'app%5fuser'];
    const parsed = spellings.filter((s) => {
      try {
        parseAuthToken(withParam(base, 'DBUser', s));
        return true;
      } catch {
        return false;
      }
    });
    expect(parsed).toEqual(['app_user']);
  });

  it('does not quote the tail of a value split by a stray "&" (it may be session token or signature)', () => {
    const token = reorder(session, (p) => [...p].sort());
    const value = rawParam(token, 'X-Amz-Security-Token');
    const split = withParam(token, 'X-Amz-Security-Token', `${value.slice(0, 10)}&${value.slice(10)}`);
    expect(malformedReason(split)).toBe('query item 8 is not NAME=VALUE');
    const sig = signatureOf(token);
    const splitSig = withParam(token, 'X-Amz-Signature', `${sig.slice(0, 8)}&${sig.slice(8)}`);
    expect(malformedReason(splitSig)).toBe('query item 9 is not NAME=VALUE');
  });

  it('cuts what it quotes from a hostile token (unknown name and host at most 40 and 80 characters)', () => {
    const longName = `${'N'.repeat(500)}=1`;
    expect(malformedReason(`${base}&${longName}`)).toBe(`unknown parameter "${'N'.repeat(40)}"`);
    expect(malformedReason(`${'h'.repeat(300)}:5433${q}`)).toBe(`"${'h'.repeat(80)}" is not HOST:PORT`);
  });
});

describe('looksLikeToken', () => {
  it.each([
    ['an rds-signer token', base, true],
    ['a token with a session token', session, true],
    ['HOST:PORT/? alone', 'db.example.internal:5433/?', true],
    ['anything with X-Amz- in it', 'garbage with X-Amz-Signature in it', true],
    ['a password', 'hunter2', false],
    ['an empty password', '', false],
    ['a password with a colon', 'pass:word', false],
    ['a password with a space before :N/?', 'my pass:1/?x', false],
    ['a non-numeric port', 'host:port/?x', false],
  ])('%s -> %s', (_label, password, expected) => {
    expect(looksLikeToken(password)).toBe(expected);
  });
});
