// GET /metrics (Prometheus text, read back with a real exposition-format parser), /readyz and /healthz on the API
// listener: connection attempts by outcome and code, setup latency, sessions now and ended, bytes, revocations.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { type AddressInfo, createServer } from 'node:net';
import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';

describe('/metrics, /readyz and /healthz', () => {
  let t: TestGateway;
  let port: number;
  let password: string;
  let agent: Agent;

  const get = (path: string) =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = request(new URL(path, t.gateway.apiUrl), { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d) => {
          body += d;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
        );
      });
      req.on('error', reject);
      req.end();
    });

  const scrape = async (): Promise<Map<string, PrometheusFamily>> => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    return new Map(parsePrometheusTextFormat(res.body).map((f) => [f.name, f]));
  };

  /** The value of one sample of a family whose labels include `labels`, or 0 when there is none. */
  const value = (families: Map<string, PrometheusFamily>, name: string, labels: Record<string, string>) => {
    const sample = families
      .get(name)
      ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    return Number(sample?.value ?? sample?.count ?? 0);
  };

  const client = (pass: string) =>
    new pg.Client({ host: '127.0.0.1', port, user: 'mia', password: pass, database: 'app' });

  beforeAll(async () => {
    t = await startTestGateway();
    agent = new Agent({ ca: readFileSync(t.caFile, 'utf8') });
    port = await t.createInstance('metered');
    password = await t.createUser('metered', 'mia');
  });
  afterAll(async () => {
    agent?.destroy();
    await t?.stop();
  });

  it('/healthz and /readyz answer without credentials; /readyz checks the store and the listeners', async () => {
    expect(JSON.parse((await get('/healthz')).body)).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({
      status: 'ready',
      checks: { store: 'ok', migrations: 'ok', listeners: 'ok' },
    });
  });

  it('counts an admitted and a refused attempt, the open session, and the session once it ended', async () => {
    const before = await scrape();
    const ok = { instance: 'metered', method: 'scram-sha-256', outcome: 'success' };
    const refused = { instance: 'metered', outcome: 'failure', code: 'GH_AUTH_FAILED' };

    const bad = client('not-the-password');
    bad.on('error', () => {});
    await expect(bad.connect()).rejects.toThrow(/password authentication failed/);
    const good = client(password);
    await good.connect();
    await good.query("SELECT repeat('y', 3000)");

    const during = await waitFor(
      async () => {
        const m = await scrape();
        return value(m, 'gatehouse_connection_attempts_total', ok) >
          value(before, 'gatehouse_connection_attempts_total', ok)
          ? m
          : null;
      },
      { timeoutMs: 5000, what: 'the admitted attempt to be counted' },
    );
    expect(value(during, 'gatehouse_connection_attempts_total', refused)).toBe(
      value(before, 'gatehouse_connection_attempts_total', refused) + 1,
    );
    expect(value(during, 'gatehouse_sessions', { instance: 'metered' })).toBe(1);
    // This parser keeps a histogram's buckets but not its labels: at least one observation in the +Inf bucket.
    const setup = during.get('gatehouse_connection_setup_seconds');
    expect(setup?.type).toBe('HISTOGRAM');
    expect(
      Math.max(...(setup?.metrics ?? []).map((m) => Number(m.buckets?.['+Inf'] ?? 0))),
    ).toBeGreaterThanOrEqual(1);
    expect(during.get('gatehouse_process_cpu_user_seconds_total')?.type).toBe('COUNTER');

    await good.end();
    const after = await waitFor(
      async () => {
        const m = await scrape();
        return value(m, 'gatehouse_sessions_ended_total', { instance: 'metered', reason: 'client-quit' }) >
          value(before, 'gatehouse_sessions_ended_total', { instance: 'metered', reason: 'client-quit' })
          ? m
          : null;
      },
      { timeoutMs: 5000, what: 'the ended session to be counted' },
    );
    expect(value(after, 'gatehouse_sessions', { instance: 'metered' })).toBe(0);
    expect(
      value(after, 'gatehouse_session_bytes_total', { instance: 'metered', direction: 'to_client' }) -
        value(before, 'gatehouse_session_bytes_total', { instance: 'metered', direction: 'to_client' }),
    ).toBeGreaterThan(3000);
  });

  it('exposes the audit trail (writes, backlog) and the IAM cache (lookups, refreshes)', async () => {
    const before = await scrape();
    // An API call signed by an IAM key loads its principal through the cache (a store read the first time).
    const keys = await t.createIamPrincipal('metrics-viewer', null);
    const iam = new IAMClient({
      endpoint: t.gateway.apiUrl,
      region: t.gateway.account.region,
      credentials: keys,
      requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
      maxAttempts: 1,
    });
    await iam.send(new ListUsersCommand({})).catch(() => {}); // denied or not: the principal was looked up
    iam.destroy();
    const after = await waitFor(
      async () => {
        const m = await scrape();
        return value(m, 'gatehouse_audit_events_written_total', {}) >
          value(before, 'gatehouse_audit_events_written_total', {}) &&
          value(m, 'gatehouse_iam_cache_lookups_total', { result: 'load' }) >
            value(before, 'gatehouse_iam_cache_lookups_total', { result: 'load' })
          ? m
          : null;
      },
      { timeoutMs: 10_000, what: 'audit writes and an IAM cache load to be counted' },
    );
    expect(after.get('gatehouse_audit_write_seconds')?.type).toBe('HISTOGRAM');
    expect(after.get('gatehouse_audit_backlog')?.type).toBe('GAUGE');
    expect(value(after, 'gatehouse_audit_dropped', {})).toBe(0);
    // createIamPrincipal changed IAM: every node empties its cache (NOTIFY), this one included.
    expect(value(after, 'gatehouse_iam_cache_refreshes_total', {})).toBeGreaterThan(
      value(before, 'gatehouse_iam_cache_refreshes_total', {}),
    );
  });

  it('/readyz says 503 and names the check when a known migration is missing from the store', async () => {
    const pool = t.gateway.store.pool;
    const { rows } = await pool.query<{ version: number; name: string }>(
      'DELETE FROM gh_schema_migrations WHERE version = (SELECT max(version) FROM gh_schema_migrations) RETURNING version, name',
    );
    try {
      const res = await get('/readyz');
      expect(res.status).toBe(503);
      expect(JSON.parse(res.body).checks.migrations).toMatch(
        /^store schema \d+ is older than this node's \d+/,
      );
    } finally {
      await pool.query('INSERT INTO gh_schema_migrations (version, name) VALUES ($1, $2)', [
        rows[0]?.version,
        rows[0]?.name,
      ]);
    }
    expect((await get('/readyz')).status).toBe(200);
  });

  it('/readyz says 503 and names the instance whose listener could not start', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    const pool = t.gateway.store.pool;
    try {
      await pool.query(
        `INSERT INTO gh_instances (identifier, engine, dbi_resource_id, backend_url, listen_host, listen_port)
         SELECT 'blocked', engine, 'db-BLOCKED', backend_url, listen_host, $1 FROM gh_instances WHERE identifier = 'metered'`,
        [taken],
      );
      expect((await t.gateway.reconcile()).map((f) => f.instance)).toEqual(['blocked']);
      const res = await get('/readyz');
      expect(res.status).toBe(503);
      expect(JSON.parse(res.body).checks.listeners).toBe('not listening: blocked');
    } finally {
      await pool.query("DELETE FROM gh_instances WHERE identifier = 'blocked'");
      blocker.close();
    }
    expect(await t.gateway.reconcile()).toEqual([]);
    expect((await get('/readyz')).status).toBe(200);
  });

  it('no label carries a user name, an address or a password', async () => {
    const body = (await get('/metrics')).body;
    expect(body).not.toContain('mia');
    expect(body).not.toContain('127.0.0.1');
    expect(body).not.toContain(password);
  });
});
