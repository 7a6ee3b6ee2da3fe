// Pre-authentication admission for one listener: a cap in total, a cap per source address, and a bounded
// number of refusals that negotiate TLS first so that the client can read why it was refused.
import { isIPv4, isIPv6 } from 'node:net';
import { GatehouseError } from '../../core/errors.js';
import type { EngineLimits } from './limits.js';

export type AdmissionLimits = Pick<
  EngineLimits,
  'maxPendingConnections' | 'maxPendingPerSource' | 'maxTlsRefusals'
>;

export type Admission =
  | { readonly kind: 'admit'; release(): void }
  | {
      readonly kind: 'refuse';
      readonly error: GatehouseError;
      /**
       * True: answer the SSLRequest, finish TLS and read the startup packet, then send the error (what
       * PostgreSQL does for "too many clients"); false: send the error at once, unencrypted.
       */
      readonly negotiate: boolean;
      release(): void;
    };

/**
 * One source may hold at most this fraction of the TLS refusal slots, so a single address flooding the
 * listener cannot make every other client's refusal unreadable too.
 */
const REFUSAL_SLOTS_PER_SOURCE_DIVISOR = 4;

interface SourceCount {
  pending: number;
  refusing: number;
}

export class PreAuthAdmission {
  private pending = 0;
  private refusing = 0;
  private readonly sources = new Map<string, SourceCount>();

  constructor(private readonly limits: AdmissionLimits) {}

  /** Current counts, for logs and tests. */
  get counts(): { pending: number; refusing: number; sources: number } {
    return { pending: this.pending, refusing: this.refusing, sources: this.sources.size };
  }

  admit(remoteAddress: string | undefined): Admission {
    const key = sourceKey(remoteAddress);
    const source = this.sources.get(key) ?? { pending: 0, refusing: 0 };
    this.sources.set(key, source);
    const { maxPendingConnections, maxPendingPerSource, maxTlsRefusals } = this.limits;
    // The per-source cap is checked first: it names the real cause when one address fills both.
    const error =
      source.pending >= maxPendingPerSource
        ? new GatehouseError('GH_TOO_MANY_CONNECTIONS_FROM_SOURCE', {
            source: key,
            limit: maxPendingPerSource,
          })
        : this.pending >= maxPendingConnections
          ? new GatehouseError('GH_TOO_MANY_CONNECTIONS')
          : null;
    if (error === null) {
      this.pending++;
      source.pending++;
      return {
        kind: 'admit',
        release: once(() => {
          this.pending--;
          source.pending--;
          this.forget(key, source);
        }),
      };
    }
    const perSource = Math.max(1, Math.ceil(maxTlsRefusals / REFUSAL_SLOTS_PER_SOURCE_DIVISOR));
    if (this.refusing >= maxTlsRefusals || source.refusing >= perSource) {
      return { kind: 'refuse', error, negotiate: false, release: once(() => this.forget(key, source)) };
    }
    this.refusing++;
    source.refusing++;
    return {
      kind: 'refuse',
      error,
      negotiate: true,
      release: once(() => {
        this.refusing--;
        source.refusing--;
        this.forget(key, source);
      }),
    };
  }

  private forget(key: string, source: SourceCount): void {
    if (source.pending === 0 && source.refusing === 0 && this.sources.get(key) === source) {
      this.sources.delete(key);
    }
  }
}

/** `fn` wrapped so that only its first call runs (a release may be reached from several paths). */
export function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) fn();
    done = true;
  };
}

/**
 * What counts as one source: the IPv4 address (IPv4-mapped IPv6 included), or the /64 of an IPv6 address,
 * since one IPv6 host usually holds a whole /64 and could otherwise pick a fresh address per connection.
 */
export function sourceKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(address)) return address;
  const bare = address.split('%')[0] ?? address; // drop a zone id (fe80::1%eth0)
  if (!isIPv6(bare)) return address;
  const prefix = ipv6Groups(bare)
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':');
  return `${prefix}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address ("::" expanded, a trailing dotted quad converted). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - front.length - back.length).fill('0');
  return [...front, ...zeros, ...back].map((g) => Number.parseInt(g, 16));
}
