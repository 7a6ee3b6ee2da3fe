// Statement events through a real gateway and real clients (psql: simple query protocol and \copy; node-postgres:
// the extended protocol): each executed statement of the instance's configured pgaudit classes becomes one
// db.statement event with its class, command, redacted text, row count, outcome and result digest, and an
// instance without classes records none.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, ConnectAttemptEvent, StatementEvent } from '../../../src/core/audit.js';
import { waitFor } from '../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { conninfo, type PsqlResult, runPsql } from '../../support/psql.js';
import { requireBinary } from '../../support/require-binary.js';

const psql = requireBinary('psql');

describe('statement events (AuditStatements)', () => {
  const events: AuditEvent[] = [];
  let t: TestGateway;
  let port: number;
  let quietPort: number;
  let password: string;
  let quietPassword: string;
  let dir: string;

  beforeAll(async () => {
    t = await startTestGateway({ audit: { emit: (e) => void events.push(e) } });
    port = await t.createInstance('stmts');
    quietPort = await t.createInstance('quiet');
    password = await t.createUser('stmts', 'bob');
    quietPassword = await t.createUser('quiet', 'carl');
    await t.backendSql('GRANT INSERT, UPDATE ON items TO bob; GRANT CREATE ON SCHEMA public TO bob');
    await t.gateway.controlPlane.modifyInstance({
      identifier: 'stmts',
      auditStatements: ['all'],
      auditResultDigest: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-stmt-'));
  });
  afterAll(async () => {
    await t?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const statementsOf = (requestId: string) =>
    events.filter((e): e is StatementEvent => e.type === 'db.statement' && e.requestId === requestId);
  const statements = (requestId: string, count: number) =>
    waitFor(() => statementsOf(requestId).length >= count && statementsOf(requestId), {
      what: `${count} db.statement events of ${requestId}`,
    });
  /** The request id of the one session admitted to `instance` since event `from`. */
  const sessionSince = (from: number, instance = 'stmts') =>
    waitFor(
      () =>
        events
          .slice(from)
          .find(
            (e): e is ConnectAttemptEvent =>
              e.type === 'db.connect' && e.outcome === 'success' && e.instance === instance,
          )?.requestId,
      { what: `the db.connect event of a session on ${instance}` },
    );
  const ended = (requestId: string) =>
    waitFor(() => events.some((e) => e.type === 'db.disconnect' && e.requestId === requestId), {
      what: `the end of ${requestId}`,
    });

  /** psql as bob, one Query message per `-c`; returns the session's request id. */
  async function psqlSession(commands: readonly string[], expectCode = 0): Promise<string> {
    if (!psql) throw new Error('psql is required');
    const from = events.length;
    const r: PsqlResult = await runPsql(
      conninfo({ host: '127.0.0.1', port, user: 'bob', dbname: 'app', sslmode: 'disable' }),
      commands,
      { bin: psql, password },
    );
    expect(r.code, r.stderr).toBe(expectCode);
    return sessionSince(from);
  }

  /** A node-postgres session as bob: the extended protocol for queries with parameters. */
  async function pgSession(
    run: (client: pg.Client) => Promise<void>,
    who = { port: () => port, user: 'bob', password: () => password, instance: 'stmts' },
  ): Promise<string> {
    const from = events.length;
    const client = new pg.Client({
      host: '127.0.0.1',
      port: who.port(),
      user: who.user,
      password: who.password(),
      database: 'app',
    });
    await client.connect();
    try {
      await run(client);
    } finally {
      await client.end();
    }
    return sessionSince(from, who.instance);
  }

  /** The digest an auditor computes from the same rows read directly: SHA-256 over length-prefixed DataRows. */
  async function digestOf(sql: string): Promise<string> {
    const direct = new pg.Client({ connectionString: t.postgres.adminUrl('app') });
    await direct.connect();
    try {
      const { rows } = await direct.query<Array<string | null>>({
        text: sql,
        rowMode: 'array',
        types: { getTypeParser: () => (v: string) => v }, // the text format, as psql receives it
      });
      const hash = createHash('sha256');
      for (const row of rows) {
        const parts = [Buffer.alloc(2)];
        (parts[0] as Buffer).writeInt16BE(row.length);
        for (const value of row) {
          const len = Buffer.alloc(4);
          if (value === null) len.writeInt32BE(-1);
          else len.writeInt32BE(Buffer.byteLength(value));
          parts.push(len, ...(value === null ? [] : [Buffer.from(value)]));
        }
        const body = Buffer.concat(parts);
        const prefix = Buffer.alloc(4);
        prefix.writeUInt32BE(body.length);
        hash.update(prefix).update(body);
      }
      return hash.digest('hex');
    } finally {
      await direct.end();
    }
  }

  it.skipIf(!psql)(
    'a SELECT with a literal: class READ, the literal as $1, the row count, and the digest of the rows sent',
    async () => {
      const requestId = await psqlSession(["SELECT id, name FROM items WHERE name = 'espresso'"]);
      const [e] = await statements(requestId, 1);
      expect(e).toEqual({
        type: 'db.statement',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        requestId,
        instance: 'stmts',
        dbUser: 'bob',
        database: 'app',
        source: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        class: 'READ',
        command: 'SELECT',
        statement: 'SELECT id, name FROM items WHERE name = $1',
        rows: 1,
        resultSha256: await digestOf("SELECT id, name FROM items WHERE name = 'espresso'"),
        outcome: 'success',
        statementIndex: 1,
        durationMs: expect.any(Number),
      });
      expect(JSON.stringify(e)).not.toContain('espresso');
    },
  );

  it('a query with parameters through node-postgres (extended protocol): the parameter value is never recorded', async () => {
    const requestId = await pgSession(async (c) => {
      const { rows } = await c.query('SELECT id FROM items WHERE name = $1 AND id > $2', ['needle-7931', -1]);
      expect(rows).toEqual([]);
    });
    const [e] = await statements(requestId, 1);
    expect(e).toMatchObject({
      class: 'READ',
      command: 'SELECT',
      statement: 'SELECT id FROM items WHERE name = $1 AND id > $2',
      rows: 0,
      outcome: 'success',
      resultSha256: createHash('sha256').digest('hex'),
    });
    expect(JSON.stringify(events)).not.toContain('needle-7931');
  });

  it.skipIf(!psql)(
    'one session: INSERT and UPDATE (WRITE, row counts), CREATE TABLE (DDL), GRANT (ROLE), DO (FUNCTION), SET (MISC), and `SELECT 1; SELECT 2` as two events',
    async () => {
      const requestId = await psqlSession([
        "INSERT INTO items VALUES (10, 'ten'), (11, 'eleven')",
        "UPDATE items SET name = 'x' WHERE id >= 10",
        'CREATE TABLE bobs (id int)',
        'GRANT SELECT ON bobs TO PUBLIC',
        'DO $$ BEGIN PERFORM 1; END $$',
        "SET application_name = 'secret-app'",
        'SELECT 1; SELECT 2',
      ]);
      const all = await statements(requestId, 8);
      expect(all.map((e) => [e.class, e.command, e.statement, e.rows ?? null, e.statementIndex])).toEqual([
        ['WRITE', 'INSERT', 'INSERT INTO items VALUES ($1, $2), ($3, $4)', 2, 1],
        ['WRITE', 'UPDATE', 'UPDATE items SET name = $1 WHERE id >= $2', 2, 2],
        ['DDL', 'CREATE TABLE', 'CREATE TABLE bobs (id int)', null, 3],
        ['ROLE', 'GRANT', 'GRANT SELECT ON bobs TO PUBLIC', null, 4],
        ['FUNCTION', 'DO', 'DO $1', null, 5],
        ['MISC', 'SET', 'SET application_name = $1', null, 6],
        ['READ', 'SELECT', 'SELECT $1', 1, 7],
        ['READ', 'SELECT', 'SELECT $1', 1, 8],
      ]);
      expect(all.every((e) => e.outcome === 'success')).toBe(true);
      expect(JSON.stringify(all)).not.toContain('secret-app');
    },
  );

  it.skipIf(!psql)(
    'a failing statement: outcome failure with its SQLSTATE, written to the trail with its lookup columns',
    async () => {
      const requestId = await psqlSession(['SELECT 1/0'], 1);
      const [e] = await statements(requestId, 1);
      expect(e).toMatchObject({ class: 'READ', command: 'SELECT', outcome: 'failure', sqlstate: '22012' });
      expect(e?.rows).toBeUndefined();
      const trail = t.gateway.audit;
      if (!trail) throw new Error('the gateway runs without its durable trail');
      await trail.trail.flush();
      const { rows } = await t.gateway.store.pool.query(
        `SELECT event_name, username, resource, outcome, error_code, source_ip FROM gh_audit_events
          WHERE request_id = $1 AND event_name = 'db.statement'`,
        [requestId],
      );
      expect(rows).toEqual([
        {
          event_name: 'db.statement',
          username: 'bob',
          resource: 'stmts',
          outcome: 'failure',
          error_code: '22012',
          source_ip: '127.0.0.1',
        },
      ]);
    },
  );

  it.skipIf(!psql)('\\copy FROM a file (COPY FROM STDIN): class WRITE with the rows copied', async () => {
    const file = join(dir, 'items.tsv');
    await writeFile(file, '20\ttwenty\n21\ttwenty-one\n22\t\\N\n');
    const requestId = await psqlSession([`\\copy items FROM '${file}'`, 'SELECT count(*) FROM items']);
    const all = await statements(requestId, 2);
    expect(all.map((e) => [e.class, e.command, e.rows, e.outcome])).toEqual([
      ['WRITE', 'COPY', 3, 'success'],
      ['READ', 'SELECT', 1, 'success'],
    ]);
    expect(all[0]?.statement).toMatch(/^COPY\s+items FROM STDIN/i);
  });

  it.skipIf(!psql)(
    'only the configured classes are recorded; every statement is still counted in statementIndex',
    async () => {
      await t.gateway.controlPlane.modifyInstance({ identifier: 'stmts', auditStatements: ['WRITE'] });
      try {
        const requestId = await psqlSession([
          'SELECT id FROM items',
          "INSERT INTO items VALUES (30, 'thirty')",
        ]);
        const [insert] = await statements(requestId, 1);
        expect(insert).toMatchObject({ class: 'WRITE', command: 'INSERT', rows: 1, statementIndex: 2 });
        await ended(requestId);
        expect(statementsOf(requestId)).toHaveLength(1);
      } finally {
        await t.gateway.controlPlane.modifyInstance({ identifier: 'stmts', auditStatements: ['ALL'] });
      }
    },
  );

  it('AuditStatementLiterals keeps literals', async () => {
    await t.gateway.controlPlane.modifyInstance({ identifier: 'stmts', auditStatementLiterals: true });
    try {
      const requestId = await pgSession(async (c) => {
        await c.query("SELECT 'visible-literal' AS v, 42 AS n");
      });
      const [e] = await statements(requestId, 1);
      expect(e?.statement).toBe("SELECT 'visible-literal' AS v, 42 AS n");
    } finally {
      await t.gateway.controlPlane.modifyInstance({ identifier: 'stmts', auditStatementLiterals: false });
    }
  });

  it('an instance without classes records no statement event at all', async () => {
    const quiet = await pgSession(
      async (c) => {
        await c.query('SELECT id FROM items');
        await c.query('SELECT $1::int AS n', [1]);
      },
      { port: () => quietPort, user: 'carl', password: () => quietPassword, instance: 'quiet' },
    );
    // The same statements on the other instance, after: once its events are in, the quiet one's would be too.
    const loud = await pgSession(async (c) => {
      await c.query('SELECT id FROM items');
    });
    await statements(loud, 1);
    await ended(quiet);
    expect(events.filter((e) => e.type === 'db.statement' && e.instance === 'quiet')).toEqual([]);
    expect(statementsOf(quiet)).toEqual([]);
  });

  it('the settings show in DescribeDBInstances', async () => {
    const [view] = await t.gateway.controlPlane.describeInstances('stmts');
    expect(view).toMatchObject({
      AuditStatements: ['ALL'],
      AuditStatementLiterals: false,
      AuditResultDigest: true,
    });
    const [quiet] = await t.gateway.controlPlane.describeInstances('quiet');
    expect(quiet).toMatchObject({
      AuditStatements: [],
      AuditStatementLiterals: false,
      AuditResultDigest: false,
    });
  });
});
