// Turns per-operation store failures into one warn line when the store becomes unreachable and one info line,
// with the outage's duration and failed-operation count, when it answers again.
import { type Clock, systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';

export interface OutageMonitor {
  /** A store operation failed because the store is unreachable; `reason` is password-free. */
  failed(reason: string): void;
  /** A store operation succeeded. Cheap: called after every query. */
  succeeded(): void;
  /** True between the first failure of an outage and the next success. */
  readonly down: boolean;
}

interface Outage {
  readonly since: Date;
  readonly firstReason: string;
  failedAttempts: number;
}

export function createOutageMonitor(logger: Logger, clock: Clock = systemClock): OutageMonitor {
  let outage: Outage | null = null;
  return {
    failed(reason) {
      if (outage) {
        outage.failedAttempts++;
        logger.debug({ reason, failedAttempts: outage.failedAttempts }, 'state store still unreachable');
        return;
      }
      outage = { since: clock.now(), firstReason: reason, failedAttempts: 1 };
      logger.warn(
        { code: 'GH_STORE_UNAVAILABLE', reason },
        'state store unreachable: logins and management calls fail with GH_STORE_UNAVAILABLE (08006 / HTTP 503) until it answers again',
      );
    },
    succeeded() {
      if (!outage) return;
      const { since, firstReason, failedAttempts } = outage;
      outage = null;
      logger.info(
        {
          outageMs: Math.max(0, clock.now().getTime() - since.getTime()),
          failedAttempts,
          since: since.toISOString(),
          reason: firstReason,
        },
        'state store reachable again',
      );
    },
    get down() {
      return outage !== null;
    },
  };
}
