// The connection limits `up` runs with: read from its embedded PostgreSQL, the gateway's own derived from them.
import { withClient } from './demo.js';

/**
 * Backend connection slots kept out of the demo sessions' reach: superuser_reserved_connections (3), the
 * store's pool (10) and its LISTEN connection, provisioning, and a few psql sessions opened by hand.
 */
export const UP_BACKEND_HEADROOM = 50;

export interface UpLimits {
  /** What the embedded PostgreSQL reports (SHOW max_connections / shared_buffers). */
  readonly maxConnections: number;
  readonly sharedBuffers: string;
  /** listener.maxSessionsPerInstance for `up`: below max_connections, so the gateway answers first. */
  readonly sessionsPerInstance: number;
}

export async function readUpLimits(adminUrl: string): Promise<UpLimits> {
  const { maxConnections, sharedBuffers } = await withClient(adminUrl, async (c) => {
    const { rows } = await c.query<{ max_connections: number; shared_buffers: string }>(
      `SELECT current_setting('max_connections')::int AS max_connections,
              current_setting('shared_buffers') AS shared_buffers`,
    );
    const row = rows[0] as { max_connections: number; shared_buffers: string };
    return { maxConnections: row.max_connections, sharedBuffers: row.shared_buffers };
  });
  return {
    maxConnections,
    sharedBuffers,
    sessionsPerInstance: Math.max(1, maxConnections - UP_BACKEND_HEADROOM),
  };
}
