// RDS-style IAM users made with SQL through Gatehouse (CREATE USER; GRANT rds_iam): adopted on first token login, IAM-only from then on.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAuthToken } from '../../../src/auth/iam-token/generate.js';
import { invariant, waitFor } from '../../support/eventually.js';
import { type AccessKeyPair, CONNECT_ANYWHERE, type TestGateway } from '../../support/gateway.js';
import {
  expectNoTokenLogged,
  type IamDbGateway,
  type LoginResult,
  pgLogin,
  refusalOf,
  startIamDbGateway,
} from './support/iam-db-harness.js';

describe('IAM database users set up with SQL, RDS style, through Gatehouse', () => {
  const tokens: string[] = [];
  let h: IamDbGateway;
  let t: TestGateway;
  let port: number;
  let alice: AccessKeyPair;
  let dbadminPassword: string;

  beforeAll(async () => {
    h = await startIamDbGateway();
    t = h.t;
    port = await t.createInstance('rdsdb', { iam: true }); // creates NOLOGIN rds_iam on the backend
    alice = await t.createIamPrincipal('alice', CONNECT_ANYWHERE);
    dbadminPassword = await t.createUser('rdsdb', 'dbadmin');
    // The RDS master user's powers: create roles and hand out rds_iam (on PostgreSQL 16+ granting a role
    // needs ADMIN OPTION on it; INHERIT/SET FALSE keeps dbadmin from being an rds_iam member in any other
    // sense), and pass on SELECT on the demo table.
    await t.backendSql(
      `ALTER ROLE dbadmin CREATEROLE;
       GRANT rds_iam TO dbadmin WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;
       GRANT SELECT ON items TO dbadmin WITH GRANT OPTION`,
    );
  });
  afterAll(async () => t?.stop());

  async function token(username: string): Promise<string> {
    const tok = await generateAuthToken({
      hostname: 'localhost',
      port,
      username,
      region: h.region,
      credentials: alice,
    });
    tokens.push(tok);
    return tok;
  }

  const login = (user: string, password: string) => pgLogin({ port, user, password, ca: h.ca });

  /** The Gatehouse record of a user: its auth kind and how many client passwords it has. */
  async function storedUser(user: string): Promise<{ auth: string; passwords: number } | null> {
    const res = await t.gateway.store.pool.query(
      `SELECT u.auth, count(p.id)::int AS passwords FROM gh_db_users u
         JOIN gh_instances i ON i.id = u.instance_id
         LEFT JOIN gh_db_user_passwords p ON p.db_user_id = u.id
        WHERE i.identifier = 'rdsdb' AND u.username = $1 GROUP BY u.auth`,
      [user],
    );
    return (res.rows[0] as { auth: string; passwords: number } | undefined) ?? null;
  }

  async function backendPasswordOf(user: string): Promise<string | null> {
    const res = await t.backendSql('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [user]);
    return (res.rows[0] as { rolpassword: string | null } | undefined)?.rolpassword ?? null;
  }

  /** Membership of rds_iam is read from the backend at most every 2 s (per instance and node). */
  const MEMBERS_TTL_MS = 2000;

  /**
   * Retry `attempt` until `done` says so, then check the change showed in time: no attempt that started more
   * than the membership TTL after `changedAt` (when the GRANT had committed) still saw the old state. Judged
   * by start times, so a slow machine does not make it fail. Gives up after 10 s.
   */
  async function seenWithinTtl(
    changedAt: number,
    attempt: () => Promise<LoginResult>,
    done: (r: LoginResult) => boolean,
  ): Promise<{ result: LoginResult; stale: LoginResult[] }> {
    const stale: LoginResult[] = [];
    const result = await waitFor(
      async () => {
        const startedAt = Date.now();
        const r = await attempt();
        if (done(r)) return r;
        invariant(() =>
          expect(startedAt - changedAt, `still stale: ${JSON.stringify(r)}`).toBeLessThan(
            MEMBERS_TTL_MS + 100,
          ),
        );
        stale.push(r);
        return null;
      },
      { timeoutMs: 10_000 - (Date.now() - changedAt), intervalMs: 100, what: 'the change to show' },
    );
    return { result, stale };
  }

  const notEnabled = (user: string) =>
    `password authentication failed for user "${user}" (if the password was an IAM auth token: "${user}" is not an IAM database user on this instance; create it with --auth iam or GRANT rds_iam TO it)`;
  const iamOnly = (user: string, why: string) =>
    `user "${user}" is an IAM database user (${why}): its password must be an IAM auth token (gatehouse rds generate-db-auth-token or aws rds generate-db-auth-token), not a password`;

  let grantedAt = 0;

  it('dbadmin, a password user holding ADMIN OPTION on rds_iam, runs CREATE USER / GRANT rds_iam / GRANT SELECT through Gatehouse', async () => {
    const setup = 'CREATE USER bob; GRANT rds_iam TO bob; GRANT SELECT ON items TO bob;';
    const client = new pg.Client({
      host: 'localhost',
      port,
      user: 'dbadmin',
      password: dbadminPassword,
      database: 'app',
      ssl: { ca: h.ca, servername: 'localhost' },
    });
    let refusal: Error | null = null;
    try {
      await client.connect();
      expect((await client.query('select current_user as u')).rows).toEqual([{ u: 'dbadmin' }]);
      await client.query(setup);
    } catch (e) {
      refusal = e as Error;
    } finally {
      await client.end().catch(() => {});
    }
    if (refusal) {
      // Run the same SQL as dbadmin directly on the backend so the tests below still check their own
      // property; this test fails regardless.
      await t.backendSql(`SET ROLE dbadmin; ${setup} RESET ROLE;`);
    }
    grantedAt = Date.now();
    const member = await t.backendSql(
      "SELECT pg_has_role('bob', 'rds_iam', 'MEMBER') AS m, rolcanlogin AS login FROM pg_roles WHERE rolname = 'bob'",
    );
    expect(member.rows).toEqual([{ m: true, login: true }]);
    expect(await storedUser('bob')).toBeNull(); // Gatehouse has not heard of bob yet
    expect(refusal?.message ?? 'dbadmin logged in through Gatehouse').toBe(
      'dbadmin logged in through Gatehouse',
    );
  });

  it('before its first token login, bob sending a password is GH_IAM_ONLY_USER "member of rds_iam" (within 2 s of the GRANT)', async () => {
    const { result, stale } = await seenWithinTtl(
      grantedAt,
      () => login('bob', 'a-password-bob-never-had'),
      (r) => !r.ok && r.message.startsWith('user "bob" is an IAM database user'),
    );
    const r = await refusalOf(result, h);
    expect(r.event.code).toBe('GH_IAM_ONLY_USER');
    expect(r.sqlstate).toBe('28P01');
    expect(r.message).toBe(iamOnly('bob', 'member of rds_iam'));
    // Until the membership snapshot is refreshed, bob is an unknown user: the generic refusal.
    for (const b of stale) expect(b.ok ? 'ok' : b.message).toMatch(/^password authentication failed/);
  });

  let adoptedPassword: string | null = null;

  it("bob's first token login adopts the role: recorded as an IAM user, its backend password replaced", async () => {
    const original = await backendPasswordOf('bob');
    expect(original).toBeNull(); // CREATE USER without PASSWORD
    const before = h.events.length;
    expect(await login('bob', await token('bob'))).toEqual({ ok: true, user: 'bob' });
    expect(await storedUser('bob')).toEqual({ auth: 'iam', passwords: 0 });
    adoptedPassword = await backendPasswordOf('bob');
    expect(adoptedPassword).toMatch(/^SCRAM-SHA-256\$/);
    expect(h.events.slice(before)).toContainEqual(
      expect.objectContaining({
        type: 'db.connect',
        outcome: 'success',
        dbUser: 'bob',
        method: 'iam',
        accessKeyId: alice.accessKeyId,
      }),
    );
  });

  it("bob's second token login uses the stored secret: the backend password is not reset, and bob reads what dbadmin granted", async () => {
    const client = new pg.Client({
      host: 'localhost',
      port,
      user: 'bob',
      password: await token('bob'),
      database: 'app',
      ssl: { ca: h.ca, servername: 'localhost' },
    });
    await client.connect();
    const { rows } = await client.query('select current_user as u, count(*)::int as n from items');
    await client.end();
    expect(rows).toEqual([{ u: 'bob', n: 1 }]);
    expect(await backendPasswordOf('bob')).toBe(adoptedPassword);
  });

  it('after adoption bob sending a password is still GH_IAM_ONLY_USER, now as a stored IAM user', async () => {
    const r = await refusalOf(await login('bob', 'a-password-bob-never-had'), h);
    expect(r.event.code).toBe('GH_IAM_ONLY_USER');
    expect(r.sqlstate).toBe('28P01');
    expect(r.message).toBe(iamOnly('bob', 'created with --auth iam or granted rds_iam'));
  });

  it('a Gatehouse password user granted rds_iam on the backend must use tokens within 2 s, and its password works again once revoked', async () => {
    const carolPassword = await t.createUser('rdsdb', 'carol');
    expect(await login('carol', carolPassword)).toEqual({ ok: true, user: 'carol' });
    const tokenBefore = await refusalOf(await login('carol', await token('carol')), h);
    expect(tokenBefore.event.code).toBe('GH_IAM_USER_NOT_ENABLED');
    expect(tokenBefore.message).toBe(notEnabled('carol'));

    await t.backendSql('GRANT rds_iam TO carol');
    const granted = Date.now();
    const { result, stale } = await seenWithinTtl(
      granted,
      () => login('carol', carolPassword),
      (r) => !r.ok,
    );
    for (const b of stale) expect(b).toEqual({ ok: true, user: 'carol' });
    const refused = await refusalOf(result, h);
    expect(refused.event.code).toBe('GH_IAM_ONLY_USER');
    expect(refused.sqlstate).toBe('28P01');
    expect(refused.message).toBe(iamOnly('carol', 'member of rds_iam'));

    expect(await login('carol', await token('carol'))).toEqual({ ok: true, user: 'carol' });
    const after = await refusalOf(await login('carol', carolPassword), h);
    expect(after.event.code).toBe('GH_IAM_ONLY_USER');
    // docs/iam-database-auth.md: membership decides, the stored password is kept, so REVOKE restores it.
    expect(await storedUser('carol')).toEqual({ auth: 'password', passwords: 1 });
    await t.backendSql('REVOKE rds_iam FROM carol');
    const revoked = Date.now();
    const back = await seenWithinTtl(
      revoked,
      () => login('carol', carolPassword),
      (r) => r.ok,
    );
    expect(back.result).toEqual({ ok: true, user: 'carol' });
  });

  it('no log line holds any token of this file or its full signature', () => {
    expect(tokens.length).toBeGreaterThanOrEqual(4);
    expectNoTokenLogged(h.logLines, tokens);
  });
});
