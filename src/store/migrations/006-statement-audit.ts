// 006: per-instance statement events (docs/audit.md "Statement events"): which pgaudit classes, literals, digests.
import type { Migration } from './types.js';

export const m006StatementAudit: Migration = {
  version: 6,
  name: 'statement-audit',
  sql: `
-- audit_statements: pgaudit's class names (or ALL) whose statements become db.statement events; empty (the
-- default) turns them off. audit_statement_literals keeps literals in the recorded text (default: replaced by $n).
-- audit_result_digest adds the SHA-256 of the rows sent to the client to each event.
ALTER TABLE gh_instances
  ADD COLUMN audit_statements text[] NOT NULL DEFAULT '{}'
    CONSTRAINT gh_instances_audit_statements_known
    CHECK (audit_statements <@ ARRAY['READ', 'WRITE', 'FUNCTION', 'ROLE', 'DDL', 'MISC', 'ALL']::text[]),
  ADD COLUMN audit_statement_literals boolean NOT NULL DEFAULT false,
  ADD COLUMN audit_result_digest boolean NOT NULL DEFAULT false;
`,
};
