// Creates the database an instance fronts (RDS's DBName) through the admin connection, once.
import pg from 'pg';
import type { AdminConnection } from './roles.js';

/**
 * CREATE DATABASE unless it exists. Another session (a second node, a concurrent CreateDBInstance) may create it
 * between the check and the CREATE: duplicate_database (42P04), or unique_violation (23505) on pg_database when
 * both inserts race, both mean it exists now.
 */
export async function ensureDatabase(admin: AdminConnection, name: string): Promise<'created' | 'exists'> {
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount !== 0) return 'exists';
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return 'created';
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw e;
    return 'exists';
  }
}
