// Renders docs/errors.md from the error registry (`npm run docs:errors`); a test keeps the file in step.
import { ERRORS } from './errors.js';

function cell(s: string): string {
  return s.replaceAll('|', '\\|');
}

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERRORS).map(
    ([code, e]) =>
      `| \`${code}\` | ${e.sqlstate} | ${e.http} ${e.awsCode} | ${cell(e.message)} | ${cell(e.description)} |`,
  );
  return [
    '# Error codes',
    '',
    '<!-- Generated from src/core/errors.ts by `npm run docs:errors`; test/unit/core/errors-doc.test.ts fails when this file is stale. -->',
    '',
    'Every refusal Gatehouse produces carries one of these stable codes. PostgreSQL clients receive the',
    'SQLSTATE and the client message, which ends with `(request id <id>)`; the operator log line and',
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
    '| Code | SQLSTATE | HTTP / API code | Client message | Meaning for operators |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
