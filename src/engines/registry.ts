// Engines by wire protocol, behind one narrow interface.
import type { PgListener } from './postgres/listener.js';
import type { PgInstance } from './postgres/types.js';

export interface EngineListener extends PgListener {}

export interface Engine {
  readonly protocol: 'postgres';
  listen(
    instance: PgInstance,
    address: { host: string; port: number; flag?: string },
  ): Promise<EngineListener>;
}
