// Detectors that need history: a subject's first admitted login from a network it never logged in from (its
// past read from the audit trail, then remembered), and logins outside configured hours. Like the others
// (detectors.ts) they read the pipeline's events and raise `alert` events into the same trail; the clock and the
// history lookup are injected.
import { isIPv4, isIPv6 } from 'node:net';
import type { AlertEvent, AuditSink, ConnectAttemptEvent } from './audit.js';
import type { Clock } from './clock.js';
import { parseHostPort } from './host-port.js';

/** Whom a login is about: the IAM principal, else the database user of that instance. */
export interface LoginSubject {
  readonly principalArn?: string;
  readonly instance: string;
  readonly dbUser: string;
}

/** Days and hours logins are expected in: `days` 0 (Sunday) .. 6, minutes since midnight, at a fixed UTC offset. */
export interface LoginHours {
  readonly days: readonly number[];
  readonly fromMinute: number;
  /** Exclusive; may be less than fromMinute for a window across midnight (e.g. 22:00–06:00). */
  readonly toMinute: number;
  readonly utcOffsetMinutes: number;
}

export interface HistoryDetectorOptions {
  readonly clock: Clock;
  raise(alert: AlertEvent): void;
  /**
   * The source addresses of the subject's earlier admitted logins (excluding the request given), from the trail;
   * null when they cannot be read now (the store is away): then nothing is raised for that login.
   */
  knownSources(subject: LoginSubject, excludeRequestId: string): Promise<readonly string[] | null>;
  /** Raise `new-network` (default true). */
  readonly newNetwork?: boolean;
  readonly hours?: LoginHours;
  /** Subjects whose networks are remembered at once (least recently seen forgotten first). */
  readonly maxTracked?: number;
  /** Told when a lookup fails or is skipped (for the log). */
  onError?(error: unknown): void;
}

/** The network of an address: the /24 of an IPv4 address, the /48 of an IPv6 one; IPv4-mapped IPv6 as IPv4. */
export function networkOf(address: string): string {
  const ip = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (isIPv4(ip)) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(ip)) {
    const [head = '', tail = ''] = ip.split('::');
    const left = head === '' ? [] : head.split(':');
    const right = tail === '' ? [] : tail.split(':');
    const groups = ip.includes('::')
      ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
      : left;
    return `${groups
      .slice(0, 3)
      .map((g) => Number.parseInt(g, 16).toString(16))
      .join(':')}::/48`;
  }
  return address;
}

/** Whether `at` falls inside the configured hours. */
export function insideHours(at: Date, hours: LoginHours): boolean {
  const local = new Date(at.getTime() + hours.utcOffsetMinutes * 60_000);
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  const day = local.getUTCDay();
  if (hours.fromMinute <= hours.toMinute) {
    return hours.days.includes(day) && minute >= hours.fromMinute && minute < hours.toMinute;
  }
  // Across midnight: the part after midnight belongs to the previous day's window.
  if (minute >= hours.fromMinute) return hours.days.includes(day);
  if (minute < hours.toMinute) return hours.days.includes((day + 6) % 7);
  return false;
}

const keyOf = (s: LoginSubject) =>
  s.principalArn !== undefined ? `principal ${s.principalArn}` : `database user ${s.instance}/${s.dbUser}`;

export function createHistoryDetectors(o: HistoryDetectorOptions): AuditSink {
  const maxTracked = o.maxTracked ?? 10_000;
  /** Subject -> networks seen; a pending load is shared by the logins that arrive meanwhile. */
  const known = new Map<string, Promise<Set<string> | null>>();

  const alert = (fields: Omit<AlertEvent, 'type' | 'at'>) =>
    o.raise({ type: 'alert', at: o.clock.now().toISOString(), ...fields });

  const networksOf = (subject: LoginSubject, requestId: string): Promise<Set<string> | null> => {
    const key = keyOf(subject);
    let entry = known.get(key);
    if (entry) {
      known.delete(key); // re-inserted last: least recently seen first
    } else {
      entry = o.knownSources(subject, requestId).then(
        (sources) => (sources === null ? null : new Set(sources.map(networkOf))),
        (e: unknown) => {
          o.onError?.(e);
          return null;
        },
      );
    }
    known.set(key, entry);
    if (known.size > maxTracked) known.delete(known.keys().next().value as string);
    return entry;
  };

  const admitted = async (event: ConnectAttemptEvent) => {
    const subject: LoginSubject = {
      instance: event.instance,
      dbUser: event.dbUser,
      ...(event.principalArn !== undefined ? { principalArn: event.principalArn } : {}),
    };
    if (o.hours && !insideHours(new Date(event.at), o.hours)) {
      alert({
        detector: 'outside-hours',
        subject: keyOf(subject),
        instance: event.instance,
        requestId: event.requestId,
      });
    }
    if (o.newNetwork === false) return;
    const networks = await networksOf(subject, event.requestId);
    if (networks === null) {
      known.delete(keyOf(subject)); // try the trail again next time
      return;
    }
    const network = networkOf(parseHostPort(event.source).host);
    // A subject's very first login has nothing to compare with: no alert, only a baseline.
    if (networks.size > 0 && !networks.has(network)) {
      alert({
        detector: 'new-network',
        subject: keyOf(subject),
        instance: event.instance,
        requestId: event.requestId,
        network,
      });
    }
    networks.add(network);
  };

  return {
    emit(event) {
      if (event.type === 'db.connect' && event.outcome === 'success') {
        admitted(event).catch((e: unknown) => o.onError?.(e));
      }
    },
  };
}
