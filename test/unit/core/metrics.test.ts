// The metrics derived from audit events and from counters kept elsewhere, read back through the exposition text.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { ConnectAttemptEvent } from '../../../src/core/audit.js';
import { createGatewayMetrics } from '../../../src/core/metrics.js';

const refused = (code: ConnectAttemptEvent['code']): ConnectAttemptEvent => ({
  type: 'db.connect',
  at: '2026-12-07T10:00:00.000Z',
  requestId: '0123456789abcdef',
  instance: 'shop',
  dbUser: 'sam',
  database: 'app',
  method: 'scram-sha-256',
  source: '10.0.0.1:5000',
  tls: true,
  outcome: 'failure',
  ...(code !== undefined ? { code } : {}),
});

async function samples(render: () => Promise<{ body: string }>, name: string) {
  const families = parsePrometheusTextFormat((await render()).body);
  return families.find((f) => f.name === name)?.metrics ?? [];
}

describe('gateway metrics', () => {
  it('counts backend errors by instance and code, and nothing else as one', async () => {
    const m = createGatewayMetrics({ listeners: () => [] });
    m.sink.emit(refused('GH_BACKEND_UNREACHABLE'));
    m.sink.emit(refused('GH_BACKEND_UNREACHABLE'));
    m.sink.emit(refused('GH_BACKEND_TIMEOUT'));
    m.sink.emit(refused('GH_AUTH_FAILED'));
    const errors = await samples(() => m.render(), 'gatehouse_backend_errors_total');
    expect(errors.map((s) => [s.labels?.['code'], Number(s.value)]).sort()).toEqual([
      ['GH_BACKEND_TIMEOUT', 1],
      ['GH_BACKEND_UNREACHABLE', 2],
    ]);
  });

  it('turns the IAM cache counters into monotonic counters, scrape after scrape', async () => {
    const stats = { hits: 5, loads: 2, invalidations: 1 };
    const m = createGatewayMetrics({ listeners: () => [], iamCache: () => stats });
    const lookups = async () =>
      Object.fromEntries(
        (await samples(() => m.render(), 'gatehouse_iam_cache_lookups_total')).map((s) => [
          s.labels?.['result'],
          Number(s.value),
        ]),
      );
    expect(await lookups()).toEqual({ hit: 5, load: 2 });
    stats.hits = 9;
    stats.loads = 3;
    expect(await lookups()).toEqual({ hit: 9, load: 3 });
    stats.invalidations = 4;
    const refreshes = await samples(() => m.render(), 'gatehouse_iam_cache_refreshes_total');
    expect(Number(refreshes[0]?.value)).toBe(4);
  });
});
