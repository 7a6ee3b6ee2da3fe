// The access-pattern detectors, driven by hand-made audit events and a manual clock.
import { describe, expect, it } from 'vitest';
import type { AlertEvent, AuditEvent, ConnectAttemptEvent } from '../../../src/core/audit.js';
import { ManualClock } from '../../../src/core/clock.js';
import { createDetectors } from '../../../src/core/detectors.js';

const settings = { failureBurst: 3, windowSeconds: 60, maxTracked: 100 };

function setup(maxTracked = 100) {
  const clock = new ManualClock(new Date('2026-12-07T10:00:00Z'));
  const alerts: AlertEvent[] = [];
  const sink = createDetectors({
    clock,
    settings: { ...settings, maxTracked },
    raise: (a) => void alerts.push(a),
  });
  let n = 0;
  const refused = (o: Partial<ConnectAttemptEvent> = {}): ConnectAttemptEvent => ({
    type: 'db.connect',
    at: clock.now().toISOString(),
    requestId: `req${++n}`,
    instance: 'orders',
    dbUser: 'app',
    method: 'scram-sha-256',
    source: '203.0.113.9:50000',
    tls: true,
    outcome: 'failure',
    code: 'GH_AUTH_FAILED',
    ...o,
  });
  return { clock, alerts, sink, refused };
}

describe('failure-burst detector', () => {
  it('alerts once when a source reaches the threshold inside the window, naming the source and the count', () => {
    const { alerts, sink, refused, clock } = setup();
    sink.emit(refused());
    clock.advance(10_000);
    sink.emit(refused({ source: '203.0.113.9:50001' }));
    expect(alerts).toEqual([]);
    sink.emit(refused({ source: '203.0.113.9:50002' }));
    expect(alerts).toEqual([
      expect.objectContaining({
        type: 'alert',
        detector: 'failure-burst',
        subject: 'source 203.0.113.9',
        count: 3,
        windowSeconds: 60,
        requestId: 'req3',
        instance: 'orders',
        at: '2026-12-07T10:00:10.000Z',
      }),
    ]);
    sink.emit(refused());
    expect(alerts).toHaveLength(1); // one alert per burst, not one per refusal
  });

  it('refusals spread wider than the window raise nothing; a quiet window re-arms the detector', () => {
    const { alerts, sink, refused, clock } = setup();
    for (let i = 0; i < 5; i++) {
      sink.emit(refused());
      clock.advance(31_000); // at most two inside any 60 s window
    }
    expect(alerts).toEqual([]);
    for (let i = 0; i < 3; i++) sink.emit(refused());
    expect(alerts).toHaveLength(1);
    clock.advance(61_000);
    for (let i = 0; i < 3; i++) sink.emit(refused());
    expect(alerts).toHaveLength(2);
  });

  it('counts a principal across sources, and IPv6 sources by address', () => {
    const { alerts, sink, refused } = setup();
    const arn = 'arn:aws:iam::123456789012:user/mallory';
    sink.emit(refused({ source: '[2001:db8::1]:1', principalArn: arn }));
    sink.emit(refused({ source: '198.51.100.1:2', principalArn: arn }));
    sink.emit(refused({ source: '198.51.100.2:3', principalArn: arn }));
    expect(alerts.map((a) => a.subject)).toEqual([`principal ${arn}`]);
    sink.emit(refused({ source: '[2001:db8::1]:4' }));
    sink.emit(refused({ source: '[2001:db8::1]:5' }));
    expect(alerts.map((a) => a.subject)).toEqual([`principal ${arn}`, 'source 2001:db8::1']);
  });

  it('successes and abandoned attempts are not refusals', () => {
    const { alerts, sink, refused } = setup();
    for (let i = 0; i < 5; i++) sink.emit(refused({ outcome: 'success', code: undefined }));
    for (let i = 0; i < 5; i++) sink.emit(refused({ outcome: 'abandoned', code: undefined }));
    expect(alerts).toEqual([]);
  });

  it('tracks a bounded number of subjects, forgetting the least recently seen', () => {
    const { alerts, sink, refused } = setup(2);
    sink.emit(refused({ source: '192.0.2.1:1' }));
    sink.emit(refused({ source: '192.0.2.1:1' }));
    sink.emit(refused({ source: '192.0.2.2:1' }));
    sink.emit(refused({ source: '192.0.2.3:1' })); // 192.0.2.1 forgotten
    sink.emit(refused({ source: '192.0.2.1:1' }));
    expect(alerts).toEqual([]);
  });
});

describe('single-event detectors', () => {
  it('a token signed with a deactivated key raises inactive-key-use at once', () => {
    const { alerts, sink, refused } = setup();
    sink.emit(refused({ code: 'GH_IAM_TOKEN_KEY_INACTIVE', accessKeyId: 'AKIAEXAMPLE', method: 'iam' }));
    expect(alerts).toEqual([
      expect.objectContaining({
        detector: 'inactive-key-use',
        subject: 'access key AKIAEXAMPLE',
        requestId: 'req1',
      }),
    ]);
  });

  it('a revoked session raises session-revoked; alerts fed back in raise nothing', () => {
    const { alerts, sink, clock } = setup();
    const revoked: AuditEvent = {
      type: 'db.session.revoked',
      at: clock.now().toISOString(),
      requestId: 'r1',
      instance: 'orders',
      dbUser: 'app_iam',
      principalArn: 'arn:aws:iam::123456789012:user/carol',
      accessKeyId: 'AKIACAROL',
      source: '10.0.0.1:1',
      code: 'GH_IAM_SESSION_REVOKED',
      reason: 'access key deactivated',
    };
    sink.emit(revoked);
    expect(alerts).toEqual([
      expect.objectContaining({
        detector: 'session-revoked',
        subject: 'principal arn:aws:iam::123456789012:user/carol',
        requestId: 'r1',
      }),
    ]);
    sink.emit(alerts[0] as AlertEvent);
    expect(alerts).toHaveLength(1);
  });
});
