// Refused IAM database logins through a real gateway: each cause its own code, exact client message and SQLSTATE, an audit event, no token in the logs.
import {
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { formatUrl } from '@aws-sdk/core/util';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthTokenInput, generateAuthToken } from '../../../src/auth/iam-token/generate.js';
import { ERRORS, type ErrorCode } from '../../../src/core/errors.js';
import { type PgWireError, pgWire, sqlstateOf } from '../../../src/engines/postgres/error-wire.js';
import {
  createStartupMessage,
  PROTOCOL_3_0,
  parseErrorFields,
} from '../../../src/protocol/postgres/index.js';
import { type AccessKeyPair, CONNECT_ANYWHERE, type TestGateway } from '../../support/gateway.js';
import { conninfo, runPsql } from '../../support/psql.js';
import { RawPgConnection } from '../../support/raw-pg-client.js';
import { requireBinary } from '../../support/require-binary.js';
import {
  expectNoTokenLogged,
  type IamDbGateway,
  pgLogin,
  type Refusal,
  refusalOf,
  type SdkKeys,
  startIamDbGateway,
} from './support/iam-db-harness.js';

const psql = requireBinary('psql');
/** What a client reads when the signature did not verify with a real key, whatever else was wrong (no key, no time). */
const NOT_VERIFIED =
  'IAM auth token signature does not match: check the access key id and secret access key, region, host and port used to sign, and that the token was not altered';

/** The client message shape of a code as PostgreSQL clients read it: its template, `{param}`s as wildcards, anchored. */
function templateRegex(code: ErrorCode): RegExp {
  const wire: PgWireError = pgWire[code];
  const parts = (wire.message ?? ERRORS[code].message).split(/\{\w+\}/);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`, 's');
}

/** Change the character at `index` to another of its class (digit, upper, lower; hex in the signature). */
function flipAt(token: string, index: number, hex = false): string {
  const c = token[index] as string;
  let r: string;
  if (hex) r = ((Number.parseInt(c, 16) + 1) % 16).toString(16);
  else if (/[0-9]/.test(c)) r = String((Number(c) + 1) % 10);
  else if (/[A-Z]/.test(c)) r = c === 'Z' ? 'A' : String.fromCharCode(c.charCodeAt(0) + 1);
  else if (/[a-z]/.test(c)) r = c === 'z' ? 'a' : String.fromCharCode(c.charCodeAt(0) + 1);
  else throw new Error(`no flip for ${JSON.stringify(c)} at ${index}`);
  return token.slice(0, index) + r + token.slice(index + 1);
}

describe('IAM database login refusals through the gateway', () => {
  const tokens: string[] = [];
  let h: IamDbGateway;
  let t: TestGateway;
  let port: number;
  let offPort: number;
  let alice: AccessKeyPair;
  let aliceArn: string;
  let appIamArn: string;

  beforeAll(async () => {
    h = await startIamDbGateway();
    t = h.t;
    port = await t.createInstance('iamdb', { iam: true });
    await t.createIamDbUser('iamdb', 'app_iam');
    offPort = await t.createInstance('noiam', { iam: false });
    await t.createIamDbUser('noiam', 'off_iam');
    alice = await t.createIamPrincipal('alice', CONNECT_ANYWHERE);
    aliceArn = `arn:aws:iam::${h.accountId}:user/alice`;
    appIamArn = await h.dbUserArn('iamdb', 'app_iam');
  });
  afterAll(async () => t?.stop());

  /** A token as rds-signer mints it (byte-identical), for app_iam on the IAM instance by alice unless told. */
  async function token(o: Partial<AuthTokenInput> = {}): Promise<string> {
    const tok = await generateAuthToken({
      hostname: 'localhost',
      port,
      username: 'app_iam',
      region: h.region,
      credentials: alice,
      ...o,
    });
    tokens.push(tok);
    return tok;
  }

  /** A presigned rds-db connect URL with any X-Amz-Expires (the SDK signer always uses 900). */
  async function presign(expiresIn: number): Promise<string> {
    const signer = new SignatureV4({
      service: 'rds-db',
      region: h.region,
      credentials: alice,
      sha256: Sha256,
    });
    const request = new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname: 'localhost',
      port,
      query: { Action: 'connect', DBUser: 'app_iam' },
      headers: { host: `localhost:${port}` },
    });
    const tok = formatUrl(await signer.presign(request, { expiresIn })).replace('https://', '');
    tokens.push(tok);
    return tok;
  }

  const login = (
    password: string | (() => string),
    o: { user?: string; port?: number; tls?: boolean } = {},
  ) =>
    pgLogin({
      port: o.port ?? port,
      user: o.user ?? 'app_iam',
      password,
      ca: h.ca,
      ...(o.tls === undefined ? {} : { tls: o.tls }),
    });

  /** Log in, expect a refusal, and check it against its code's template and its audit event. */
  async function refused(
    password: string | (() => string),
    code: ErrorCode,
    o: { user?: string; port?: number; tls?: boolean } = {},
  ): Promise<Refusal> {
    const r = await refusalOf(await login(password, o), h);
    expect(r.event.code, r.message).toBe(code);
    expect(r.sqlstate).toBe(sqlstateOf(code));
    expect(r.message).toMatch(templateRegex(code));
    expect(r.event).toMatchObject({
      type: 'db.connect',
      outcome: 'failure',
      instance: o.port === offPort ? 'noiam' : 'iamdb',
      dbUser: o.user ?? 'app_iam',
      tls: o.tls !== false,
    });
    return r;
  }

  const ok = { ok: true, user: 'app_iam' };

  it('a valid token is accepted (the baseline every refusal below differs from in one way)', async () => {
    expect(await login(await token())).toEqual(ok);
  });

  describe('no TLS: GH_IAM_TLS_REQUIRED before the password is asked for', () => {
    const message =
      'user "app_iam" authenticates with IAM auth tokens, which are accepted only over TLS: connect with sslmode=verify-full (or require); the token was not read';

    it('node-postgres without TLS is refused and its password function is never called', async () => {
      let asked = 0;
      const tok = await token();
      const r = await refused(
        () => {
          asked++;
          return tok;
        },
        'GH_IAM_TLS_REQUIRED',
        { tls: false },
      );
      expect(r.message).toBe(message);
      expect(r.sqlstate).toBe('28000');
      expect(asked).toBe(0);
      expect(r.event.method).toBe('iam');
      expect(r.event.accessKeyId).toBeUndefined();
      expect(r.event.principalArn).toBeUndefined();
    });

    it('on the wire: the ErrorResponse follows the StartupMessage directly, with no AuthenticationCleartextPassword', async () => {
      const conn = await RawPgConnection.connect(port);
      conn.write(
        createStartupMessage(
          [
            ['user', 'app_iam'],
            ['database', 'app'],
          ],
          PROTOCOL_3_0,
        ),
      );
      const messages = await conn.drain();
      expect(messages.map((m) => m.type)).toEqual(['E']);
      const fields = parseErrorFields((messages[0] as { body: Buffer }).body);
      expect(fields.get('S')).toBe('FATAL');
      expect(fields.get('C')).toBe('28000');
      expect(fields.get('M')).toMatch(
        new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(request id [0-9a-f]{16}\\)$`),
      );
      expect(conn.isClosed).toBe(true);
    });

    it.skipIf(psql === null)('psql with sslmode=disable and PGPASSWORD set gets the FATAL once', async () => {
      const r = await runPsql(
        conninfo({ host: 'localhost', port, dbname: 'app', user: 'app_iam', sslmode: 'disable' }),
        'select 1',
        { bin: psql as string, password: await token() },
      );
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`FATAL:  ${message} (request id `);
      expect(r.stderr.match(/accepted only over TLS/g)).toHaveLength(1);
    });
  });

  describe('token time', () => {
    it('a token signed 16 minutes ago is GH_IAM_TOKEN_EXPIRED; one signed 14 minutes ago is accepted', async () => {
      const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000 - 16 * 60_000);
      const r = await refused(await token({ signingDate }), 'GH_IAM_TOKEN_EXPIRED');
      const m =
        /^IAM auth token expired (\d+) seconds ago \(signed at (\S+), valid for 900 seconds\): mint a fresh token for each new connection$/.exec(
          r.message,
        );
      expect(m, r.message).not.toBeNull();
      expect(Number(m?.[1])).toBeGreaterThanOrEqual(60);
      expect(Number(m?.[1])).toBeLessThanOrEqual(62);
      expect(m?.[2]).toBe(signingDate.toISOString());
      expect(r.event).toMatchObject({ accessKeyId: alice.accessKeyId, method: 'iam' });
      expect(await login(await token({ signingDate: new Date(Date.now() - 14 * 60_000) }))).toEqual(ok);
    });

    it('a token dated 6 minutes ahead is GH_IAM_TOKEN_NOT_YET_VALID; 4 minutes ahead is within the allowed skew', async () => {
      const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000 + 6 * 60_000);
      const r = await refused(await token({ signingDate }), 'GH_IAM_TOKEN_NOT_YET_VALID');
      const m =
        /^IAM auth token is dated (\d+) seconds in the future \(signed at (\S+), server time (\S+)\): check the clock of the machine that minted it$/.exec(
          r.message,
        );
      expect(m, r.message).not.toBeNull();
      expect(Number(m?.[1])).toBeGreaterThanOrEqual(357);
      expect(Number(m?.[1])).toBeLessThanOrEqual(360);
      expect(m?.[2]).toBe(signingDate.toISOString());
      expect(Math.abs(new Date(m?.[3] as string).getTime() - Date.now())).toBeLessThan(5000);
      expect(await login(await token({ signingDate: new Date(Date.now() + 4 * 60_000) }))).toEqual(ok);
    });

    it('X-Amz-Expires=901 (presigned with @smithy/signature-v4) is GH_IAM_TOKEN_EXPIRY_TOO_LONG; 900 is accepted', async () => {
      const r = await refused(await presign(901), 'GH_IAM_TOKEN_EXPIRY_TOO_LONG');
      expect(r.message).toBe(
        'IAM auth token asks to be valid for 901 seconds; auth tokens are valid for at most 900',
      );
      expect(r.sqlstate).toBe('28P01');
      expect(await login(await presign(900))).toEqual(ok);
    });
  });

  describe('what the token was signed for', () => {
    it('another region is GH_IAM_TOKEN_WRONG_REGION', async () => {
      const other = h.region === 'eu-west-1' ? 'us-east-1' : 'eu-west-1';
      const r = await refused(await token({ region: other }), 'GH_IAM_TOKEN_WRONG_REGION');
      expect(r.message).toBe(
        `IAM auth token was signed for region ${other}, but this Gatehouse is in region ${h.region}: mint it with --region ${h.region}`,
      );
      expect(r.event.accessKeyId).toBe(alice.accessKeyId);
    });

    it('another host is GH_IAM_TOKEN_WRONG_HOST', async () => {
      const r = await refused(await token({ hostname: 'db.example.com' }), 'GH_IAM_TOKEN_WRONG_HOST');
      expect(r.message).toBe(
        `IAM auth token was signed for host db.example.com:${port} but this endpoint is 127.0.0.1:${port}: mint it with the --hostname and --port you connect to, or add db.example.com:${port} to the instance with --endpoint-aliases`,
      );
      expect(r.event.accessKeyId).toBe(alice.accessKeyId);
    });

    it('another port is GH_IAM_TOKEN_WRONG_HOST', async () => {
      const r = await refused(await token({ port: port + 1 }), 'GH_IAM_TOKEN_WRONG_HOST');
      expect(r.message).toBe(
        `IAM auth token was signed for host localhost:${port + 1} but this endpoint is 127.0.0.1:${port}: mint it with the --hostname and --port you connect to, or add localhost:${port + 1} to the instance with --endpoint-aliases`,
      );
    });

    it('a token for another DB user, or the same name in another case, is GH_IAM_TOKEN_USER_MISMATCH', async () => {
      for (const tokenUser of ['someone_else', 'APP_IAM', 'App_iam']) {
        const r = await refused(await token({ username: tokenUser }), 'GH_IAM_TOKEN_USER_MISMATCH');
        expect(r.message).toBe(
          `IAM auth token was minted for DB user "${tokenUser}" but you connected as "app_iam" (user names are case-sensitive)`,
        );
        expect(r.event.accessKeyId).toBe(alice.accessKeyId);
      }
    });
  });

  it('tampered tokens: 22 single-character flips over host, parameters, credential, date and signature are each refused with their own code', async () => {
    const good = await token();
    const sigStart = good.indexOf('X-Amz-Signature=') + 'X-Amz-Signature='.length;
    const cred = good.indexOf('X-Amz-Credential=') + 'X-Amz-Credential='.length;
    const scopeDate = good.indexOf('%2F', cred) + 3; // yyyymmdd after the access key id
    const regionAt = good.indexOf(`%2F${h.region}%2F`) + 3;
    const serviceAt = good.indexOf('%2Frds-db%2F') + 3;
    const amzDate = good.indexOf('X-Amz-Date=') + 'X-Amz-Date='.length;
    const expires = good.indexOf('X-Amz-Expires=') + 'X-Amz-Expires='.length;
    const flips: Array<[string, number, ErrorCode, boolean?]> = [
      ['host name', 0, 'GH_IAM_TOKEN_WRONG_HOST'],
      ['port', good.indexOf('/') - 1, 'GH_IAM_TOKEN_WRONG_HOST'],
      ['parameter name Action', good.indexOf('Action='), 'GH_IAM_TOKEN_MALFORMED'],
      ['Action value', good.indexOf('=connect') + 1, 'GH_IAM_TOKEN_WRONG_ACTION'],
      ['DBUser value', good.indexOf('DBUser=') + 7, 'GH_IAM_TOKEN_USER_MISMATCH'],
      ['DBUser value end', good.indexOf('&', good.indexOf('DBUser=')) - 1, 'GH_IAM_TOKEN_USER_MISMATCH'],
      ['algorithm', good.indexOf('AWS4-HMAC'), 'GH_IAM_TOKEN_BAD_SCOPE'],
      ['access key id', cred + 8, 'GH_IAM_TOKEN_UNKNOWN_KEY'],
      ['access key id end', scopeDate - 4, 'GH_IAM_TOKEN_UNKNOWN_KEY'],
      ['credential scope date', scopeDate + 7, 'GH_IAM_TOKEN_BAD_SCOPE'],
      ['credential region', regionAt + h.region.length - 1, 'GH_IAM_TOKEN_WRONG_REGION'],
      ['credential service', serviceAt + 5, 'GH_IAM_TOKEN_BAD_SCOPE'],
      ['credential terminator', good.indexOf('aws4_request') + 5, 'GH_IAM_TOKEN_BAD_SCOPE'],
      ['X-Amz-Date day', amzDate + 7, 'GH_IAM_TOKEN_BAD_SCOPE'],
      ['X-Amz-Date seconds', amzDate + 14, 'GH_IAM_TOKEN_SIGNATURE_MISMATCH'],
      ['X-Amz-Expires', expires + 2, 'GH_IAM_TOKEN_EXPIRY_TOO_LONG'],
      ['signed headers', good.indexOf('SignedHeaders=host') + 17, 'GH_IAM_TOKEN_BAD_SCOPE'],
      ['parameter name X-Amz-Signature', good.indexOf('X-Amz-Signature='), 'GH_IAM_TOKEN_MALFORMED'],
      ['signature first digit', sigStart, 'GH_IAM_TOKEN_SIGNATURE_MISMATCH', true],
      ['signature digit 21', sigStart + 21, 'GH_IAM_TOKEN_SIGNATURE_MISMATCH', true],
      ['signature digit 40', sigStart + 40, 'GH_IAM_TOKEN_SIGNATURE_MISMATCH', true],
      ['signature last digit', sigStart + 63, 'GH_IAM_TOKEN_SIGNATURE_MISMATCH', true],
    ];
    expect(good.slice(sigStart)).toMatch(/^[0-9a-f]{64}(&|$)/);
    for (const [what, index, code, hex] of flips) {
      expect(index, what).toBeGreaterThanOrEqual(0);
      const bad = flipAt(good, index, hex);
      expect(bad, what).not.toBe(good);
      tokens.push(bad);
      const r = await refusalOf(await login(bad), h);
      expect({ what, code: r.event.code, sqlstate: r.sqlstate }).toEqual({ what, code, sqlstate: '28P01' });
      expect(r.message, what).toMatch(templateRegex(code));
      if (code === 'GH_IAM_TOKEN_SIGNATURE_MISMATCH' || code === 'GH_IAM_TOKEN_UNKNOWN_KEY') {
        expect(r.message).toBe(NOT_VERIFIED);
      }
      if (code === 'GH_IAM_TOKEN_SIGNATURE_MISMATCH') {
        expect(r.event).toMatchObject({ accessKeyId: alice.accessKeyId, principalArn: aliceArn });
      }
    }
    expect(await login(good)).toEqual(ok);
  });

  describe('the signing key and its owner', () => {
    it('a key this Gatehouse never issued is GH_IAM_TOKEN_UNKNOWN_KEY for the operator; the client reads what a wrong signature reads', async () => {
      const stranger = { accessKeyId: 'AKIAZZZZZZZZZZZZZZZZ', secretAccessKey: 'x'.repeat(40) };
      const r = await refused(await token({ credentials: stranger }), 'GH_IAM_TOKEN_UNKNOWN_KEY');
      expect(r.message).toBe(NOT_VERIFIED);
      expect(r.event.accessKeyId).toBe('AKIAZZZZZZZZZZZZZZZZ');
      expect(r.event.principalArn).toBeUndefined();
    });

    it('a key made Inactive with UpdateAccessKey is GH_IAM_TOKEN_KEY_INACTIVE, and works again once Active', async () => {
      const ivan = await t.createIamPrincipal('ivan', CONNECT_ANYWHERE);
      const mint = () => token({ credentials: ivan });
      expect(await login(await mint())).toEqual(ok);
      const setStatus = (Status: 'Active' | 'Inactive') =>
        h.iam().send(new UpdateAccessKeyCommand({ UserName: 'ivan', AccessKeyId: ivan.accessKeyId, Status }));
      await setStatus('Inactive');
      const r = await refused(await mint(), 'GH_IAM_TOKEN_KEY_INACTIVE');
      expect(r.message).toBe(
        `IAM auth token was signed with access key ${ivan.accessKeyId}, which is inactive: activate it (gatehouse iam update-access-key --status Active) or use another key`,
      );
      expect(r.event).toMatchObject({
        accessKeyId: ivan.accessKeyId,
        principalArn: `arn:aws:iam::${h.accountId}:user/ivan`,
      });
      await setStatus('Active');
      expect(await login(await mint())).toEqual(ok);
    });

    it('a deleted IAM user (key, policy and user deleted via the API) is GH_IAM_TOKEN_UNKNOWN_KEY: its key went with it', async () => {
      const dora = await t.createIamPrincipal('dora', CONNECT_ANYWHERE);
      const tok = await token({ credentials: dora });
      expect(await login(tok)).toEqual(ok);
      const iam = h.iam();
      await iam.send(new DeleteAccessKeyCommand({ UserName: 'dora', AccessKeyId: dora.accessKeyId }));
      await iam.send(new DeleteUserPolicyCommand({ UserName: 'dora', PolicyName: 'connect' }));
      await iam.send(new DeleteUserCommand({ UserName: 'dora' }));
      // The token itself is still fresh: only the deletion refuses it.
      const r = await refused(tok, 'GH_IAM_TOKEN_UNKNOWN_KEY');
      expect(r.message).toBe(NOT_VERIFIED);
      expect(r.event.accessKeyId).toBe(dora.accessKeyId);
    });
  });

  describe('the rds-db:connect policy decision', () => {
    const principal = (name: string) => `arn:aws:iam::${h.accountId}:user/${name}`;
    const mintFor = (keys: SdkKeys) => token({ credentials: keys });

    it('an explicit Deny of rds-db:connect beats an Allow: GH_IAM_CONNECT_EXPLICIT_DENY', async () => {
      const dan = await t.createIamPrincipal('dan', {
        Version: '2012-10-17',
        Statement: [
          ...CONNECT_ANYWHERE.Statement,
          { Effect: 'Deny', Action: 'rds-db:connect', Resource: appIamArn },
        ],
      });
      const r = await refused(await mintFor(dan), 'GH_IAM_CONNECT_EXPLICIT_DENY');
      expect(r.sqlstate).toBe('28000');
      expect(r.message).toBe(
        `User: ${principal('dan')} is not authorized to perform: rds-db:connect on resource: ${appIamArn} with an explicit deny in an identity-based policy`,
      );
      expect(r.event).toMatchObject({ accessKeyId: dan.accessKeyId, principalArn: principal('dan') });
    });

    it('a user with no policy at all: GH_IAM_CONNECT_DENIED', async () => {
      const nora = await t.createIamPrincipal('nora', null);
      const r = await refused(await mintFor(nora), 'GH_IAM_CONNECT_DENIED');
      expect(r.sqlstate).toBe('28000');
      expect(r.message).toBe(
        `User: ${principal('nora')} is not authorized to perform: rds-db:connect on resource: ${appIamArn} because no identity-based policy allows the rds-db:connect action`,
      );
      expect(r.event).toMatchObject({ accessKeyId: nora.accessKeyId, principalArn: principal('nora') });
    });

    const allowFrom = (cidr: string) => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'rds-db:connect',
          Resource: 'arn:aws:rds-db:*:*:dbuser:*/app_iam',
          Condition: { IpAddress: { 'aws:SourceIp': cidr } },
        },
      ],
    });

    it('an Allow conditioned on aws:SourceIp 10.0.0.0/8 does not match a client on 127.0.0.1: GH_IAM_CONNECT_DENIED', async () => {
      const sid = await t.createIamPrincipal('sid', allowFrom('10.0.0.0/8'));
      const r = await refused(await mintFor(sid), 'GH_IAM_CONNECT_DENIED');
      expect(r.message).toBe(
        `User: ${principal('sid')} is not authorized to perform: rds-db:connect on resource: ${appIamArn} because no identity-based policy allows the rds-db:connect action`,
      );
    });

    it('the same Allow conditioned on aws:SourceIp 127.0.0.1/32 lets the client in', async () => {
      const sia = await t.createIamPrincipal('sia', allowFrom('127.0.0.1/32'));
      expect(await login(await mintFor(sia))).toEqual(ok);
    });
  });

  describe('which users take tokens', () => {
    it('a password user on an IAM-enabled instance given a token is GH_IAM_USER_NOT_ENABLED; an unknown user gets the same message', async () => {
      const password = await t.createUser('iamdb', 'pw_user');
      const message = (user: string) =>
        `password authentication failed for user "${user}" (if the password was an IAM auth token: "${user}" is not an IAM database user on this instance; create it with --auth iam or GRANT rds_iam TO it)`;
      const known = await refused(await token({ username: 'pw_user' }), 'GH_IAM_USER_NOT_ENABLED', {
        user: 'pw_user',
      });
      const unknown = await refused(await token({ username: 'ghost' }), 'GH_IAM_USER_NOT_ENABLED', {
        user: 'ghost',
      });
      expect(known.message).toBe(message('pw_user'));
      expect(unknown.message).toBe(message('ghost'));
      expect(known.sqlstate).toBe('28P01');
      expect(unknown.sqlstate).toBe(known.sqlstate);
      // The password user still logs in with its password on the IAM-enabled instance.
      expect(await login(password, { user: 'pw_user' })).toEqual({ ok: true, user: 'pw_user' });
    });

    it('an IAM user on an instance with IAM auth disabled is GH_IAM_AUTH_DISABLED, before the token is asked for', async () => {
      let asked = 0;
      const tok = await token({ username: 'off_iam', port: offPort });
      const r = await refused(
        () => {
          asked++;
          return tok;
        },
        'GH_IAM_AUTH_DISABLED',
        { user: 'off_iam', port: offPort },
      );
      expect(r.sqlstate).toBe('28000');
      expect(r.message).toBe(
        'IAM database authentication is not enabled on instance "noiam": enable it with gatehouse rds modify-db-instance --db-instance-identifier noiam --enable-iam-database-authentication',
      );
      expect(asked).toBe(0);
    });

    it('an IAM user given a plain password is GH_IAM_ONLY_USER', async () => {
      const r = await refused('correct horse battery staple', 'GH_IAM_ONLY_USER');
      expect(r.sqlstate).toBe('28P01');
      expect(r.message).toBe(
        'user "app_iam" is an IAM database user (created with --auth iam or granted rds_iam): its password must be an IAM auth token (gatehouse rds generate-db-auth-token or aws rds generate-db-auth-token), not a password',
      );
      expect(r.event.accessKeyId).toBeUndefined();
    });

    it('a 9 KB password message is GH_IAM_TOKEN_TOO_LARGE', async () => {
      const r = await refused('a'.repeat(9216), 'GH_IAM_TOKEN_TOO_LARGE');
      expect(r.sqlstate).toBe('28P01');
      expect(r.message).toBe('IAM auth token is 9216 bytes; the limit is 8192');
    });
  });

  it('other clients are unaffected: good logins during and right after a burst of 40 bad ones succeed', async () => {
    const good = await token();
    const bad = [
      () => login('not a token'),
      async () => login(await token({ region: 'ap-south-1' })),
      async () => login(flipAt(good, good.length - 1, true)),
      () => login('b'.repeat(9000)),
    ];
    const burst = Array.from({ length: 40 }, (_, i) => (bad[i % bad.length] as () => Promise<unknown>)());
    const during = login(good);
    const results = (await Promise.all(burst)) as Array<{ ok: boolean }>;
    expect(results.filter((r) => r.ok)).toEqual([]);
    expect(await during).toEqual(ok);
    const started = Date.now();
    expect(await login(good)).toEqual(ok);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('no log line holds any token used in this file, nor its full signature', () => {
    expect(tokens.length).toBeGreaterThan(60);
    expectNoTokenLogged(h.logLines, tokens);
  });
});
