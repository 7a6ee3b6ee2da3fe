// 001: deployment metadata, instances, database users and their password verifiers, access keys.
import type { Migration } from './types.js';

export const m001Init: Migration = {
  version: 1,
  name: 'init',
  sql: `
CREATE TABLE gh_meta (
  key   text PRIMARY KEY,
  value jsonb NOT NULL
);

CREATE TABLE gh_instances (
  id                  bigserial PRIMARY KEY,
  identifier          text NOT NULL UNIQUE,
  engine              text NOT NULL,
  dbi_resource_id     text NOT NULL UNIQUE,
  backend_url         text NOT NULL,          -- admin URL without its password
  backend_password    bytea,                  -- sealed under the master key
  listen_host         text NOT NULL,
  listen_port         integer NOT NULL,
  force_ssl           boolean NOT NULL DEFAULT false,
  iam_auth            boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (listen_host, listen_port)
);

CREATE TABLE gh_db_users (
  id              bigserial PRIMARY KEY,
  instance_id     bigint NOT NULL REFERENCES gh_instances(id) ON DELETE CASCADE,
  username        text NOT NULL,
  auth            text NOT NULL,
  backend_secret  bytea NOT NULL,             -- sealed random password Gatehouse uses to log in to the backend
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (instance_id, username)
);

-- Client-facing SCRAM verifiers. The current one has valid_until NULL; a rotated-out one keeps working
-- until valid_until (the grace period). All verifiers of a user share salt and iterations (see docs/auth.md).
CREATE TABLE gh_db_user_passwords (
  id           bigserial PRIMARY KEY,
  db_user_id   bigint NOT NULL REFERENCES gh_db_users(id) ON DELETE CASCADE,
  verifier     text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  valid_until  timestamptz
);
CREATE INDEX gh_db_user_passwords_user ON gh_db_user_passwords (db_user_id);

CREATE TABLE gh_access_keys (
  access_key_id      text PRIMARY KEY,
  principal_arn      text NOT NULL,
  secret             bytea NOT NULL,          -- sealed under the master key
  status             text NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Inactive')),
  created_at         timestamptz NOT NULL DEFAULT now(),
  last_used_at       timestamptz,
  last_used_service  text
);
`,
};
