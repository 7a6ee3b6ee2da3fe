// Waits until a backend session of `applicationName` is running a pg_sleep (no fixed sleeps in cancel tests).
import type pg from 'pg';

export async function waitForSleep(admin: pg.Client, applicationName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await admin.query<{ n: number }>(
      `select count(*)::int AS n from pg_stat_activity
        where application_name = $1 and state = 'active' and query like '%pg_sleep%'`,
      [applicationName],
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error(`no pg_sleep running for ${applicationName}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
