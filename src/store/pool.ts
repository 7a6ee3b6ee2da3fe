// Connection pool to the PostgreSQL state store: start-up reachability check, transactions, safe error text,
// and the boundary where an unreachable store becomes GH_STORE_UNAVAILABLE (logged once per outage).
import pg from 'pg';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { guardConnect, guardQuery, type StoreBoundary } from './guard.js';
import { createOutageMonitor } from './outage.js';
import { isStoreUnreachable } from './unreachable.js';

export interface Store {
  readonly pool: pg.Pool;
  /** Ends every pooled connection; safe to call twice. */
  close(): Promise<void>;
  /** Runs `fn` inside BEGIN/COMMIT on one pooled client; ROLLBACK and rethrow when it throws. */
  withTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

export interface OpenStoreOptions {
  max?: number;
  logger?: Logger;
  /** How long one connection attempt may take before the store counts as unreachable. */
  connectTimeoutMs?: number;
  /**
   * How long one query may wait for the store's answer before the store counts as unreachable: a frozen store
   * or a cut network leaves the connection open and silent, and without this a login or API call waits forever.
   */
  queryTimeoutMs?: number;
  /** Times outages (for the "reachable again" log line). */
  clock?: Clock;
}

/**
 * The reason clients are given at run time (the message reads "cannot reach the state store: this is
 * temporary, …"): the store URL and driver text are operator detail, logged once per outage.
 */
const STORE_TEMPORARY_REASON = 'this is temporary, retry in a few seconds';

/**
 * The URL with its password removed, for logs and error text. Handles URLs (`postgres://u:p@h/db`) and
 * libpq keyword strings (`host=h password=p`); anything unparseable is replaced wholesale.
 */
export function redactStoreUrl(url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    try {
      const parsed = new URL(url);
      parsed.password = '';
      parsed.searchParams.delete('password');
      return parsed.toString();
    } catch {
      return '(unparseable store URL)';
    }
  }
  return url.replace(/password\s*=\s*('(?:[^'\\]|\\.)*'|\S*)/gi, 'password=');
}

function passwordOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    const p = parsed.password ? decodeURIComponent(parsed.password) : parsed.searchParams.get('password');
    return p || null;
  } catch {
    return /password\s*=\s*'?([^'\s]+)/i.exec(url)?.[1] ?? null;
  }
}

/** Error text safe to show: the URL's password never appears in it, even if a driver echoed it. */
export function describeStoreError(url: string, error: unknown): string {
  const raw = error instanceof Error ? error.message || error.name : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const message = typeof code === 'string' && !raw.includes(code) ? `${raw} (${code})` : raw;
  const password = passwordOf(url);
  const scrubbed = password ? message.split(password).join('***') : message;
  return `${redactStoreUrl(url)}: ${scrubbed}`;
}

/**
 * Opens a pool and proves it can connect; GH_STORE_UNAVAILABLE (with a password-free reason) if not. Later
 * failures that mean the store is unreachable reject with GH_STORE_UNAVAILABLE (client text: temporary, retry;
 * operator detail: the driver's reason), and the outage is logged once, not per attempt. The pool reconnects
 * by itself once the store answers again.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const logger = options.logger ?? silentLogger;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: 'gatehouse',
    // Both deadlines stay below listener.authTimeoutSeconds' default (10 s): a login waiting on a store that
    // does not answer is told 08006 GH_STORE_UNAVAILABLE before its own deadline cuts it without a word.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    query_timeout: options.queryTimeoutMs ?? 5_000,
    keepAlive: true,
  });
  // pg-pool re-emits errors of idle clients (backend restart, network drop) on the pool; without a
  // listener Node would treat them as uncaught and kill the gateway. The pool discards that client. Not a
  // warning by itself: the pool reconnects, and if the store is really gone the next query opens an outage.
  pool.on('error', (err) => {
    logger.debug({ reason: describeStoreError(url, err) }, 'state store: idle connection failed');
  });

  let closing: Promise<void> | undefined;
  const monitor = createOutageMonitor(logger, options.clock);
  const boundary: StoreBoundary = {
    convert(error, always = false) {
      if (error instanceof GatehouseError) return error;
      if (!always && !isStoreUnreachable(error)) return error;
      const detail = describeStoreError(url, error);
      if (!closing) monitor.failed(detail); // "pool ended" while shutting down is no outage
      return new GatehouseError(
        'GH_STORE_UNAVAILABLE',
        { reason: STORE_TEMPORARY_REASON },
        { detail, cause: error },
      );
    },
    succeeded: () => monitor.succeeded(),
  };
  const checkout = pool.connect.bind(pool);
  pool.on('connect', (client) => guardQuery(client, boundary));
  guardQuery(pool, boundary);
  guardConnect(pool, boundary);

  try {
    const client = await checkout();
    client.release();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new GatehouseError('GH_STORE_UNAVAILABLE', { reason: describeStoreError(url, e) });
  }

  return {
    pool,
    close() {
      closing ??= pool.end();
      return closing;
    },
    withTransaction: (fn) => withTransaction(pool, logger, url, fn),
  };
}

async function withTransaction<T>(
  pool: pg.Pool,
  logger: Logger,
  url: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect(); // guarded: a failed checkout is GH_STORE_UNAVAILABLE
  // A checked-out client has no pool listener: an 'error' event here would otherwise be uncaught.
  // The pending query rejects as well (and is reported through the store boundary), so debug is enough.
  const onError = (err: Error): void => {
    logger.debug(
      { reason: describeStoreError(url, err) },
      'state store: connection failed inside a transaction',
    );
  };
  client.on('error', onError);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // The connection is unusable: destroy it rather than return it to the pool.
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw e;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
