// The detectors that read history: a subject's first login from a new network (after a baseline exists) and
// logins outside the configured hours, with an injected clock and an injected history.
import { describe, expect, it } from 'vitest';
import type { AlertEvent, ConnectAttemptEvent } from '../../../src/core/audit.js';
import { ManualClock } from '../../../src/core/clock.js';
import {
  createHistoryDetectors,
  insideHours,
  type LoginHours,
  type LoginSubject,
  networkOf,
} from '../../../src/core/history-detectors.js';
import { waitFor } from '../../support/eventually.js';

const at = (iso: string) => new Date(iso);

function login(source: string, over: Partial<ConnectAttemptEvent> = {}): ConnectAttemptEvent {
  return {
    type: 'db.connect',
    at: '2026-12-07T10:00:00.000Z',
    requestId: `r${Math.random().toString(16).slice(2, 10)}`,
    instance: 'demo',
    dbUser: 'alice',
    database: 'app',
    method: 'scram-sha-256',
    source,
    tls: true,
    outcome: 'success',
    ...over,
  };
}

function setup(history: Record<string, string[] | 'fail'>, hours?: LoginHours) {
  const clock = new ManualClock(at('2026-12-07T10:00:00Z'));
  const alerts: AlertEvent[] = [];
  const lookups: string[] = [];
  const sink = createHistoryDetectors({
    clock,
    raise: (a) => alerts.push(a),
    knownSources: async (s: LoginSubject) => {
      const key = s.principalArn ?? `${s.instance}/${s.dbUser}`;
      lookups.push(key);
      const h = history[key];
      if (h === 'fail') throw new Error('store away');
      return h ?? [];
    },
    ...(hours ? { hours } : {}),
  });
  return { clock, alerts, lookups, sink };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('networkOf', () => {
  it('groups IPv4 by /24 and IPv6 by /48, IPv4-mapped as IPv4', () => {
    expect(networkOf('10.1.2.3')).toBe('10.1.2.0/24');
    expect(networkOf('::ffff:10.1.2.3')).toBe('10.1.2.0/24');
    expect(networkOf('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(networkOf('::1')).toBe('0:0:0::/48');
  });
});

describe('new-network detector', () => {
  it('alerts on a login from a network the subject never used, once, and not on the very first login', async () => {
    const { alerts, sink, lookups } = setup({ 'demo/alice': ['10.1.2.3', '10.1.2.99'], 'demo/bob': [] });
    sink.emit(login('10.1.2.200:5000')); // same /24 as before
    await settle();
    expect(alerts).toEqual([]);
    sink.emit(login('192.168.7.1:5000'));
    const first = await waitFor(() => alerts[0], { timeoutMs: 1000, what: 'the new-network alert' });
    expect(first).toMatchObject({
      detector: 'new-network',
      subject: 'database user demo/alice',
      network: '192.168.7.0/24',
      instance: 'demo',
    });
    sink.emit(login('192.168.7.2:5001')); // that network is known now
    sink.emit(login('10.0.0.1:1', { dbUser: 'bob' })); // bob's first login ever: a baseline, no alert
    await settle();
    expect(alerts).toHaveLength(1);
    expect(lookups).toEqual(['demo/alice', 'demo/bob']); // the trail is read once per subject
  });

  it('keys IAM logins by principal across database users, ignores refusals, and retries when history is unreadable', async () => {
    const arn = 'arn:aws:iam::123456789012:user/carol';
    const { alerts, sink, lookups } = setup({ [arn]: ['10.9.9.9'], 'demo/alice': 'fail' });
    sink.emit(login('172.16.0.5:1', { principalArn: arn, dbUser: 'reporting' }));
    await waitFor(() => alerts.length === 1, { timeoutMs: 1000, what: 'the alert for carol' });
    expect(alerts[0]?.subject).toBe(`principal ${arn}`);
    sink.emit(login('172.31.0.5:1', { outcome: 'failure', principalArn: arn }));
    sink.emit(login('10.7.7.7:1')); // history unreadable: no alert, asked again next time
    await settle();
    sink.emit(login('10.7.7.7:2'));
    await settle();
    expect(alerts).toHaveLength(1);
    expect(lookups.filter((l) => l === 'demo/alice')).toHaveLength(2);
  });
});

describe('outside-hours detector', () => {
  const office: LoginHours = {
    days: [1, 2, 3, 4, 5],
    fromMinute: 7 * 60,
    toMinute: 19 * 60,
    utcOffsetMinutes: 60,
  };

  it('knows the window, its days, the offset and windows across midnight', () => {
    expect(insideHours(at('2026-12-07T09:00:00Z'), office)).toBe(true); // Monday 10:00 at +01:00
    expect(insideHours(at('2026-12-07T18:30:00Z'), office)).toBe(false); // 19:30 local
    expect(insideHours(at('2026-12-06T09:00:00Z'), office)).toBe(false); // Sunday
    expect(insideHours(at('2026-12-07T05:59:00Z'), office)).toBe(false); // 06:59 local
    expect(insideHours(at('2026-12-07T06:00:00Z'), office)).toBe(true); // 07:00 local
    const night: LoginHours = { days: [1], fromMinute: 22 * 60, toMinute: 6 * 60, utcOffsetMinutes: 0 };
    expect(insideHours(at('2026-12-07T23:00:00Z'), night)).toBe(true); // Monday 23:00
    expect(insideHours(at('2026-12-08T05:00:00Z'), night)).toBe(true); // Tuesday 05:00, Monday's window
    expect(insideHours(at('2026-12-08T23:00:00Z'), night)).toBe(false); // Tuesday's window is not configured
  });

  it('raises outside-hours for an admitted login at 03:00 local, not at 10:00', async () => {
    const { alerts, sink } = setup({ 'demo/alice': ['10.1.2.3'] }, office);
    sink.emit(login('10.1.2.4:1', { at: '2026-12-07T09:00:00.000Z' }));
    sink.emit(login('10.1.2.4:2', { at: '2026-12-07T02:00:00.000Z' }));
    await settle();
    expect(alerts.map((a) => a.detector)).toEqual(['outside-hours']);
  });
});
