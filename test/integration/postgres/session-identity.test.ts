// Identity propagation: many IAM principals share one database user, and the database still knows who is
// connected. A row-level security policy keyed on gatehouse.session_principal() shows each principal its own
// rows; the session cannot forge it (SET on the informative setting changes nothing, a second claim fails);
// application_name keeps the client's value and carries the request id of the audit event.
import { readFileSync } from 'node:fs';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, ConnectAttemptEvent } from '../../../src/core/audit.js';
import { waitFor } from '../../support/eventually.js';
import {
  type AccessKeyPair,
  CONNECT_ANYWHERE,
  startTestGateway,
  type TestGateway,
} from '../../support/gateway.js';

describe('identity propagation into the backend session', () => {
  const events: AuditEvent[] = [];
  let t: TestGateway;
  let port: number;
  let alice: AccessKeyPair;
  let bob: AccessKeyPair;
  let arn: (user: string) => string;
  let password: string;

  beforeAll(async () => {
    t = await startTestGateway({ audit: { emit: (e) => void events.push(e) } });
    port = await t.createInstance('idp', { iam: true });
    await t.createIamDbUser('idp', 'reporting');
    password = await t.createUser('idp', 'clerk');
    alice = await t.createIamPrincipal('alice', CONNECT_ANYWHERE);
    bob = await t.createIamPrincipal('bob', CONNECT_ANYWHERE);
    arn = (user) => `arn:aws:iam::${t.gateway.account.accountId}:user/${user}`;
    await t.backendSql(`
      CREATE TABLE notes (owner text NOT NULL, body text NOT NULL);
      ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
      CREATE POLICY own_notes ON notes USING (owner = (SELECT gatehouse.session_principal()));
      GRANT SELECT ON notes TO reporting, clerk;
      INSERT INTO notes VALUES ('${arn('alice')}', 'alice-1'), ('${arn('alice')}', 'alice-2'), ('${arn('bob')}', 'bob-1');
    `);
  });
  afterAll(async () => t?.stop());

  async function connectAs(keys: AccessKeyPair, application = 'report-tool'): Promise<pg.Client> {
    const signer = new Signer({
      hostname: 'localhost',
      port,
      username: 'reporting',
      region: t.gateway.account.region,
      credentials: keys,
    });
    const client = new pg.Client({
      host: 'localhost',
      port,
      user: 'reporting',
      database: 'app',
      password: await signer.getAuthToken(),
      application_name: application,
      ssl: { ca: readFileSync(t.caFile, 'utf8') },
    });
    await client.connect();
    return client;
  }

  const connectEventOf = (principal: string, before: number) =>
    waitFor(
      () =>
        events
          .slice(before)
          .find(
            (e): e is ConnectAttemptEvent =>
              e.type === 'db.connect' && e.outcome === 'success' && e.principalArn === principal,
          ),
      { timeoutMs: 5000, what: `the db.connect event of ${principal}` },
    );

  it('an RLS policy keyed on the principal shows each principal only its rows, through one database user', async () => {
    const before = events.length;
    const a = await connectAs(alice);
    const b = await connectAs(bob);
    try {
      const aliceRows = await a.query<{ body: string }>('SELECT body FROM notes ORDER BY body');
      const bobRows = await b.query<{ body: string }>('SELECT body FROM notes ORDER BY body');
      expect(aliceRows.rows.map((r) => r.body)).toEqual(['alice-1', 'alice-2']);
      expect(bobRows.rows.map((r) => r.body)).toEqual(['bob-1']);
      const who = await a.query(
        `SELECT current_user, gatehouse.session_principal() AS principal, gatehouse.session_request_id() AS request_id,
                gatehouse.session_auth_method() AS method, current_setting('gatehouse.principal', true) AS setting,
                current_setting('gatehouse.request_id', true) AS request_setting, current_setting('application_name') AS app`,
      );
      const event = await connectEventOf(arn('alice'), before);
      expect(who.rows[0]).toEqual({
        current_user: 'reporting',
        principal: arn('alice'),
        request_id: event.requestId,
        method: 'iam',
        setting: arn('alice'),
        request_setting: event.requestId,
        app: `report-tool [gh:${event.requestId}]`,
      });
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('the session cannot forge its identity: SET changes only the informative setting, a second claim fails', async () => {
    const c = await connectAs(bob);
    try {
      await c.query(`SET gatehouse.principal = '${arn('alice')}'`);
      expect((await c.query(`SELECT current_setting('gatehouse.principal') AS s`)).rows[0].s).toBe(
        arn('alice'),
      );
      const rows = await c.query<{ body: string }>('SELECT body FROM notes ORDER BY body');
      expect(rows.rows.map((r) => r.body)).toEqual(['bob-1']);
      // A second claim for this session fails; a claim for a made-up backend start is stored and never read.
      const start = `(SELECT backend_start FROM pg_stat_get_activity(pg_backend_pid()))`;
      await expect(
        c.query(`SELECT gatehouse.claim_session(${start}, '${arn('alice')}', 'forged', 'iam')`),
      ).rejects.toThrow(/duplicate key|unique/);
      await c.query(
        `SELECT gatehouse.claim_session(now() + interval '1 day', '${arn('alice')}', 'forged', 'iam')`,
      );
      expect((await c.query('SELECT gatehouse.session_principal() AS p')).rows[0].p).toBe(arn('bob'));
      expect((await c.query<{ body: string }>('SELECT body FROM notes')).rows.map((r) => r.body)).toEqual([
        'bob-1',
      ]);
      // The table itself is out of reach.
      await expect(c.query('SELECT * FROM gatehouse.session_identity')).rejects.toThrow(/permission denied/);
    } finally {
      await c.end();
    }
  });

  it('a password login has no principal (RLS shows nothing) but carries its request id and method', async () => {
    const before = events.length;
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'clerk', password, database: 'app' });
    await c.connect();
    try {
      const r = await c.query(
        `SELECT gatehouse.session_principal() AS principal, gatehouse.session_auth_method() AS method,
                gatehouse.session_request_id() AS request_id, current_setting('application_name') AS app,
                (SELECT count(*)::int FROM notes) AS visible`,
      );
      const event = await waitFor(
        () =>
          events
            .slice(before)
            .find(
              (e): e is ConnectAttemptEvent =>
                e.type === 'db.connect' && e.outcome === 'success' && e.dbUser === 'clerk',
            ),
        { timeoutMs: 5000, what: "clerk's db.connect event" },
      );
      expect(r.rows[0]).toEqual({
        principal: null,
        method: 'scram-sha-256',
        request_id: event.requestId,
        app: `[gh:${event.requestId}]`,
        visible: 0,
      });
    } finally {
      await c.end();
    }
  });

  it('a role with direct access to the backend that Gatehouse does not manage cannot claim an identity', async () => {
    await t.backendSql(
      `CREATE ROLE outsider LOGIN PASSWORD 'outsider-pass-123'; GRANT SELECT ON notes TO outsider`,
    );
    const direct = new pg.Client({
      connectionString: t.postgres.adminUrl('app').replace(/\/\/[^@]*@/, '//outsider:outsider-pass-123@'),
    });
    await direct.connect();
    try {
      await expect(
        direct.query(
          `SELECT gatehouse.claim_session((SELECT backend_start FROM pg_stat_get_activity(pg_backend_pid())), '${arn('alice')}', 'forged', 'iam')`,
        ),
      ).rejects.toThrow(/permission denied/);
      expect((await direct.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
    } finally {
      await direct.end();
    }
  });

  it('start-up settings cannot stop the claim: read-only transactions, another role, a search_path', async () => {
    for (const options of [
      '-c default_transaction_read_only=on',
      '-c role=rds_iam',
      '-c search_path=nowhere -c statement_timeout=1',
    ]) {
      const signer = new Signer({
        hostname: 'localhost',
        port,
        username: 'reporting',
        region: t.gateway.account.region,
        credentials: bob,
      });
      const c = new pg.Client({
        host: 'localhost',
        port,
        user: 'reporting',
        database: 'app',
        password: await signer.getAuthToken(),
        options,
        ssl: { ca: readFileSync(t.caFile, 'utf8') },
      });
      await c.connect();
      try {
        // After SET ROLE to a role that may not see this session's activity, session_principal() is NULL: back to
        // the session's own user (RESET ROLE would go back to the start-up role).
        await c.query('SET ROLE NONE; SET statement_timeout = 0; SET search_path = public');
        const r = await c.query('SELECT gatehouse.session_principal() AS p');
        expect(r.rows[0].p, options).toBe(arn('bob'));
      } finally {
        await c.end();
      }
    }
  });

  it('a claim that fails refuses the login (08004) rather than relay a session without its identity', async () => {
    await t.backendSql('ALTER TABLE gatehouse.installed RENAME TO installed_away');
    try {
      const refused = await connectAs(alice).then(
        async (c) => {
          await c.end();
          return null;
        },
        (e: { code?: string; message: string }) => e,
      );
      expect(refused?.code).toBe('08004');
      expect(refused?.message).toMatch(/could not record who is connected/);
    } finally {
      await t.backendSql('ALTER TABLE gatehouse.installed_away RENAME TO installed');
    }
    const c = await connectAs(alice);
    await c.end();
  });

  it('a database user outside gatehouse_session logs in without an identity and cannot claim one', async () => {
    await t.backendSql('REVOKE gatehouse_session FROM reporting');
    try {
      const c = await connectAs(alice);
      try {
        expect((await c.query('SELECT gatehouse.session_principal() AS p')).rows[0].p).toBeNull();
        await expect(
          c.query(
            `SELECT gatehouse.claim_session((SELECT backend_start FROM pg_stat_get_activity(pg_backend_pid())), '${arn('bob')}', 'x', 'iam')`,
          ),
        ).rejects.toThrow(/permission denied/);
        expect((await c.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
      } finally {
        await c.end();
      }
    } finally {
      await t.backendSql('GRANT gatehouse_session TO reporting');
    }
  });
});
