// Ordered, forward-only schema migrations for the state store. Never edit a released one: add a new one.
import { m001Init } from './001-init.js';
import { m002Iam } from './002-iam.js';
import { m003IamDbAuth } from './003-iam-db-auth.js';
import { m004PasswordVerifiers } from './004-password-verifiers.js';
import { m005AuditTrail } from './005-audit-trail.js';
import { m006StatementAudit } from './006-statement-audit.js';
import { m007DbUserGrants } from './007-db-user-grants.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

export const MIGRATIONS: readonly Migration[] = [
  m001Init,
  m002Iam,
  m003IamDbAuth,
  m004PasswordVerifiers,
  m005AuditTrail,
  m006StatementAudit,
  m007DbUserGrants,
];
