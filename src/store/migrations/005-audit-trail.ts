// 005: the durable audit trail: one hash chain in one total order for every node, signed digests, retention.
import type { Migration } from './types.js';

export const m005AuditTrail: Migration = {
  version: 5,
  name: 'audit-trail',
  sql: `
-- The head of the chain: the last event's sequence number and hash, and the partition (period) it is in. A
-- writer takes this row FOR UPDATE, so the events of every node form one sequence: seq n+1 carries the hash of
-- seq n (src/core/audit-chain.ts, docs/audit.md).
CREATE TABLE gh_audit_head (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq     bigint NOT NULL,
  hash    bytea NOT NULL,
  period  text NOT NULL
);
INSERT INTO gh_audit_head (seq, hash, period) VALUES (0, '\\x${'00'.repeat(32)}', '');

-- One row per event. body is the event's canonical JSON, hashed as stored: hash = SHA-256(prev_hash || seq as
-- 8 bytes big-endian || period || 0x00 || body). The other columns are copies of body's fields for lookups (verify checks they
-- agree with body). Partitioned by period (the writer's UTC month or day, never going backwards), so a
-- partition is a contiguous range of seq and retention drops whole partitions, oldest first.
CREATE TABLE gh_audit_events (
  period         text NOT NULL,
  seq            bigint NOT NULL,
  event_id       uuid NOT NULL,
  event_time     timestamptz NOT NULL,
  event_name     text NOT NULL,
  request_id     text,
  principal      text,
  username       text,
  access_key_id  text,
  source_ip      text,
  resource       text,
  outcome        text,
  error_code     text,
  body           text NOT NULL,
  prev_hash      bytea NOT NULL,
  hash           bytea NOT NULL,
  PRIMARY KEY (period, seq)
) PARTITION BY LIST (period);
CREATE INDEX gh_audit_events_seq ON gh_audit_events (seq);
CREATE INDEX gh_audit_events_event_id ON gh_audit_events (event_id);
CREATE INDEX gh_audit_events_time ON gh_audit_events (event_time, seq);
CREATE INDEX gh_audit_events_request ON gh_audit_events (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX gh_audit_events_principal ON gh_audit_events (principal, seq) WHERE principal IS NOT NULL;
CREATE INDEX gh_audit_events_username ON gh_audit_events (username, seq) WHERE username IS NOT NULL;
CREATE INDEX gh_audit_events_key ON gh_audit_events (access_key_id, seq) WHERE access_key_id IS NOT NULL;
CREATE INDEX gh_audit_events_name ON gh_audit_events (event_name, seq);
CREATE INDEX gh_audit_events_source ON gh_audit_events (source_ip, seq) WHERE source_ip IS NOT NULL;
CREATE INDEX gh_audit_events_resource ON gh_audit_events (resource, seq) WHERE resource IS NOT NULL;

-- Signed digests, CloudTrail's digest files: each covers the events after the previous one's (from_seq..to_seq,
-- possibly none), names the last event hash, the partitions that start in its range (their first seq and that
-- seq's prev_hash, so verification can start at any partition after older ones were dropped) and the previous
-- digest's signature; body is that canonical JSON and signature its Ed25519 signature, by a key kept outside
-- the store (key_id: the first 16 hex digits of SHA-256 over the public key's DER).
CREATE TABLE gh_audit_digests (
  digest_seq   bigint PRIMARY KEY,
  created_at   timestamptz NOT NULL,
  from_seq     bigint NOT NULL,
  to_seq       bigint NOT NULL,
  key_id       text NOT NULL,
  body         text NOT NULL,
  signature    bytea NOT NULL
);

-- Where each partition's events begin (written by the writer that opens the period, under the head lock): the
-- digests name these, so verification can start at a partition once older ones are dropped.
CREATE TABLE gh_audit_partitions (
  period     text PRIMARY KEY,
  first_seq  bigint NOT NULL,
  prev_hash  bytea NOT NULL
);

-- Partitions dropped by retention: what they held. The next digest signs each drop (digest_seq), and verification
-- accepts a missing beginning of the chain only when signed drops account for all of it.
CREATE TABLE gh_audit_dropped (
  period      text PRIMARY KEY,
  first_seq   bigint NOT NULL,
  last_seq    bigint NOT NULL,
  dropped_at  timestamptz NOT NULL,
  digest_seq  bigint
);

-- Per instance: refuse a login whose "allowed" event cannot be committed (the default), or admit it anyway and
-- keep retrying the write.
ALTER TABLE gh_instances ADD COLUMN audit_fail_open boolean NOT NULL DEFAULT false;
`,
};
