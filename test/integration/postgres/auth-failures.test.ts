// Refused logins through the gateway: one SQLSTATE and message shape for every cause, a fresh request id each time.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { conninfo, runPsql } from '../../support/psql.js';
import { requireBinary } from '../../support/require-binary.js';

const psql = requireBinary('psql');

/** `password authentication failed for user "<name>" (request id <16 hex>)`, capturing the id. */
const refusal = (user: string): RegExp =>
  new RegExp(`^password authentication failed for user "${user}" \\(request id ([0-9a-f]{16})\\)$`);

interface LogLine {
  readonly msg?: string;
  readonly requestId?: string;
  readonly code?: string;
  readonly detail?: string;
  /** Audit events share requestId and code with the operator line; these tests look at the latter. */
  readonly audit?: boolean;
}

describe('authentication failures through the gateway', () => {
  const logs: LogLine[] = [];
  let t: TestGateway;
  let port: number;
  let password: string;
  let ca: string;

  beforeAll(async () => {
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
    );
    t = await startTestGateway({ logger });
    port = await t.createInstance('authfail');
    password = await t.createUser('authfail', 'alice');
    ca = readFileSync(t.caFile, 'utf8');
  });
  afterAll(async () => t?.stop());

  async function pgLogin(user: string, pw: string): Promise<Error & { code?: string }> {
    const client = new pg.Client({
      host: 'localhost',
      port,
      user,
      password: pw,
      database: 'app',
      ssl: { ca, servername: 'localhost' },
    });
    try {
      await client.connect();
      const { rows } = await client.query('select current_user AS u');
      throw new Error(`login unexpectedly succeeded as ${JSON.stringify(rows)}`);
    } catch (e) {
      return e as Error & { code?: string };
    } finally {
      await client.end().catch(() => {});
    }
  }

  async function pgLoginWorks(): Promise<void> {
    const client = new pg.Client({
      host: 'localhost',
      port,
      user: 'alice',
      password,
      database: 'app',
      ssl: { ca, servername: 'localhost' },
    });
    await client.connect();
    const { rows } = await client.query('select current_user AS u');
    await client.end();
    expect(rows).toEqual([{ u: 'alice' }]);
  }

  const psqlInfo = (user: string) =>
    conninfo({ host: 'localhost', port, user, dbname: 'app', sslmode: 'verify-full', sslrootcert: t.caFile });

  it('a wrong password and an unknown user are refused identically with 28P01 (node-postgres)', async () => {
    const wrong = await pgLogin('alice', 'not-the-password');
    const unknown = await pgLogin('nobody', 'not-the-password');
    expect(wrong.code).toBe('28P01');
    expect(unknown.code).toBe('28P01');
    expect(wrong.message).toMatch(refusal('alice'));
    expect(unknown.message).toMatch(refusal('nobody'));
    // The client cannot tell the two apart; the operator log can, under the same request id.
    const wrongId = refusal('alice').exec(wrong.message)?.[1];
    const unknownId = refusal('nobody').exec(unknown.message)?.[1];
    const logged = (id: string | undefined) =>
      logs.find((l) => !l.audit && l.requestId === id && l.code === 'GH_AUTH_FAILED');
    expect(logged(wrongId)?.detail).toMatch(/wrong password/);
    expect(logged(unknownId)?.detail).toBeTruthy();
    expect(logged(unknownId)?.detail).not.toBe(logged(wrongId)?.detail);
  });

  it('every refusal carries a different request id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const e = await pgLogin('alice', `wrong-password-${i}`);
      const id = refusal('alice').exec(e.message)?.[1];
      expect(id).toBeDefined();
      ids.add(id!);
    }
    expect(ids.size).toBe(3);
  });

  it.skipIf(!psql)('psql shows the same refusal for a wrong password and an unknown user', async () => {
    const ids: string[] = [];
    for (const user of ['alice', 'nobody']) {
      const r = await runPsql(psqlInfo(user), 'select 1', { bin: psql!, password: 'not-the-password' });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const line = new RegExp(
        `FATAL: {2}password authentication failed for user "${user}" \\(request id ([0-9a-f]{16})\\)`,
      ).exec(r.stderr);
      expect(line, r.stderr).not.toBeNull();
      // verify-full: libpq tries exactly once (sslmode=prefer would retry in plaintext and print twice).
      expect(r.stderr.match(/password authentication failed/g)).toHaveLength(1);
      ids.push(line![1]!);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('an empty password from node-postgres fails cleanly and the gateway keeps serving', async () => {
    const e = await pgLogin('alice', '');
    // node-postgres gives up mid-SCRAM (it derives no proof from an empty password) and drops the
    // connection; a gateway that let it through would yield "unexpectedly succeeded" instead.
    expect(e).toBeInstanceOf(Error);
    expect(e.code === '28P01' || /client password must be/.test(e.message), e.message).toBe(true);
    await pgLoginWorks();
  });

  it('the gateway keeps serving good logins after refusals (node-postgres and psql)', async () => {
    await Promise.all([pgLogin('alice', 'bad-1-password'), pgLogin('ghost', 'bad-2-password')]);
    await pgLoginWorks();
    if (psql) {
      const r = await runPsql(psqlInfo('alice'), 'select current_user', { bin: psql, password });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('alice');
    }
  });
});
