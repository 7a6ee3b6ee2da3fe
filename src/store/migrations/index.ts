// Ordered, forward-only schema migrations for the state store. Never edit a released one: add a new one.
import { m001Init } from './001-init.js';
import { m002Iam } from './002-iam.js';
import { m003IamDbAuth } from './003-iam-db-auth.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [m001Init, m002Iam, m003IamDbAuth];
