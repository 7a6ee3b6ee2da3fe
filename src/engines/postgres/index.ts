// The PostgreSQL engine behind the narrow Engine interface.
import type { Engine } from '../registry.js';
import { CancelRegistry } from './cancel.js';
import { startPgListener } from './listener.js';
import type { PgEngineDeps } from './types.js';

export type { LoginDirectory, PgEngineDeps, PgInstance, PgLogin, TlsSettings } from './types.js';

export function createPgEngine(deps: PgEngineDeps): Engine {
  const cancels = new CancelRegistry();
  return {
    protocol: 'postgres',
    listen: (instance, address) => startPgListener(instance, address, deps, cancels),
  };
}
