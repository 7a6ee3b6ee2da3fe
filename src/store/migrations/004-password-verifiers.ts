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

-- The old column stays, no longer written, so that nodes of the previous version keep logging in the passwords
-- they know during a rolling upgrade (a password set or rotated by a new node has no value there: old nodes
-- refuse it, they never accept a wrong one). A later migration drops it.
ALTER TABLE gh_db_user_passwords ALTER COLUMN verifier DROP NOT NULL;

-- And the other direction: a password a previous-version node sets or rotates (it writes only the old column)
-- reaches upgraded nodes as its SCRAM-SHA-256 verifier.
CREATE FUNCTION gh_db_user_passwords_legacy_verifier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO gh_db_user_password_verifiers (password_id, mechanism, verifier)
  VALUES (NEW.id, 'SCRAM-SHA-256', NEW.verifier)
  ON CONFLICT (password_id, mechanism) DO UPDATE SET verifier = EXCLUDED.verifier, sealed_verifier = NULL;
  RETURN NEW;
END
$$;
CREATE TRIGGER gh_db_user_passwords_legacy_verifier
  AFTER INSERT OR UPDATE OF verifier ON gh_db_user_passwords
  FOR EACH ROW WHEN (NEW.verifier IS NOT NULL)
  EXECUTE FUNCTION gh_db_user_passwords_legacy_verifier();
`,
};
