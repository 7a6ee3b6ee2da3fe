// A consistent, read-only view of the store: every query `fn` runs sees the same snapshot (REPEATABLE READ), so
// a reader that walks several tables (`gatehouse audit verify`: the events, the chain head and the digests)
// never sees one written after another while a gateway keeps appending.
import type pg from 'pg';

export async function withReadSnapshot<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch((r: unknown) => {
      broken = r instanceof Error ? r : new Error(String(r));
    });
    throw e;
  } finally {
    client.release(broken);
  }
}
