// Access-pattern detectors over the audit events every engine's pipeline emits: each raises an `alert` event
// into the same trail. Stateless across restarts by design (a burst is about minutes); the clock is injected.
import type { AlertEvent, AuditEvent, AuditSink } from './audit.js';
import type { Clock } from './clock.js';
import { parseHostPort } from './host-port.js';

export interface DetectorSettings {
  /** Refused attempts from one source address, or for one principal, within the window that raise an alert. */
  readonly failureBurst: number;
  readonly windowSeconds: number;
  /** Sources and principals tracked at once; the least recently seen are forgotten beyond it (memory bound). */
  readonly maxTracked: number;
}

export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = {
  failureBurst: 20,
  windowSeconds: 60,
  maxTracked: 10_000,
};

interface Burst {
  /** Times (ms) of the refusals inside the window, oldest first. */
  times: number[];
  /** Whether this burst has already raised its alert (re-armed once the window empties). */
  alerted: boolean;
}

export function createDetectors(o: {
  readonly clock: Clock;
  readonly settings?: DetectorSettings;
  /** Where alerts go (the audit trail; the sink must not feed them back here, and alerts are ignored if it does). */
  raise(alert: AlertEvent): void;
}): AuditSink {
  const settings = o.settings ?? DEFAULT_DETECTOR_SETTINGS;
  const windowMs = settings.windowSeconds * 1000;
  const bursts = new Map<string, Burst>();

  const alert = (fields: Omit<AlertEvent, 'type' | 'at'>) =>
    o.raise({ type: 'alert', at: o.clock.now().toISOString(), ...fields });

  const refusal = (subject: string, event: Extract<AuditEvent, { type: 'db.connect' }>) => {
    const now = o.clock.now().getTime();
    const burst = bursts.get(subject) ?? { times: [], alerted: false };
    bursts.delete(subject); // re-inserted last: the map's order is least recently seen first
    while (burst.times.length > 0 && (burst.times[0] as number) <= now - windowMs) burst.times.shift();
    if (burst.times.length === 0) burst.alerted = false;
    burst.times.push(now);
    bursts.set(subject, burst);
    if (bursts.size > settings.maxTracked) bursts.delete(bursts.keys().next().value as string);
    if (!burst.alerted && burst.times.length >= settings.failureBurst) {
      burst.alerted = true;
      alert({
        detector: 'failure-burst',
        subject,
        instance: event.instance,
        requestId: event.requestId,
        count: burst.times.length,
        windowSeconds: settings.windowSeconds,
      });
    }
  };

  return {
    emit(event) {
      if (event.type === 'db.connect' && event.outcome === 'failure') {
        refusal(`source ${parseHostPort(event.source).host}`, event);
        if (event.principalArn !== undefined) refusal(`principal ${event.principalArn}`, event);
        if (event.code === 'GH_IAM_TOKEN_KEY_INACTIVE' && event.accessKeyId !== undefined) {
          alert({
            detector: 'inactive-key-use',
            subject: `access key ${event.accessKeyId}`,
            instance: event.instance,
            requestId: event.requestId,
          });
        }
      } else if (event.type === 'db.session.revoked') {
        alert({
          detector: 'session-revoked',
          subject: `principal ${event.principalArn}`,
          instance: event.instance,
          requestId: event.requestId,
        });
      }
    },
  };
}
