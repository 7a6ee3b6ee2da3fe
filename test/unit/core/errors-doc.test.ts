// docs/errors.md must list exactly the registry's codes, as generated from it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, GatehouseError } from '../../../src/core/errors.js';
import { renderErrorsDoc } from '../../../src/core/errors-doc.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('error registry and docs/errors.md', () => {
  it('docs/errors.md is exactly what the registry renders (run `npm run docs:errors` after changing codes)', () => {
    expect(doc).toBe(renderErrorsDoc());
  });

  it('every registry code appears in the doc with its SQLSTATE, and the doc names no unknown code', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(doc).toContain(`| \`${code}\` | ${spec.sqlstate} |`);
    }
    const documented = [...doc.matchAll(/\| `(GH_[A-Z0-9_]+)` \|/g)].map((m) => m[1]);
    expect(new Set(documented)).toEqual(new Set(Object.keys(ERRORS)));
  });

  it('every SQLSTATE is five characters of the SQL standard alphabet', () => {
    for (const spec of Object.values(ERRORS)) expect(spec.sqlstate).toMatch(/^[0-9A-Z]{5}$/);
  });

  it('a client message carries the request id and never the operator detail', () => {
    const e = new GatehouseError(
      'GH_AUTH_FAILED',
      { user: 'alice' },
      { detail: 'wrong password: proof mismatch' },
    );
    e.requestId = 'abc123';
    expect(e.clientMessage()).toBe('password authentication failed for user "alice" (request id abc123)');
    expect(e.clientMessage()).not.toContain('proof');
  });
});
