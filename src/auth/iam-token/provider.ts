// A password provider for connection pools (node-postgres `password: () => …`, mysql2): one cached token,
// renewed a safety margin before it expires, so new connections never present an expired token (the
// failure RDS users hit most).
import { type Clock, systemClock } from '../../core/clock.js';
import { AUTH_TOKEN_LIFETIME_SECONDS, type AuthTokenInput, generateAuthToken } from './generate.js';

export interface AuthTokenProviderOptions extends Omit<AuthTokenInput, 'signingDate'> {
  /** Renew this long before expiry (default 5 minutes; must leave time for the connection to complete). */
  readonly refreshMarginSeconds?: number;
  readonly clock?: Clock;
}

export function createAuthTokenProvider(options: AuthTokenProviderOptions): () => Promise<string> {
  const clock = options.clock ?? systemClock;
  const margin = options.refreshMarginSeconds ?? 300;
  if (!(margin >= 0 && margin < AUTH_TOKEN_LIFETIME_SECONDS)) {
    throw new RangeError(`refreshMarginSeconds must be from 0 to ${AUTH_TOKEN_LIFETIME_SECONDS - 1}`);
  }
  let cached: { token: Promise<string>; renewAt: number } | null = null;
  return () => {
    const now = clock.now();
    if (!cached || now.getTime() >= cached.renewAt) {
      const token = generateAuthToken({ ...options, signingDate: now });
      cached = { token, renewAt: now.getTime() + (AUTH_TOKEN_LIFETIME_SECONDS - margin) * 1000 };
      // A failed mint must not be cached: the next call tries again.
      token.catch(() => {
        if (cached?.token === token) cached = null;
      });
    }
    return cached.token;
  };
}
