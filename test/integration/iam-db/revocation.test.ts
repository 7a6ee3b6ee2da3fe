// Revocation across nodes: a change made on node B refuses new IAM logins on node A and ends A's open sessions within 1 s.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/core/audit.js';
import type { Caller } from '../../../src/iam/types.js';
import { waitFor } from '../../support/eventually.js';
import {
  type AccessKeyPair,
  CONNECT_ANYWHERE,
  type SecondNode,
  startTestGateway,
  type TestGateway,
} from '../../support/gateway.js';
import { requireBinary } from '../../support/require-binary.js';

const psql = requireBinary('psql');

interface OpenSession {
  readonly client: pg.Client;
  /** Resolves with the error the client saw when the server ended the session, and when. */
  readonly ended: Promise<{ error: Error; at: number }>;
}

describe('revoking IAM access on one node ends it on another', () => {
  const events: AuditEvent[] = [];
  let t: TestGateway;
  let nodeB: SecondNode;
  let port: number;
  /** An instance that does end revoked sessions, for evidence that a re-check ran (see its test). */
  let witnessPort: number;
  let ca: string;
  let region: string;
  let admin: Caller;

  beforeAll(async () => {
    t = await startTestGateway({ audit: { emit: (e) => void events.push(e) } });
    port = await t.createInstance('rev', { iam: true });
    await t.createIamDbUser('rev', 'app_iam');
    // Before node B starts, so that node A is the one listening on it.
    witnessPort = await t.createInstance('rev-witness', { iam: true });
    await t.createIamDbUser('rev-witness', 'app_iam_witness');
    ca = readFileSync(t.caFile, 'utf8');
    region = t.gateway.account.region;
    admin = {
      arn: `arn:aws:iam::${t.gateway.account.accountId}:user/admin`,
      accountId: t.gateway.account.accountId,
      userId: 'AIDAADMIN',
      accessKeyId: t.gateway.bootstrapKey?.accessKeyId ?? '',
    };
    // Node B shares the store; it is the node the administrator's change is made on (on one machine it cannot
    // also bind the instance's address).
    nodeB = await t.startSecondNode();
  });
  afterAll(async () => {
    await nodeB?.stop();
    await t?.stop();
  });

  /** Where a session logs in: the instance `rev` as app_iam unless told otherwise. */
  type Target = { readonly port: number; readonly user: string };
  const rev = (): Target => ({ port, user: 'app_iam' });

  const token = (key: AccessKeyPair, at: Target = rev()) =>
    new Signer({
      hostname: 'localhost',
      port: at.port,
      username: at.user,
      region,
      credentials: key,
    }).getAuthToken();

  async function open(key: AccessKeyPair, at: Target = rev()): Promise<OpenSession> {
    const client = new pg.Client({
      host: 'localhost',
      port: at.port,
      user: at.user,
      database: 'app',
      password: await token(key, at),
      ssl: { ca, servername: 'localhost' },
    });
    const ended = new Promise<{ error: Error; at: number }>((resolve) =>
      client.on('error', (error) => resolve({ error, at: Date.now() })),
    );
    await client.connect();
    await client.query('select 1');
    return { client, ended };
  }

  async function login(key: AccessKeyPair): Promise<string> {
    const s = await open(key).catch((e: Error) => e);
    if (s instanceof Error) return s.message;
    await s.client.end();
    return 'ok';
  }

  /** Backend sessions of app_iam still alive, seen directly on PostgreSQL. */
  async function backendSessions(): Promise<number> {
    const c = new pg.Client({ connectionString: t.postgres.adminUrl('app') });
    await c.connect();
    const { rows } = await c.query(
      "select count(*)::int as n from pg_stat_activity where usename = 'app_iam'",
    );
    await c.end();
    return (rows[0] as { n: number }).n;
  }

  it('deactivating the key on node B: new logins on A refused and A ends the open session within 1 s', async () => {
    const key = await t.createIamPrincipal('carol', CONNECT_ANYWHERE);
    const other = await t.createIamPrincipal('dave', CONNECT_ANYWHERE);
    const carol = await open(key);
    const dave = await open(other);
    const before = events.length;

    const changed = Date.now();
    await nodeB.gateway.iam.iam.updateAccessKey(
      { UserName: 'carol', AccessKeyId: key.accessKeyId, Status: 'Inactive' },
      admin,
    );
    const { error, at } = await carol.ended;
    expect(at - changed).toBeLessThan(1000);
    expect(error.message).toMatch(
      new RegExp(
        `^terminating connection: IAM access of arn:aws:iam::\\d{12}:user/carol as DB user "app_iam" was revoked \\(access key ${key.accessKeyId} was deactivated\\) \\(request id [0-9a-f]{16}\\)$`,
      ),
    );
    expect((error as Error & { code?: string }).code).toBe('57P01');
    expect(await login(key)).toMatch(/^IAM auth token was signed with access key \w+, which is inactive/);
    // Dave's session and logins are untouched.
    expect((await dave.client.query('select 2 as n')).rows).toEqual([{ n: 2 }]);
    expect(await login(other)).toBe('ok');
    expect(events.slice(before).filter((e) => e.type === 'db.session.revoked')).toEqual([
      expect.objectContaining({
        principalArn: expect.stringMatching(/user\/carol$/),
        code: 'GH_IAM_SESSION_REVOKED',
      }),
    ]);
    await waitFor(async () => (await backendSessions()) === 1, {
      timeoutMs: 1000,
      what: "carol's backend session to end (dave's alone left)",
    });
    await dave.client.end();
    await carol.client.end().catch(() => {});
  });

  it.skipIf(psql === null)(
    'removing the allowing policy on node B ends the session on A with a clear FATAL in psql',
    async () => {
      const key = await t.createIamPrincipal('erin', CONNECT_ANYWHERE);
      const child: ChildProcessWithoutNullStreams = spawn(
        psql as string,
        [
          '-X',
          '-A',
          '-t',
          `host=localhost port=${port} dbname=app user=app_iam sslmode=verify-full sslrootcert=${t.caFile}`,
        ],
        { env: { ...process.env, PGPASSWORD: await token(key), PGCONNECT_TIMEOUT: '10' } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.stdin.write('select 41 + 1;\n');
      await waitFor(() => stdout.includes('42'), { timeoutMs: 10_000, what: 'psql to print 42' });
      expect(await backendSessions()).toBe(1);

      const changed = Date.now();
      await nodeB.gateway.iam.iam.deletePrincipalPolicy('User', 'erin', { PolicyName: 'connect' });
      const waiting = Date.now();
      await waitFor(async () => (await backendSessions()) === 0, {
        timeoutMs: 1000,
        what: "erin's backend session to end",
      });
      const took = Date.now() - waiting;
      expect(took).toBeLessThan(1000);
      expect(Date.now() - changed).toBeLessThan(1500);
      // psql learns of it on its next command: the FATAL reached the client intact.
      child.stdin.write('select 1;\n');
      child.stdin.end();
      await exited;
      expect(stderr).toContain('FATAL:  terminating connection: IAM access of arn:aws:iam::');
      expect(stderr).toMatch(
        /user\/erin as DB user "app_iam" was revoked \(no policy allows rds-db:connect any more\)/,
      );
      expect(await login(key)).toMatch(
        /^User: arn:aws:iam::\d{12}:user\/erin is not authorized to perform: rds-db:connect/,
      );
    },
  );

  it('with TerminateRevokedIAMSessions off the open session stays while new logins are refused', async () => {
    await t.gateway.controlPlane.modifyInstance({ identifier: 'rev', terminateRevokedIamSessions: false });
    try {
      const key = await t.createIamPrincipal('frank', CONNECT_ANYWHERE);
      const frank = await open(key);
      // Evidence that a re-check ran: a session of the same key on an instance that does end revoked sessions,
      // opened after frank's, so the pass that ends it had frank's session in its list too.
      const witness = await open(key, { port: witnessPort, user: 'app_iam_witness' });
      await nodeB.gateway.iam.iam.deleteAccessKey({ UserName: 'frank', AccessKeyId: key.accessKeyId }, admin);
      await waitFor(async () => (await login(key)) !== 'ok', {
        timeoutMs: 1000,
        what: 'node A to refuse the deleted key',
      });
      await waitFor(
        () => events.some((e) => e.type === 'db.session.revoked' && e.instance === 'rev-witness'),
        { what: 'the re-check after the deletion to end the witness session on rev-witness' },
      );
      await witness.client.end().catch(() => {});
      expect((await frank.client.query('select 3 as n')).rows).toEqual([{ n: 3 }]);
      // A deleted key reads to the client as a signature that does not verify (GH_IAM_TOKEN_UNKNOWN_KEY in the log).
      expect(await login(key)).toMatch(/^IAM auth token signature does not match: check the access key id/);
      await frank.client.end();
    } finally {
      await t.gateway.controlPlane.modifyInstance({ identifier: 'rev', terminateRevokedIamSessions: true });
    }
  });

  it('a busy session is ended at a message boundary: the client parses the FATAL, not a torn row', async () => {
    const key = await t.createIamPrincipal('gina', CONNECT_ANYWHERE);
    const gina = await open(key);
    // Stream a large result while the revocation lands.
    let rowsReceived = 0;
    gina.client.connection.on('dataRow', () => {
      rowsReceived++;
    });
    const streaming = gina.client
      .query('select repeat(md5(g::text), 50) from generate_series(1, 400000) g')
      .catch((e: Error) => e);
    await waitFor(() => rowsReceived > 0, { what: 'the first rows of the large result to reach the client' });
    await nodeB.gateway.iam.iam.deleteAccessKey({ UserName: 'gina', AccessKeyId: key.accessKeyId }, admin);
    const result = await streaming;
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toMatch(
      /^terminating connection: IAM access of .*user\/gina .*was revoked \(access key \w+ was deleted\)/,
    );
    await gina.client.end().catch(() => {});
  });
});
