// Cross-node change propagation: NOTIFY on every write, LISTEN on a dedicated connection, reconnect on loss.
import pg from 'pg';
import type { Logger } from '../core/logger.js';
import { describeStoreError, type Store } from './pool.js';

export const CHANGE_CHANNEL = 'gatehouse_changes';
export type ChangeTopic = 'instances' | 'db_users' | 'iam';

export interface ChangeFeed {
  close(): Promise<void>;
}

export async function notifyChange(store: Store, topic: ChangeTopic): Promise<void> {
  await store.pool.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, topic]);
}

export async function listenForChanges(
  storeUrl: string,
  logger: Logger,
  onChange: (topic: string) => void,
): Promise<ChangeFeed> {
  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: storeUrl, application_name: 'gatehouse-listen' });
    c.on('notification', (n) => onChange(n.payload ?? ''));
    c.on('error', (e) => {
      if (closed) {
        // An intentional close (shutdown) is not a lost connection: whatever the driver says now is noise.
        logger.debug({ reason: describeStoreError(storeUrl, e) }, 'change feed: error while closing');
        return;
      }
      // Expected in a store outage (logged once by the store's pool): the reason, not a stack.
      logger.warn({ reason: describeStoreError(storeUrl, e) }, 'change feed connection lost; reconnecting');
      c.end().catch(() => {});
      if (client === c) client = null;
      schedule();
    });
    await c.connect();
    await c.query(`LISTEN ${CHANGE_CHANNEL}`);
    if (closed) {
      // Closed while this reconnect was under way: nobody will end it later.
      await c.end().catch(() => {});
      return;
    }
    client = c;
    onChange('resync'); // anything missed while disconnected
  };
  const schedule = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch(() => schedule());
    }, 1000);
  };
  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
