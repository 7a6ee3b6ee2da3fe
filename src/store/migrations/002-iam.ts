// 002: the IAM identity plane (users, groups, roles, tags, inline and managed policies, attachments) and STS sessions.
import type { Migration } from './types.js';

/**
 * AWS's own AdministratorAccess policy, with AWS's real policy id and creation date so documents and
 * ARNs copied from AWS line up. Seeded here (not at start) so every node sees the same row.
 */
const ADMIN_POLICY_DOCUMENT =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';

export const m002Iam: Migration = {
  version: 2,
  name: 'iam',
  sql: `
-- Names are unique ignoring case, as in AWS ("names are not distinguished by case").
CREATE TABLE gh_iam_users (
  user_id       text PRIMARY KEY,                -- AIDA…
  name          text NOT NULL,
  path          text NOT NULL DEFAULT '/',
  arn           text NOT NULL UNIQUE,
  boundary_arn  text,                            -- permissions boundary (a managed policy ARN)
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX gh_iam_users_name ON gh_iam_users (lower(name));

CREATE TABLE gh_iam_groups (
  group_id    text PRIMARY KEY,                  -- AGPA…
  name        text NOT NULL,
  path        text NOT NULL DEFAULT '/',
  arn         text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX gh_iam_groups_name ON gh_iam_groups (lower(name));

-- RESTRICT: the service refuses with DeleteConflict first; the keys are a safety net.
CREATE TABLE gh_iam_group_members (
  group_id  text NOT NULL REFERENCES gh_iam_groups(group_id) ON DELETE RESTRICT,
  user_id   text NOT NULL REFERENCES gh_iam_users(user_id) ON DELETE RESTRICT,
  added_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX gh_iam_group_members_user ON gh_iam_group_members (user_id);

CREATE TABLE gh_iam_roles (
  role_id               text PRIMARY KEY,        -- AROA…
  name                  text NOT NULL,
  path                  text NOT NULL DEFAULT '/',
  arn                   text NOT NULL UNIQUE,
  trust_policy          text NOT NULL,           -- the AssumeRolePolicyDocument as submitted
  description           text,
  max_session_duration  integer NOT NULL DEFAULT 3600 CHECK (max_session_duration BETWEEN 3600 AND 43200),
  boundary_arn          text,
  created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX gh_iam_roles_name ON gh_iam_roles (lower(name));

-- Tag keys are case-insensitive in IAM (a second "costcenter" updates "CostCenter"); values are not.
CREATE TABLE gh_iam_tags (
  principal_kind  text NOT NULL CHECK (principal_kind IN ('User', 'Role')),
  principal_id    text NOT NULL,
  key             text NOT NULL,
  value           text NOT NULL,
  position        bigserial
);
CREATE UNIQUE INDEX gh_iam_tags_key ON gh_iam_tags (principal_kind, principal_id, lower(key));

CREATE TABLE gh_iam_inline_policies (
  principal_kind  text NOT NULL CHECK (principal_kind IN ('User', 'Group', 'Role')),
  principal_id    text NOT NULL,
  name            text NOT NULL,
  document        text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal_kind, principal_id, name)
);

CREATE TABLE gh_iam_policies (
  policy_id        text PRIMARY KEY,             -- ANPA…
  name             text NOT NULL,
  path             text NOT NULL DEFAULT '/',
  arn              text NOT NULL UNIQUE,
  description      text,
  aws_managed      boolean NOT NULL DEFAULT false,
  default_version  text NOT NULL,
  next_version     integer NOT NULL DEFAULT 2,   -- version ids are never reused, as in AWS
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
-- Customer-managed names are unique ignoring case; AWS-managed ones live in their own namespace.
CREATE UNIQUE INDEX gh_iam_policies_name ON gh_iam_policies (lower(name)) WHERE NOT aws_managed;

CREATE TABLE gh_iam_policy_versions (
  policy_id   text NOT NULL REFERENCES gh_iam_policies(policy_id) ON DELETE CASCADE,
  version_id  text NOT NULL,                     -- v1, v2, …
  document    text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (policy_id, version_id)
);

CREATE TABLE gh_iam_attachments (
  principal_kind  text NOT NULL CHECK (principal_kind IN ('User', 'Group', 'Role')),
  principal_id    text NOT NULL,
  policy_arn      text NOT NULL REFERENCES gh_iam_policies(arn) ON DELETE RESTRICT,
  attached_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal_kind, principal_id, policy_arn)
);
CREATE INDEX gh_iam_attachments_policy ON gh_iam_attachments (policy_arn);

-- Temporary credentials from sts:AssumeRole. The session token is random and only its SHA-256 is kept.
CREATE TABLE gh_sts_sessions (
  access_key_id   text PRIMARY KEY,              -- ASIA…
  secret          bytea NOT NULL,                -- sealed, AAD access-key:<id>
  token_hash      bytea NOT NULL,
  role_arn        text NOT NULL,
  role_id         text NOT NULL,
  session_name    text NOT NULL,
  session_policy  text,                          -- the Policy parameter, further limiting the session
  source_arn      text NOT NULL,                 -- who assumed the role
  expires_at      timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gh_sts_sessions_expires ON gh_sts_sessions (expires_at);
CREATE INDEX gh_sts_sessions_role ON gh_sts_sessions (role_id);

-- Long-term keys belong to a user row (the bootstrap key gets one when its user is created).
ALTER TABLE gh_access_keys
  ADD COLUMN user_id text REFERENCES gh_iam_users(user_id) ON DELETE RESTRICT;
CREATE INDEX gh_access_keys_user ON gh_access_keys (user_id);

INSERT INTO gh_iam_policies (policy_id, name, path, arn, description, aws_managed, default_version, created_at, updated_at)
VALUES ('ANPAIWMBCKSKIEE64ZLYK', 'AdministratorAccess', '/', 'arn:aws:iam::aws:policy/AdministratorAccess',
        'Provides full access to AWS services and resources.', true, 'v1',
        '2015-02-06T18:39:46Z', '2015-02-06T18:39:46Z');
INSERT INTO gh_iam_policy_versions (policy_id, version_id, document, created_at)
VALUES ('ANPAIWMBCKSKIEE64ZLYK', 'v1', '${ADMIN_POLICY_DOCUMENT}', '2015-02-06T18:39:46Z');
`,
};
