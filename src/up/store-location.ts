// Where `gatehouse up` keeps its store: the embedded PostgreSQL's port (remembered in <data-dir>/up.json), its
// password (<data-dir>/pgdata.password) and the store database, so tools that read the store directly
// (`gatehouse audit verify`) find it from the data directory alone.

import { join } from 'node:path';
import { readOptional } from '../core/data-dir.js';
import { EMBEDDED_HOST, EMBEDDED_PASSWORD_FILE, EMBEDDED_USER } from '../store/embedded.js';

/** `{ "storePort": N }`: the embedded PostgreSQL's port, reused by the next `up`. */
export const UP_STATE_FILE = 'up.json';
/** The database of the embedded cluster that holds the Gatehouse store. */
export const UP_STORE_DATABASE = 'gatehouse';

/** The store URL of the `up` data directory `dataDir`, or null when `up` never ran there. */
export function upStoreUrl(dataDir: string): string | null {
  const state = readOptional(join(dataDir, UP_STATE_FILE));
  const password = readOptional(join(dataDir, EMBEDDED_PASSWORD_FILE))?.trim();
  if (state === null || !password) return null;
  let port: unknown;
  try {
    port = (JSON.parse(state) as { storePort?: unknown }).storePort;
  } catch {
    return null;
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) return null;
  return `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@${EMBEDDED_HOST}:${port}/${UP_STORE_DATABASE}`;
}
