// docs/errors.md must list exactly the registry's codes, as generated from it and the PostgreSQL wire table.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode, GatehouseError } from '../../../src/core/errors.js';
import { renderErrorsDoc } from '../../../src/engines/error-doc.js';
import { sqlstateOf } from '../../../src/engines/postgres/error-wire.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('error registry and docs/errors.md', () => {
  it('docs/errors.md is exactly what the registry renders (run `npm run docs:errors` after changing codes)', () => {
    expect(doc).toBe(renderErrorsDoc());
  });

  it('every registry code appears in the doc with its PostgreSQL SQLSTATE, and the doc names no unknown code', () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      expect(doc).toContain(`| \`${code}\` | ${sqlstateOf(code)} |`);
    }
    const documented = [...doc.matchAll(/\| `(GH_[A-Z0-9_]+)` \|/g)].map((m) => m[1]);
    expect(new Set(documented)).toEqual(new Set(Object.keys(ERRORS)));
  });

  it("the SQLSTATE column says it is the PostgreSQL engine's mapping", () => {
    expect(doc).toContain('| Code | SQLSTATE (PostgreSQL engine) | HTTP / API code |');
  });

  it('a client message carries the request id and never the operator detail', () => {
    const e = new GatehouseError(
      'GH_AUTH_FAILED',
      { user: 'alice' },
      { detail: 'wrong password: proof mismatch', requestId: 'abc123' },
    );
    expect(e.clientMessage()).toBe('password authentication failed for user "alice" (request id abc123)');
    expect(e.clientMessage()).not.toContain('proof');
  });
});
