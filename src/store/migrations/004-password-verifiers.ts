// 004: a password's client-facing verifiers become a set keyed by mechanism (SCRAM-SHA-256, MySQL's, ...).
import type { Migration } from './types.js';

export const m004PasswordVerifiers: Migration = {
  version: 4,
  name: 'password-verifiers',
  sql: `
-- A row of gh_db_user_passwords is one password: the current one has valid_until NULL, a rotated-out one keeps
-- working until valid_until. Its verifiers, one per mechanism, move to a child table: mechanisms other than
-- SCRAM cannot be derived from a SCRAM verifier, so each is computed when the password is set or rotated, for
-- the mechanisms of the instance's engine (src/auth/password-mechanisms.ts, docs/decisions.md).
-- verifier: kept in clear, as the backend keeps it (SCRAM-SHA-256: salted and iterated, PostgreSQL's format).
-- sealed_verifier: sealed under the master key, bound to instance, user and mechanism (unsalted fast hashes:
-- mysql_native_password, caching_sha2_password).
CREATE TABLE gh_db_user_password_verifiers (
  password_id      bigint NOT NULL REFERENCES gh_db_user_passwords(id) ON DELETE CASCADE,
  mechanism        text NOT NULL,
  verifier         text,
  sealed_verifier  bytea,
  PRIMARY KEY (password_id, mechanism),
  CONSTRAINT gh_db_user_password_verifiers_one_form CHECK ((verifier IS NULL) <> (sealed_verifier IS NULL))
);

-- Every verifier stored so far is a SCRAM-SHA-256 verifier: it moves unchanged.
INSERT INTO gh_db_user_password_verifiers (password_id, mechanism, verifier)
  SELECT id, 'SCRAM-SHA-256', verifier FROM gh_db_user_passwords;

ALTER TABLE gh_db_user_passwords DROP COLUMN verifier;
`,
};
