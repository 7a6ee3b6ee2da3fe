// 003: IAM database authentication settings on instances (endpoint aliases, session termination) and 'iam' users.
import type { Migration } from './types.js';

export const m003IamDbAuth: Migration = {
  version: 3,
  name: 'iam-db-auth',
  sql: `
-- gh_instances.iam_auth (EnableIAMDatabaseAuthentication) exists since 001, off by default.
-- endpoint_aliases: further "host:port" names an auth token may be signed for (hosts stored lower-case).
-- iam_terminate_sessions: end open IAM sessions when the access that allowed them is revoked.
ALTER TABLE gh_instances
  ADD COLUMN endpoint_aliases       text[] NOT NULL DEFAULT '{}',
  ADD COLUMN iam_terminate_sessions boolean NOT NULL DEFAULT true;

-- A user logs in with a password (client SCRAM verifiers in gh_db_user_passwords) or with IAM auth tokens
-- (no verifiers). A later auth method drops and re-adds this constraint.
ALTER TABLE gh_db_users
  ADD CONSTRAINT gh_db_users_auth CHECK (auth IN ('password', 'iam'));
`,
};
