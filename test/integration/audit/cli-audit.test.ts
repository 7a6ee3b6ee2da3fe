// `gatehouse audit …` against a real gateway: real logins (right and wrong passwords) land in the durable trail,
// lookup-events / explain / tail / export read them back through the API (cloudtrail:LookupEvents), and verify
// reads the store directly and names what was tampered with.
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { publicKeyPem } from '../../../src/core/audit-signing-key.js';
import { ERRORS } from '../../../src/core/errors.js';
import type { AuditEventView } from '../../../src/core/types.js';
import type { NodeAudit } from '../../../src/wiring/audit.js';
import { waitFor } from '../../support/eventually.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { testIo } from '../../unit/cli/support/cli-io.js';

interface Login {
  ok: boolean;
  /** The request id a refused client was told. */
  requestId?: string;
}

describe('gatehouse audit against a running gateway', () => {
  let t: TestGateway;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let storeUrl: string;
  const passwords: Record<string, string> = {};
  /** Request ids of the refused logins, oldest first. */
  const refused: string[] = [];

  function start(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const io = testIo({ env: { ...env, ...extraEnv } });
    const done = runCli(['--data-dir', t.dataDir, ...args], io.io);
    return { io, done };
  }

  async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const { io, done } = start(args, extraEnv);
    const code = await done;
    return { code, stdout: io.stdout(), stderr: io.stderr(), json: () => JSON.parse(io.stdout()) };
  }

  async function login(user: string, password: string): Promise<Login> {
    const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'app' });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return { ok: true };
    } catch (e) {
      const id = /\(request id ([0-9a-f]{16})\)/.exec((e as Error).message)?.[1];
      return id === undefined ? { ok: false } : { ok: false, requestId: id };
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Every queued event in the store. */
  const flush = () => (t.gateway.audit as NodeAudit).trail.flush();

  async function storeSql(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: storeUrl });
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  }

  const events = (r: { json: () => { Events: AuditEventView[] } }) => r.json().Events;

  beforeAll(async () => {
    t = await startTestGateway();
    storeUrl = t.postgres.adminUrl('gatehouse');
    const admin = t.gateway.bootstrapKey as { accessKeyId: string; secretAccessKey: string };
    env = {
      GATEHOUSE_ACCESS_KEY_ID: admin.accessKeyId,
      GATEHOUSE_SECRET_ACCESS_KEY: admin.secretAccessKey,
      GATEHOUSE_ENDPOINT_URL: t.gateway.apiUrl,
    };
    port = await t.createInstance('demo');
    passwords['alice'] = await t.createUser('demo', 'alice', 'alice-correct-horse');
    passwords['bob'] = await t.createUser('demo', 'bob', 'bob-correct-horse');
    // alice: in, then refused; bob: in, then refused (4 db.connect, 2 db.disconnect).
    for (const user of ['alice', 'bob']) {
      expect((await login(user, passwords[user] as string)).ok).toBe(true);
      const wrong = await login(user, 'not-the-password');
      expect(wrong.ok).toBe(false);
      refused.push(wrong.requestId as string);
    }
    // The sessions end after the clients quit; their db.disconnect events follow.
    await waitFor(
      async () => {
        await flush();
        const page = await t.gateway.controlPlane.lookupEvents({
          filter: { eventName: 'db.disconnect' },
          direction: 'backward',
          limit: 10,
        });
        return page.events.length === 2;
      },
      { what: 'both sessions’ db.disconnect events in the trail' },
    );
  });
  afterAll(async () => t?.stop());

  it('lookup-events filters by username, outcome and request id (AND-ed), newest first', async () => {
    const alice = await cli(['audit', 'lookup-events', '--username', 'alice', '--event-name', 'db.connect']);
    expect(alice.code, alice.stderr).toBe(0);
    const found = events(alice);
    expect(found.map((e) => JSON.parse(e.CloudTrailEvent).outcome)).toEqual(['failure', 'success']);
    expect(BigInt(found[0]?.Seq as string)).toBeGreaterThan(BigInt(found[1]?.Seq as string));
    expect(found[0]).toMatchObject({
      EventName: 'db.connect',
      EventSource: 'gatehouse.db',
      Username: 'alice',
      Resources: [{ ResourceType: 'AWS::RDS::DBInstance', ResourceName: 'demo' }],
    });
    expect(found[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(found[0]?.CloudTrailEvent as string)).toMatchObject({
      type: 'db.connect',
      dbUser: 'alice',
      instance: 'demo',
      code: 'GH_AUTH_FAILED',
      requestId: refused[0],
      eventId: found[0]?.EventId,
    });

    const failures = await cli([
      'audit',
      'lookup-events',
      '--outcome',
      'failure',
      '--event-name',
      'db.connect',
    ]);
    expect(events(failures).map((e) => e.Username)).toEqual(['bob', 'alice']);

    const both = await cli([
      'audit',
      'lookup-events',
      '--lookup-attributes',
      'AttributeKey=Username,AttributeValue=bob',
      '--lookup-attributes',
      'AttributeKey=Outcome,AttributeValue=failure',
    ]);
    expect(both.code, both.stderr).toBe(0);
    expect(events(both).map((e) => JSON.parse(e.CloudTrailEvent).requestId)).toEqual([refused[1]]);

    const byRequest = await cli(['audit', 'lookup-events', '--request-id', refused[0] as string]);
    expect(events(byRequest).map((e) => e.EventName)).toEqual(['db.connect']);

    const none = await cli([
      'audit',
      'lookup-events',
      '--username',
      'alice',
      '--start-time',
      '2999-01-01T00:00:00Z',
    ]);
    expect(none.json()).toEqual({ Events: [] });
  });

  it('lookup-events --output table shows one row per event', async () => {
    const r = await cli([
      '--output',
      'table',
      'audit',
      'lookup-events',
      '--username',
      'alice',
      '--event-name',
      'db.connect',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('LookupEvents');
    for (const column of ['EventTime', 'EventName', 'Outcome', 'Username', 'RequestId', 'Seq'])
      expect(r.stdout).toContain(column);
    expect(r.stdout).toContain(refused[0]);
    expect(r.stdout).toContain('GH_AUTH_FAILED');
    expect(r.stdout.split('\n').filter((l) => l.includes('db.connect'))).toHaveLength(2);
    expect(r.stdout).not.toContain('CloudTrailEvent');
  });

  it('pages with --max-results and --next-token; a forged token is a validation error', async () => {
    const first = await cli(['audit', 'lookup-events', '--event-name', 'db.connect', '--max-results', '2']);
    expect(first.code, first.stderr).toBe(0);
    const page1 = first.json();
    expect(page1.Events).toHaveLength(2);
    expect(page1.NextToken).toEqual(expect.any(String));
    const second = await cli([
      'audit',
      'lookup-events',
      '--event-name',
      'db.connect',
      '--max-results',
      '2',
      '--next-token',
      page1.NextToken,
    ]);
    expect(second.code, second.stderr).toBe(0);
    const page2 = second.json();
    expect(page2.Events).toHaveLength(2);
    expect(page2.NextToken).toBeUndefined();
    const seqs = [...page1.Events, ...page2.Events].map((e: AuditEventView) => BigInt(e.Seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    expect(new Set(seqs).size).toBe(4);

    const forged = await cli(['audit', 'lookup-events', '--next-token', 'not a token!']);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('NextToken');
    expect(forged.stderr).toContain('[GH_API_VALIDATION]');
  });

  it('explain shows a refused login with its code, what the code means and the operator-side reason', async () => {
    const requestId = refused[0] as string;
    const r = await cli(['audit', 'explain', requestId]);
    expect(r.code, r.stderr).toBe(0);
    const stored = JSON.parse(
      events(await cli(['audit', 'lookup-events', '--request-id', requestId]))[0]?.CloudTrailEvent as string,
    );
    expect(stored.reason).toEqual(expect.any(String));
    expect(r.stdout).toContain(`request ${requestId}: 1 event`);
    expect(r.stdout).toContain('db.connect');
    expect(r.stdout).toMatch(/code\s+GH_AUTH_FAILED/);
    expect(r.stdout).toContain(ERRORS.GH_AUTH_FAILED.description);
    expect(r.stdout).toMatch(new RegExp(`reason\\s+${stored.reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(r.stdout).toMatch(/dbUser\s+alice/);

    const json = await cli(['--output', 'json', 'audit', 'explain', requestId]);
    expect(json.json()).toMatchObject({
      RequestId: requestId,
      Events: [
        { Event: { code: 'GH_AUTH_FAILED', reason: stored.reason }, CodeDescription: expect.any(String) },
      ],
    });

    const unknown = await cli(['audit', 'explain', '0123456789abcdef']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no event with request id 0123456789abcdef');
  });

  it('export writes every matching event, oldest first, one JSON per line', async () => {
    const listed = await cli(['audit', 'lookup-events', '--event-name', 'db.connect']);
    const r = await cli(['audit', 'export', '--format', 'jsonl', '--event-name', 'db.connect']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(events(listed).length);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.map((e) => e.eventId)).toEqual(
      events(listed)
        .map((e) => e.EventId)
        .reverse(),
    );
    expect(parsed.every((e) => e.type === 'db.connect')).toBe(true);

    const all = await cli(['audit', 'export', '--end-time', new Date().toISOString()]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.trimEnd().split('\n').length).toBeGreaterThanOrEqual(6);

    const later = await cli([
      'audit',
      'export',
      '--start-time',
      String(Math.floor(Date.now() / 1000) + 3600),
    ]);
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toBe('');
  });

  it('tail prints the newest events, oldest of them first', async () => {
    const r = await cli(['audit', 'tail', '--event-name', 'db.connect', '--max-results', '3']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\S+Z db\.connect outcome=\w+ user=\w+ /);
    expect(lines[2]).toContain(`request=${refused[1]}`);
    expect(lines[2]).toContain('code=GH_AUTH_FAILED');
  });

  it('tail --follow prints new events as they come and stops on SIGINT', async () => {
    const { io, done } = start([
      'audit',
      'tail',
      '--follow',
      '--interval-seconds',
      '0.1',
      '--event-name',
      'db.connect',
      '--max-results',
      '1',
    ]);
    await waitFor(() => io.stdout().includes(`request=${refused[1]}`), { what: 'the newest event printed' });
    const wrong = await login('alice', 'still-not-the-password');
    refused.push(wrong.requestId as string);
    await flush();
    await waitFor(() => io.stdout().includes(`request=${wrong.requestId}`), {
      what: 'the new refusal printed by tail --follow',
    });
    io.signals.emit('SIGINT');
    expect(await done).toBe(0);
    expect(io.stdout().trimEnd().split('\n')).toHaveLength(2);
    expect(io.signals.listenerCount('SIGINT')).toBe(0);
  });

  it('tail --follow of the whole trail does not print its own polling calls', async () => {
    const { io, done } = start([
      'audit',
      'tail',
      '--follow',
      '--interval-seconds',
      '0.1',
      '--max-results',
      '1',
    ]);
    await waitFor(() => io.stdout().includes('\n'), { what: 'the newest event printed' });
    const startedAt = BigInt(/ seq=(\d+)/.exec(io.stdout())?.[1] ?? '0');
    // Its polls land on the trail; once several have, a refusal after them is printed, and they were not.
    await waitFor(
      async () => {
        await flush();
        const polls = await t.gateway.controlPlane.lookupEvents({
          filter: { eventName: 'LookupEvents' },
          direction: 'forward',
          after: startedAt,
          limit: 10,
        });
        return polls.events.length >= 3;
      },
      { what: 'three polls of tail --follow on the trail' },
    );
    const wrong = await login('bob', 'not-bobs-password');
    await flush();
    await waitFor(() => io.stdout().includes(`request=${wrong.requestId}`), { what: 'the refusal printed' });
    io.signals.emit('SIGINT');
    expect(await done).toBe(0);
    const followed = io.stdout().trimEnd().split('\n').slice(1);
    expect(followed.filter((l) => l.includes(' LookupEvents '))).toEqual([]);
    expect(followed.some((l) => l.includes(`request=${wrong.requestId}`))).toBe(true);
  });

  it('LookupEvents needs cloudtrail:LookupEvents (on resource *)', async () => {
    const without = await t.createIamPrincipal('no-trail', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: '*' }],
    });
    const denied = await cli(['audit', 'lookup-events'], {
      GATEHOUSE_ACCESS_KEY_ID: without.accessKeyId,
      GATEHOUSE_SECRET_ACCESS_KEY: without.secretAccessKey,
    });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('cloudtrail:LookupEvents');
    expect(denied.stderr).toContain('[GH_API_ACCESS_DENIED]');

    const auditor = await t.createIamPrincipal('auditor', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' }],
    });
    const allowed = await cli(
      ['audit', 'lookup-events', '--event-name', 'db.connect', '--max-results', '1'],
      {
        GATEHOUSE_ACCESS_KEY_ID: auditor.accessKeyId,
        GATEHOUSE_SECRET_ACCESS_KEY: auditor.secretAccessKey,
      },
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(events(allowed)).toHaveLength(1);
    // The refusal is on the trail too, as a management call.
    const refusal = await waitFor(
      async () => {
        await flush();
        const page = await t.gateway.controlPlane.lookupEvents({
          filter: { username: 'no-trail', eventName: 'LookupEvents' },
          direction: 'backward',
          limit: 10,
        });
        return page.events[0];
      },
      { what: 'the refused LookupEvents call on the trail' },
    );
    expect(JSON.parse(refusal.CloudTrailEvent)).toMatchObject({
      type: 'api.call',
      errorCode: 'AccessDenied',
    });
  });

  it('public-key prints the public half of the data dir signing key', async () => {
    const r = await cli(['audit', 'public-key']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(publicKeyPem((t.gateway.audit as NodeAudit).signer));
    const json = await cli(['--output', 'json', 'audit', 'public-key']);
    expect(json.json()).toEqual({ KeyId: t.gateway.audit?.signer.keyId, PublicKey: r.stdout });
  });

  it('verify reads the store directly: OK on an untouched trail, FAILED naming the altered event', async () => {
    expect(await t.gateway.audit?.digestNow()).not.toBeNull();
    // An event after the digest, and the last API call of this test: once it is the newest event on the trail,
    // nothing else is still on its way there (below, the newest events are deleted and the head is asserted).
    await cli(['audit', 'lookup-events', '--max-results', '1']);
    await waitFor(
      async () => {
        await flush();
        const newest = await t.gateway.controlPlane.lookupEvents({
          filter: {},
          direction: 'backward',
          limit: 1,
        });
        return newest.events[0]?.EventName === 'LookupEvents';
      },
      { what: 'the last LookupEvents call on the trail' },
    );
    const lookup = async (filter: { username?: string; requestId?: string; eventName?: string }) =>
      (await t.gateway.controlPlane.lookupEvents({ filter, direction: 'backward', limit: 10 })).events;

    const ok = await cli(['audit', 'verify', '--store-url', storeUrl]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^OK: the audit trail in postgres:\/\/\S+ verifies\./);
    const storePassword = new URL(storeUrl).password;
    if (storePassword !== '') expect(ok.stdout).not.toContain(storePassword); // the URL is shown without it
    expect(ok.stdout).toContain(`checked with key ${t.gateway.audit?.signer.keyId}`);
    expect(ok.stdout).toMatch(/\d+ digest cop(y|ies) from outside the store compared/);
    const report = (
      await cli(['--output', 'json', 'audit', 'verify'], { GATEHOUSE_STORE_URL: storeUrl })
    ).json();
    expect(report).toMatchObject({ ok: true, signaturesChecked: true, findings: [] });
    expect(report.digests).toBeGreaterThanOrEqual(1);
    expect(report.digestCopies).toBeGreaterThanOrEqual(1);

    const since = await lookup({ username: 'bob', eventName: 'db.connect' });
    const from = await cli([
      'audit',
      'verify',
      '--store-url',
      storeUrl,
      '--from',
      since.at(-1)?.EventTime as string,
    ]);
    expect(from.code, from.stdout).toBe(0);

    // A key that did not sign the digests: they do not verify.
    const other = join(t.dataDir, 'other.pem');
    const { publicKey } = generateKeyPairSync('ed25519');
    await writeFile(other, publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const wrongKey = await cli(['audit', 'verify', '--store-url', storeUrl, '--public-key', other]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(
      /^FAILED: digest 1 is signed by key \w+, which is not one of the given public keys/,
    );

    // An event's body edited in place.
    const target = (await lookup({ requestId: refused[0] as string }))[0];
    const seq = target?.Seq as string;
    const original = (await storeSql('SELECT body FROM gh_audit_events WHERE seq = $1', [seq])).rows[0]?.body;
    await storeSql("UPDATE gh_audit_events SET body = replace(body, 'alice', 'mallory') WHERE seq = $1", [
      seq,
    ]);
    const modified = await cli(['audit', 'verify', '--store-url', storeUrl]);
    expect(modified.code).toBe(1);
    expect(modified.stdout.split('\n')[0]).toBe(
      `FAILED: event ${seq} was modified (its hash no longer matches its content)`,
    );
    await storeSql('UPDATE gh_audit_events SET body = $2 WHERE seq = $1', [seq, original]);
    expect((await cli(['audit', 'verify', '--store-url', storeUrl])).code).toBe(0);

    // The newest events deleted.
    const head = BigInt((await storeSql('SELECT seq::text AS seq FROM gh_audit_head')).rows[0]?.seq);
    await storeSql('DELETE FROM gh_audit_events WHERE seq > $1', [(head - 2n).toString()]);
    const truncated = await cli(['audit', 'verify', '--store-url', storeUrl]);
    expect(truncated.code).toBe(1);
    expect(truncated.stdout.split('\n')[0]).toBe(
      `FAILED: the newest events ${head - 1n}..${head} were deleted (the chain head is at ${head})`,
    );
    const failed = await cli(['--output', 'json', 'audit', 'verify', '--store-url', storeUrl]);
    expect(failed.code).toBe(1);
    expect(failed.json()).toMatchObject({
      ok: false,
      findings: [{ kind: 'truncated', seq: String(head - 1n) }],
    });
  });

  it('verify without a store to read says how to name one', async () => {
    const r = await cli(['audit', 'verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--store-url');
  });
});
