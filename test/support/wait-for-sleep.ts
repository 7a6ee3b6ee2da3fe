// Waits until a backend session of `applicationName` is running a pg_sleep (no fixed sleeps in cancel tests). Through
// Gatehouse the backend's application_name is the client's with ` [gh:REQUEST_ID]` appended (identity propagation).
import type pg from 'pg';
import { waitFor } from './eventually.js';

export async function waitForSleep(admin: pg.Client, applicationName: string): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await admin.query<{ n: number }>(
        `select count(*)::int AS n from pg_stat_activity
          where starts_with(application_name, $1 || ' [gh:') and state = 'active' and query like '%pg_sleep%'`,
        [applicationName],
      );
      return (rows[0]?.n ?? 0) > 0;
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `a pg_sleep running for ${applicationName}` },
  );
}
