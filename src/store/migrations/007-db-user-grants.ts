// 007: the `--grant`s a database user was created with (canonical text, e.g. select,insert:items), for views and revoke.
import type { Migration } from './types.js';

export const m007DbUserGrants: Migration = {
  version: 7,
  name: 'db-user-grants',
  sql: `
-- Applied as GRANTs on the backend when the user was created; revoked again when it is deleted.
ALTER TABLE gh_db_users ADD COLUMN grants text[] NOT NULL DEFAULT '{}';
`,
};
