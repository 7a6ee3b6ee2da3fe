// What a client can make the gateway say, through real clients: values it sends come back escaped and capped in
// one ErrorResponse field (never a field of their own), and before a token's signature verifies nothing is
// said about keys or the clock (docs/decisions.md #36), while the operator log and audit keep the precise reason.
import { UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthTokenInput, generateAuthToken } from '../../../src/auth/iam-token/generate.js';
import {
  AUTH,
  createPasswordMessage,
  createStartupMessage,
  PROTOCOL_3_0,
  parseAuthenticationRequest,
  parseErrorFields,
} from '../../../src/protocol/postgres/index.js';
import { type AccessKeyPair, CONNECT_ANYWHERE, type TestGateway } from '../../support/gateway.js';
import { conninfo, runPsql } from '../../support/psql.js';
import { RawPgConnection, type ServerMessage, startup, verifiedTls } from '../../support/raw-pg-client.js';
import { requireBinary } from '../../support/require-binary.js';
import {
  expectNoTokenLogged,
  type IamDbGateway,
  pgLogin,
  refusalOf,
  startIamDbGateway,
} from './support/iam-db-harness.js';

const psql = requireBinary('psql');
/** C0 and C1 controls and DEL: none may reach a client inside a message. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const NOT_VERIFIED =
  'IAM auth token signature does not match: check the access key id and secret access key, region, host and port used to sign, and that the token was not altered';
/** Words that would tell a forger about the clock or a key. */
const TELLS = /\d{4}-\d\d-\d\dT|server time|future|expired|inactive|does not know|not exist|AKIA|ASIA/i;

describe('client values and pre-signature disclosure, through the gateway', () => {
  const tokens: string[] = [];
  let h: IamDbGateway;
  let t: TestGateway;
  let port: number;
  let alice: AccessKeyPair;

  beforeAll(async () => {
    h = await startIamDbGateway();
    t = h.t;
    port = await t.createInstance('echo', { iam: true });
    await t.createIamDbUser('echo', 'app_iam');
    alice = await t.createIamPrincipal('alice', CONNECT_ANYWHERE);
  });
  afterAll(async () => t?.stop());

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

  /** Over verified TLS: start up as `user`, answer the cleartext password request with `password`, read to the end. */
  async function rawTokenLogin(user: string, password: string): Promise<ServerMessage[]> {
    const conn = await RawPgConnection.connect(port);
    expect(await conn.requestSsl()).toBe('S');
    await conn.startTls(verifiedTls(t.caFile));
    conn.write(
      createStartupMessage(
        [
          ['user', user],
          ['database', 'app'],
        ],
        PROTOCOL_3_0,
      ),
    );
    const request = await conn.readMessage();
    expect(request?.type).toBe('R');
    expect(parseAuthenticationRequest((request as ServerMessage).body).code).toBe(AUTH.cleartextPassword);
    conn.write(createPasswordMessage(password));
    const rest = await conn.drain();
    expect(conn.isClosed).toBe(true);
    return [request as ServerMessage, ...rest];
  }

  /** The one ErrorResponse's fields: exactly severity, SQLSTATE and message, nothing a client could add. */
  function onlyError(messages: readonly ServerMessage[]): Map<string, string> {
    const errors = messages.filter((m) => m.type === 'E');
    expect(errors).toHaveLength(1);
    const fields = parseErrorFields((errors[0] as ServerMessage).body);
    expect([...fields.keys()]).toEqual(['S', 'V', 'C', 'M']);
    expect(fields.get('S')).toBe('FATAL');
    const message = fields.get('M') as string;
    expect(message).not.toMatch(CONTROL);
    expect(message).toMatch(/ \(request id [0-9a-f]{16}\)$/);
    return fields;
  }

  /** The operator log line of a refusal: its code and detail. */
  function operatorLine(requestId: string): { code?: string; detail?: string } {
    const line = h.logLines
      .map((l) => JSON.parse(l) as { requestId?: string; code?: string; detail?: string; audit?: boolean })
      .find((l) => !l.audit && l.requestId === requestId && l.code !== undefined);
    expect(line, `log line of ${requestId}`).toBeDefined();
    return line as { code?: string; detail?: string };
  }

  describe('values a client sends are one plain, escaped, capped field', () => {
    const spoof = 'x\u0000HSPOOFED HINT\u0000Dspoofed detail';

    it('raw client: a token whose DBUser carries NUL, CR/LF, ESC and 6 KB gives one M field, escaped and capped', async () => {
      const tok = await token({ username: `${spoof}\r\nFATAL:  fake\u001b[2J${'y'.repeat(6000)}` });
      expect(tok).toContain('DBUser=x%00HSPOOFED%20HINT%00Dspoofed%20detail%0D%0AFATAL');
      const fields = onlyError(await rawTokenLogin('app_iam', tok));
      expect(fields.get('C')).toBe('28P01');
      expect(fields.get('M')).toMatch(
        /^IAM auth token was minted for DB user "x\\x00HSPOOFED HINT\\x00Dspoofed detail\\r\\nFATAL: {2}fake\\x1B\[2Jy+" but you connected as "app_iam" \(user names are case-sensitive\) \(request id [0-9a-f]{16}\)$/,
      );
      expect((fields.get('M') as string).length).toBeLessThan(400);
    });

    it('raw client: a 9 KB start-up user with CR/LF and ESC gives one M field with the user capped at 256 characters', async () => {
      const user = `evil\r\nHINT:  spoofed\u001b[31m${'u'.repeat(9000)}`;
      const conn = await RawPgConnection.connect(port);
      expect(await conn.requestSsl()).toBe('S');
      await conn.startTls(verifiedTls(t.caFile));
      const r = await startup(conn, { user, database: 'app', password: await token() });
      const fields = onlyError(r.messages);
      expect(fields.get('C')).toBe('28P01');
      const quoted = [...(fields.get('M') as string).matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
      expect(quoted).toHaveLength(2);
      for (const q of quoted) {
        expect(q.startsWith('evil\\r\\nHINT:  spoofed\\x1B[31muuu')).toBe(true);
        expect(q.length).toBe(256);
        expect(q.endsWith('…')).toBe(true);
      }
      expect((fields.get('M') as string).length).toBeLessThan(800);
      conn.close();
    });

    it.skipIf(psql === null)(
      'psql: the DBUser of the issue (x%00HSPOOFED%20HINT%00Dspoofed%20detail) prints no HINT or DETAIL line',
      async () => {
        const tok = await token({ username: spoof });
        expect(tok).toContain('&DBUser=x%00HSPOOFED%20HINT%00Dspoofed%20detail&');
        const r = await runPsql(
          conninfo({
            host: 'localhost',
            port,
            dbname: 'app',
            user: 'app_iam',
            sslmode: 'verify-full',
            sslrootcert: t.caFile,
          }),
          'select 1',
          { bin: psql as string, password: tok },
        );
        expect(r.code).toBe(2);
        expect(r.stderr).not.toMatch(/^(HINT|DETAIL):/m);
        expect(r.stderr).toContain(
          'FATAL:  IAM auth token was minted for DB user "x\\x00HSPOOFED HINT\\x00Dspoofed detail" but you connected as "app_iam"',
        );
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      },
    );
  });

  describe('before the signature verifies, nothing about keys or the clock', () => {
    /** The token with a signature nobody computed. */
    const forged = (tok: string) =>
      tok.replace(/X-Amz-Signature=[0-9a-f]{64}/, `X-Amz-Signature=${'f00d'.repeat(16)}`);
    const login = (password: string) => pgLogin({ port, user: 'app_iam', password, ca: h.ca });

    it('forged tokens with an unknown key, an inactive key, a future date and an expired date get one client text; the log and audit keep the reason', async () => {
      const ina = await t.createIamPrincipal('ina', CONNECT_ANYWHERE);
      await h
        .iam()
        .send(
          new UpdateAccessKeyCommand({ UserName: 'ina', AccessKeyId: ina.accessKeyId, Status: 'Inactive' }),
        );
      const now = Math.floor(Date.now() / 1000) * 1000;
      const stranger = { accessKeyId: 'AKIAZZZZZZZZZZZZZZZZ', secretAccessKey: 'x'.repeat(40) };
      const cases: Array<[string, string, string, RegExp]> = [
        [
          'unknown key',
          await token({ credentials: stranger }),
          'GH_IAM_TOKEN_UNKNOWN_KEY',
          /^no access key or STS session AKIAZZZZZZZZZZZZZZZZ /,
        ],
        [
          'inactive key',
          await token({ credentials: ina }),
          'GH_IAM_TOKEN_SIGNATURE_MISMATCH',
          new RegExp(
            `does not verify with the secret of ${ina.accessKeyId} \\(principal .*user/ina, key Inactive\\)$`,
          ),
        ],
        [
          'dated an hour ahead',
          await token({ signingDate: new Date(now + 3_600_000) }),
          'GH_IAM_TOKEN_SIGNATURE_MISMATCH',
          /key Active\); it is also dated 3\d{3} seconds in the future \(signed at \S+, server time \S+\)$/,
        ],
        [
          'signed an hour ago',
          await token({ signingDate: new Date(now - 3_600_000) }),
          'GH_IAM_TOKEN_SIGNATURE_MISMATCH',
          /key Active\); it also expired 2\d{3} seconds ago \(signed at \S+, valid for 900 seconds\)$/,
        ],
      ];
      const texts = new Set<string>();
      for (const [what, good, code, detail] of cases) {
        const bad = forged(good);
        tokens.push(bad);
        const r = await refusalOf(await login(bad), h);
        expect({ what, code: r.event.code, sqlstate: r.sqlstate }).toEqual({ what, code, sqlstate: '28P01' });
        expect(r.message, what).not.toMatch(TELLS);
        texts.add(r.message);
        expect(operatorLine(r.requestId).detail, what).toMatch(detail);
        expect(r.event.accessKeyId, what).toMatch(/^AKIA/);
      }
      expect([...texts]).toEqual([NOT_VERIFIED]);
    });

    it('the same dates with a signature that verifies are told precisely (the signer holds the secret)', async () => {
      const ahead = await refusalOf(
        await login(await token({ signingDate: new Date(Date.now() + 3_600_000) })),
        h,
      );
      expect(ahead.event.code).toBe('GH_IAM_TOKEN_NOT_YET_VALID');
      expect(ahead.message).toContain('server time ');
      const old = await refusalOf(
        await login(await token({ signingDate: new Date(Date.now() - 3_600_000) })),
        h,
      );
      expect(old.event.code).toBe('GH_IAM_TOKEN_EXPIRED');
    });
  });

  it('no log line holds any token used in this file, nor its full signature', () => {
    expectNoTokenLogged(h.logLines, tokens);
  });
});
