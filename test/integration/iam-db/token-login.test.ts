// IAM database authentication end to end: tokens from unmodified RDS tooling and from AssumeRole credentials accepted.
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAuthToken } from '../../../src/auth/iam-token/generate.js';
import { createAuthTokenProvider } from '../../../src/auth/iam-token/provider.js';
import { type AccessKeyPair, CONNECT_ANYWHERE, type TestGateway } from '../../support/gateway.js';
import { requireBinary } from '../../support/require-binary.js';
import {
  expectNoTokenLogged,
  type IamDbGateway,
  pgLogin,
  psqlWithToken,
  refusalOf,
  type SdkKeys,
  startIamDbGateway,
} from './support/iam-db-harness.js';

const psql = requireBinary('psql');

describe('IAM auth tokens through the gateway', () => {
  const tokens = new Set<string>();
  let h: IamDbGateway;
  let t: TestGateway;
  let port: number;
  let alice: AccessKeyPair;

  beforeAll(async () => {
    h = await startIamDbGateway();
    t = h.t;
    port = await t.createInstance('iamdb', { iam: true });
    await t.createIamDbUser('iamdb', 'app_iam');
    alice = await t.createIamPrincipal('alice', CONNECT_ANYWHERE);
  });
  afterAll(async () => t?.stop());

  const signer = (username: string, credentials: SdkKeys = alice, hostname = 'localhost') =>
    new Signer({ hostname, port, username, region: h.region, credentials });
  const mint = async (username: string, credentials: SdkKeys = alice) => {
    const token = await signer(username, credentials).getAuthToken();
    tokens.add(token);
    return token;
  };
  const login = (password: string | (() => Promise<string>)) =>
    pgLogin({ port, user: 'app_iam', password, ca: h.ca });

  it.skipIf(psql === null)(
    'psql logs in with a token minted by @aws-sdk/rds-signer (PGPASSWORD, sslmode=verify-full)',
    async () => {
      const token = await mint('app_iam');
      const r = await psqlWithToken({
        bin: psql as string,
        port,
        user: 'app_iam',
        caFile: t.caFile,
        token,
        sql: 'select current_user, count(*) from items',
      });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('app_iam|1');
      const ok = h.events.find(
        (e) => e.type === 'db.connect' && e.outcome === 'success' && e.dbUser === 'app_iam',
      );
      expect(ok).toMatchObject({
        instance: 'iamdb',
        method: 'iam',
        accessKeyId: alice.accessKeyId,
        principalArn: `arn:aws:iam::${h.accountId}:user/alice`,
        tls: true,
      });
    },
  );

  it('node-postgres logs in with a password function minting a fresh token per connection', async () => {
    let calls = 0;
    const provider = () => {
      calls++;
      return mint('app_iam');
    };
    expect(await login(provider)).toEqual({ ok: true, user: 'app_iam' });
    expect(await login(provider)).toEqual({ ok: true, user: 'app_iam' });
    expect(calls).toBe(2);
  });

  it('one token may open several connections while it is fresh (as on RDS: tokens are not single-use)', async () => {
    const token = await mint('app_iam');
    const results = await Promise.all([login(token), login(token), login(token)]);
    expect(results).toEqual(Array(3).fill({ ok: true, user: 'app_iam' }));
  });

  it('a pool whose password is createAuthTokenProvider shares one token, and renews it before it expires', async () => {
    const provider = createAuthTokenProvider({
      hostname: 'localhost',
      port,
      username: 'app_iam',
      region: h.region,
      credentials: alice,
      clock: t.clock,
    });
    const handed: string[] = [];
    const pool = new pg.Pool({
      host: 'localhost',
      port,
      user: 'app_iam',
      database: 'app',
      ssl: { ca: h.ca, servername: 'localhost' },
      max: 3,
      password: async () => {
        const token = await provider();
        handed.push(token);
        tokens.add(token);
        return token;
      },
    });
    pool.on('error', () => {});
    // Three new connections at once, each closed afterwards so the next burst connects (and asks) again. A
    // refused connection shows as its error message, so a failure reads as a diff, not a timeout.
    const burst = async () =>
      Promise.all(
        [1, 2, 3].map(async () => {
          const c = await pool.connect().catch((e: Error) => e);
          if (c instanceof Error) return c.message;
          try {
            return (await c.query<{ u: string }>('select current_user as u')).rows[0]?.u;
          } finally {
            c.release(true);
          }
        }),
      );
    try {
      expect(await burst()).toEqual(['app_iam', 'app_iam', 'app_iam']);
      expect(handed).toHaveLength(3);
      expect(new Set(handed).size).toBe(1);
      const first = handed[0] as string;

      // 16 minutes on (gateway and provider share the clock): the first token has expired, and a token kept
      // as a string is refused; the provider renewed 5 minutes before expiry, so the pool still connects.
      t.clock.offsetMs = 16 * 60_000;
      const stale = await refusalOf(await login(first), h);
      expect(stale.event).toMatchObject({ code: 'GH_IAM_TOKEN_EXPIRED', method: 'iam' });
      handed.length = 0;
      expect(await burst()).toEqual(['app_iam', 'app_iam', 'app_iam']);
      expect(new Set(handed).size).toBe(1);
      expect(handed[0]).not.toBe(first);
    } finally {
      t.clock.offsetMs = 0;
      await pool.end();
    }
  });

  describe('AssumeRole credentials (X-Amz-Security-Token)', () => {
    let session: SdkKeys;
    let expiration: Date;
    const roleArn = () => `arn:aws:iam::${h.accountId}:role/db-reader`;
    const sessionArn = () => `arn:aws:sts::${h.accountId}:assumed-role/db-reader/s1`;

    beforeAll(async () => {
      const iam = h.iam();
      await iam.send(
        new CreateRoleCommand({
          RoleName: 'db-reader',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${h.accountId}:user/sam` },
                Action: 'sts:AssumeRole',
              },
            ],
          }),
        }),
      );
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: 'db-reader',
          PolicyName: 'connect',
          PolicyDocument: JSON.stringify(CONNECT_ANYWHERE),
        }),
      );
      // sam may only assume the role: every rds-db:connect below is the role session's.
      const sam = await t.createIamPrincipal('sam', {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn() }],
      });
      const out = await h
        .sts(sam)
        .send(new AssumeRoleCommand({ RoleArn: roleArn(), RoleSessionName: 's1', DurationSeconds: 900 }));
      const c = out.Credentials;
      session = {
        accessKeyId: c?.AccessKeyId as string,
        secretAccessKey: c?.SecretAccessKey as string,
        sessionToken: c?.SessionToken as string,
      };
      expiration = c?.Expiration as Date;
      expect(session.accessKeyId).toMatch(/^ASIA/);
    });

    it('a token minted by rds-signer from the session credentials logs in as the assumed role', async () => {
      const token = await mint('app_iam', session);
      expect(token).toContain('X-Amz-Security-Token=');
      const before = h.events.length;
      expect(await login(token)).toEqual({ ok: true, user: 'app_iam' });
      expect(h.events.slice(before)).toContainEqual(
        expect.objectContaining({
          type: 'db.connect',
          outcome: 'success',
          method: 'iam',
          accessKeyId: session.accessKeyId,
          principalArn: sessionArn(),
        }),
      );
    });

    it('is accepted up to the session expiry, then GH_IAM_TOKEN_SESSION_EXPIRED although the token is still fresh', async () => {
      try {
        // 60 s before the credentials expire: a token minted now is good for 15 minutes, the session for 1.
        t.clock.offsetMs = expiration.getTime() - 60_000 - Date.now();
        const lateToken = await generateAuthToken({
          hostname: 'localhost',
          port,
          username: 'app_iam',
          region: h.region,
          credentials: session,
          signingDate: t.clock.now(),
        });
        tokens.add(lateToken);
        expect(await login(lateToken)).toEqual({ ok: true, user: 'app_iam' });

        // 30 s after the expiry: the same token, 90 s old, is refused because its credentials are gone.
        t.clock.offsetMs = expiration.getTime() + 30_000 - Date.now();
        const r = await refusalOf(await login(lateToken), h);
        expect(r.sqlstate).toBe('28P01');
        const m =
          /^IAM auth token was signed with temporary credentials (\w+) that expired (\d+) seconds ago \(at (\S+)\): refresh the credentials, then mint a new token$/.exec(
            r.message,
          );
        expect(m, r.message).not.toBeNull();
        expect(m?.[1]).toBe(session.accessKeyId);
        expect(Number(m?.[2])).toBeGreaterThanOrEqual(29);
        expect(Number(m?.[2])).toBeLessThanOrEqual(32);
        expect(Math.abs(new Date(m?.[3] as string).getTime() - expiration.getTime())).toBeLessThan(1000);
        expect(r.event).toMatchObject({
          code: 'GH_IAM_TOKEN_SESSION_EXPIRED',
          method: 'iam',
          accessKeyId: session.accessKeyId,
          principalArn: sessionArn(),
        });

        // A freshly minted token cannot revive expired credentials either.
        const fresh = await generateAuthToken({
          hostname: 'localhost',
          port,
          username: 'app_iam',
          region: h.region,
          credentials: session,
          signingDate: t.clock.now(),
        });
        tokens.add(fresh);
        const again = await refusalOf(await login(fresh), h);
        expect(again.event.code).toBe('GH_IAM_TOKEN_SESSION_EXPIRED');
      } finally {
        t.clock.offsetMs = 0;
      }
    });

    it('session credentials without their session token, or with another one, are GH_IAM_TOKEN_SESSION_INVALID', async () => {
      const bare = await mint('app_iam', {
        accessKeyId: session.accessKeyId,
        secretAccessKey: session.secretAccessKey,
      });
      const r1 = await refusalOf(await login(bare), h);
      expect(r1.sqlstate).toBe('28P01');
      expect(r1.message).toBe(
        `IAM auth token was signed with access key ${session.accessKeyId} but those are temporary credentials and the token carries no X-Amz-Security-Token (mint it with their session token)`,
      );
      expect(r1.event).toMatchObject({
        code: 'GH_IAM_TOKEN_SESSION_INVALID',
        accessKeyId: session.accessKeyId,
        principalArn: sessionArn(),
      });

      const forged = await mint('app_iam', { ...session, sessionToken: `${session.sessionToken}x` });
      const r2 = await refusalOf(await login(forged), h);
      expect(r2.sqlstate).toBe('28P01');
      expect(r2.message).toBe(
        `IAM auth token was signed with access key ${session.accessKeyId} but its X-Amz-Security-Token is not the session token issued with those temporary credentials`,
      );
      expect(r2.event).toMatchObject({
        code: 'GH_IAM_TOKEN_SESSION_INVALID',
        accessKeyId: session.accessKeyId,
      });
    });

    it('a long-term key with an X-Amz-Security-Token is GH_IAM_TOKEN_SESSION_INVALID', async () => {
      const tok = await mint('app_iam', { ...alice, sessionToken: session.sessionToken as string });
      const r = await refusalOf(await login(tok), h);
      expect(r.sqlstate).toBe('28P01');
      expect(r.message).toBe(
        `IAM auth token was signed with access key ${alice.accessKeyId} but it is a long-term key, which takes no X-Amz-Security-Token`,
      );
      expect(r.event).toMatchObject({
        code: 'GH_IAM_TOKEN_SESSION_INVALID',
        accessKeyId: alice.accessKeyId,
        principalArn: `arn:aws:iam::${h.accountId}:user/alice`,
      });
    });

    it('no log line holds the session token', () => {
      for (const line of h.logLines) expect(line.includes(session.sessionToken as string)).toBe(false);
    });
  });

  it('no log line holds any token of this file or its full signature', () => {
    // Tokens minted in the same second from the same inputs are identical, hence fewer than the mints.
    expect(tokens.size).toBeGreaterThanOrEqual(3);
    expectNoTokenLogged(h.logLines, tokens);
  });
});
