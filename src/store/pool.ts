// Connection pool to the PostgreSQL state store: start-up reachability check, transactions, safe error text.
import pg from 'pg';
import { GatehouseError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/logger.js';

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
}

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

/** Opens a pool and proves it can connect; GH_STORE_UNAVAILABLE (with a password-free reason) if not. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const logger = options.logger ?? silentLogger;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: 'gatehouse',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    keepAlive: true,
  });
  // pg-pool re-emits errors of idle clients (backend restart, network drop) on the pool; without a
  // listener Node would treat them as uncaught and kill the gateway. The pool discards that client.
  pool.on('error', (err) => {
    logger.warn({ reason: describeStoreError(url, err) }, 'state store: idle connection failed');
  });

  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new GatehouseError('GH_STORE_UNAVAILABLE', { reason: describeStoreError(url, e) });
  }

  let closing: Promise<void> | undefined;
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
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw new GatehouseError('GH_STORE_UNAVAILABLE', { reason: describeStoreError(url, e) });
  }
  // A checked-out client has no pool listener: an 'error' event here would otherwise be uncaught.
  // The pending query rejects as well, so logging is all that is needed.
  const onError = (err: Error): void => {
    logger.warn(
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
