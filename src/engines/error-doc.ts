// Renders docs/errors.md from the engine-neutral error registry and the engines' wire tables
// (`npm run docs:errors`); test/unit/core/errors-doc.test.ts keeps the file in step. It lives here, not in
// src/core, because core must not import the engines.
import { ERRORS, type ErrorCode } from '../core/errors.js';
import { type PgWireError, pgWire } from './postgres/error-wire.js';

function cell(s: string): string {
  return s.replaceAll('|', '\\|');
}

export function renderErrorsDoc(): string {
  const rows = (Object.keys(ERRORS) as ErrorCode[]).map((code) => {
    const e = ERRORS[code];
    const pg: PgWireError = pgWire[code];
    const message = pg.message ? `${e.message} (PostgreSQL clients read: ${pg.message})` : e.message;
    return `| \`${code}\` | ${pg.sqlstate} | ${e.http} ${e.awsCode} | ${cell(message)} | ${cell(e.description)} |`;
  });
  return [
    '# Error codes',
    '',
    '<!-- Generated from src/core/errors.ts and src/engines/postgres/error-wire.ts by `npm run docs:errors`; test/unit/core/errors-doc.test.ts fails when this file is stale. -->',
    '',
    'Every refusal Gatehouse produces carries one of these stable codes. Database clients receive the',
    "client message, which ends with `(request id <id>)`, under their engine's error code: PostgreSQL",
    'clients get the SQLSTATE shown (the PostgreSQL engine maps each code to one). The operator log line and',
    'audit event carry the same request id, the code and the full reason (the "operator detail"), so a',
    'user can quote the id and an operator can find exactly what happened. Client messages never say',
    'whether a user exists or which part of a credential was wrong.',
    '',
    'The management API answers with the HTTP status and AWS-style error code shown, in a JSON body',
    '`{"Error": {"Code", "GatehouseCode", "Message", "RequestId"}}`.',
    '',
    '`{name}` in a message is filled in per request, with control characters escaped (`\\n`, `\\xNN`, `\\uNNNN`) and',
    'cut to 256 characters (2048 for `{reason}` and ARNs) with `…`, so nothing a client sends becomes a line or a',
    'field of its own (docs/decisions.md, entry 36).',
    '',
    '| Code | SQLSTATE (PostgreSQL engine) | HTTP / API code | Client message | Meaning for operators |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
