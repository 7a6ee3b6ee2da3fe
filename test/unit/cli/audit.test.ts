// LookupEvents' request checks, its NextToken, the audit CLI's flags (against the API with an in-memory control
// plane), the digest-copy file format and where `audit verify` finds the store of a `gatehouse up` data dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_ACTIONS } from '../../../src/api/actions.js';
import { parseDigestCopies } from '../../../src/cli/audit-verify.js';
import { runCli } from '../../../src/cli/program.js';
import { decodeLookupToken, encodeLookupToken, parseLookupTime } from '../../../src/control-plane/audit.js';
import { writeCredentials } from '../../../src/core/data-dir.js';
import { GatehouseError } from '../../../src/core/errors.js';
import type { AuditEventView } from '../../../src/core/types.js';
import { upStoreUrl } from '../../../src/up/store-location.js';
import { ADMIN_KEY, type ApiFixture, startApiFixture } from '../api/support/api-fixture.js';
import { testIo } from './support/cli-io.js';

const lookupAction = API_ACTIONS.get('LookupEvents');

function prepare(body: unknown): Record<string, unknown> {
  if (!lookupAction) throw new Error('LookupEvents is not an API action');
  return lookupAction.prepare(body).params;
}

function rejection(body: unknown): string {
  try {
    prepare(body);
  } catch (e) {
    expect(e).toBeInstanceOf(GatehouseError);
    expect((e as GatehouseError).code).toBe('GH_API_VALIDATION');
    return (e as GatehouseError).message;
  }
  throw new Error('expected a validation error');
}

describe('LookupEvents request', () => {
  it('defaults to 50 events, newest first', () => {
    expect(prepare({})).toEqual({ MaxResults: 50, Direction: 'backward' });
  });

  it('takes ISO 8601 or epoch seconds', () => {
    const p = prepare({ StartTime: 1_700_000_000, EndTime: '2024-01-01T00:00:00Z' });
    expect(p['StartTime']).toEqual(new Date(1_700_000_000_000));
    expect(p['EndTime']).toEqual(new Date('2024-01-01T00:00:00Z'));
    expect(rejection({ StartTime: 'yesterday' })).toContain(
      'StartTime: expected an ISO 8601 time or epoch seconds',
    );
    expect(rejection({ StartTime: 20, EndTime: 10 })).toContain('StartTime: must not be after EndTime');
  });

  it('takes several lookup attributes, each key once, and rejects unknown keys', () => {
    const p = prepare({
      LookupAttributes: [
        { AttributeKey: 'Username', AttributeValue: 'alice' },
        { AttributeKey: 'Outcome', AttributeValue: 'failure' },
      ],
    });
    expect(p['LookupAttributes']).toHaveLength(2);
    expect(rejection({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'true' }] })).toContain(
      'LookupAttributes.0.AttributeKey',
    );
    expect(
      rejection({
        LookupAttributes: [
          { AttributeKey: 'Username', AttributeValue: 'a' },
          { AttributeKey: 'Username', AttributeValue: 'b' },
        ],
      }),
    ).toContain('Username is given twice');
    expect(rejection({ LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: 'x' }] })).toContain(
      'an EventId is a UUID',
    );
    expect(rejection({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: '' }] })).toContain(
      'must not be empty',
    );
    expect(rejection({ Attributes: [] })).toContain('unknown parameter Attributes');
  });

  it('bounds MaxResults and checks NextToken', () => {
    expect(rejection({ MaxResults: 0 })).toContain('MaxResults');
    expect(rejection({ MaxResults: 1001 })).toContain('MaxResults');
    expect(prepare({ NextToken: encodeLookupToken(42n) })['NextToken']).toBe(42n);
    expect(rejection({ NextToken: 'bm90LWEtbnVtYmVy' })).toContain(
      'NextToken: is not a NextToken from a previous LookupEvents answer',
    );
    expect(rejection({ Direction: 'sideways' })).toContain('Direction');
  });
});

describe('NextToken and times', () => {
  it('round-trips a seq and refuses anything else', () => {
    for (const seq of [0n, 1n, 123456789n, 2n ** 63n - 1n])
      expect(decodeLookupToken(encodeLookupToken(seq))).toBe(seq);
    for (const bad of ['', 'MDA', 'LTE', '!!', encodeLookupToken(2n ** 63n), `${encodeLookupToken(5n)}=`]) {
      expect(decodeLookupToken(bad), bad).toBeNull();
    }
  });

  it('parses ISO 8601 and epoch seconds', () => {
    expect(parseLookupTime('1700000000')?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(parseLookupTime('2024-02-03T04:05:06+02:00')?.toISOString()).toBe('2024-02-03T02:05:06.000Z');
    expect(parseLookupTime('2024-13-45')).toBeNull();
    expect(parseLookupTime('soon')).toBeNull();
  });
});

describe('gatehouse audit (flags to LookupEvents)', () => {
  let fx: ApiFixture;
  let dir: string;
  let caFile: string;

  async function cli(args: string[]) {
    const t = testIo();
    const code = await runCli(
      ['--data-dir', dir, '--endpoint-url', fx.server.url, '--ca-bundle', caFile, ...args],
      t.io,
    );
    return { code, stdout: t.stdout(), stderr: t.stderr() };
  }

  const view = (seq: number, name = 'db.connect'): AuditEventView => ({
    EventId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    EventName: name,
    EventTime: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    EventSource: 'gatehouse.db',
    Username: 'alice',
    Resources: [],
    CloudTrailEvent: JSON.stringify({ type: name, seq }),
    Seq: String(seq),
  });

  beforeAll(async () => {
    fx = await startApiFixture();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-cli-'));
    caFile = join(dir, 'test-ca.pem');
    writeFileSync(caFile, fx.cert.certPem);
    writeCredentials(dir, 'default', ADMIN_KEY);
  });
  afterAll(async () => {
    await fx.server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fx.cp.auditEvents.length = 0;
    fx.cp.lastLookup = undefined;
  });

  it('sends the convenience flags and --lookup-attributes as AND-ed attributes', async () => {
    const r = await cli([
      'audit',
      'lookup-events',
      '--username',
      'alice',
      '--lookup-attributes',
      'AttributeKey=Outcome,AttributeValue=failure',
      '--lookup-attributes',
      '[{"AttributeKey":"ResourceName","AttributeValue":"demo"}]',
      '--start-time',
      '1700000000',
      '--max-results',
      '5',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(fx.cp.lastLookup).toEqual({
      filter: {
        outcome: 'failure',
        resource: 'demo',
        username: 'alice',
        startTime: new Date(1_700_000_000_000),
      },
      direction: 'backward',
      limit: 5,
    });
  });

  it('refuses a key given twice, an unknown key and a bad time before calling', async () => {
    const twice = await cli([
      'audit',
      'lookup-events',
      '--username',
      'a',
      '--lookup-attributes',
      'AttributeKey=Username,AttributeValue=b',
    ]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('--username and --lookup-attributes both set Username');
    const unknown = await cli([
      'audit',
      'lookup-events',
      '--lookup-attributes',
      'AttributeKey=Color,AttributeValue=red',
    ]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown AttributeKey "Color"');
    const time = await cli(['audit', 'lookup-events', '--start-time', 'last tuesday']);
    expect(time.code).not.toBe(0);
    expect(time.stderr).toContain('expected an ISO 8601 time');
    expect(fx.cp.lastLookup).toBeUndefined();
  });

  it('export pages forward to the newest event at its start; explain of an unknown id fails', async () => {
    for (let seq = 1; seq <= 2500; seq++) fx.cp.auditEvents.push(view(seq));
    const r = await cli(['audit', 'export']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2500);
    expect(JSON.parse(lines[0] as string)).toEqual({ type: 'db.connect', seq: 1 });
    expect(JSON.parse(lines[2499] as string)).toEqual({ type: 'db.connect', seq: 2500 });

    fx.cp.auditEvents.length = 0;
    const explain = await cli(['audit', 'explain', 'abc']);
    expect(explain.code).toBe(1);
    expect(explain.stderr).toBe('gatehouse: no event with request id abc in the audit trail\n');
  });
});

describe('audit verify inputs', () => {
  it('reads the digest copies file, naming a bad line', () => {
    const good = JSON.stringify({
      digestSeq: '3',
      body: '{"a":1}',
      signature: Buffer.from('sig').toString('base64'),
    });
    expect(parseDigestCopies(`${good}\n\n`, 'f')).toEqual([
      { digestSeq: 3n, body: '{"a":1}', signature: Buffer.from('sig') },
    ]);
    expect(() => parseDigestCopies(`${good}\n{"digestSeq":"x"}\n`, 'digests.jsonl')).toThrow(
      'digests.jsonl line 2 is not an audit digest: no digestSeq',
    );
  });

  it('finds the store of a `gatehouse up` data dir from up.json and pgdata.password', () => {
    const d = mkdtempSync(join(tmpdir(), 'gatehouse-up-dir-'));
    try {
      expect(upStoreUrl(d)).toBeNull();
      writeFileSync(join(d, 'up.json'), '{"storePort":54329}\n');
      expect(upStoreUrl(d)).toBeNull();
      writeFileSync(join(d, 'pgdata.password'), 'p@ss/word\n');
      expect(upStoreUrl(d)).toBe('postgres://postgres:p%40ss%2Fword@127.0.0.1:54329/gatehouse');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
