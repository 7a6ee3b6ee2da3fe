// What the backend session is told about who is connected: start-up settings (withIdentity) and the claim
// statement (claimSessionSql).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withIdentity, withoutGatehouseOptions } from '../../../src/engines/postgres/session.js';
import { claimSessionSql } from '../../../src/provisioning/postgres/session-identity.js';

const id = {
  requestId: '0123456789abcdef',
  method: 'iam',
  principal: 'arn:aws:iam::123456789012:user/alice',
};

describe('withIdentity', () => {
  it("appends the request id to the client's application_name and sets the gatehouse.* settings last", () => {
    const out = withIdentity(
      [
        ['application_name', 'psql'],
        ['DateStyle', 'ISO'],
      ],
      id,
    );
    expect(out).toEqual([
      ['DateStyle', 'ISO'],
      ['application_name', 'psql [gh:0123456789abcdef]'],
      ['gatehouse.request_id', '0123456789abcdef'],
      ['gatehouse.auth_method', 'iam'],
      ['gatehouse.principal', 'arn:aws:iam::123456789012:user/alice'],
    ]);
  });

  it("drops a client's own gatehouse.* settings (any case) and sets application_name when the client had none", () => {
    const out = withIdentity(
      [
        ['gatehouse.principal', 'forged'],
        ['GateHouse.Request_Id', 'forged'],
      ],
      { requestId: 'feedfacefeedface', method: 'scram-sha-256' },
    );
    expect(out).toEqual([
      ['application_name', '[gh:feedfacefeedface]'],
      ['gatehouse.request_id', 'feedfacefeedface'],
      ['gatehouse.auth_method', 'scram-sha-256'],
    ]);
  });

  it('keeps the suffix whole within 63 bytes, cutting the client part on a character boundary (generated)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 80 }).filter((s) => !s.includes('\uFFFD')),
        (app) => {
          const value = withIdentity([['application_name', app]], id).find(
            ([k]) => k === 'application_name',
          )?.[1];
          expect(value).toBeDefined();
          const v = value as string;
          expect(Buffer.byteLength(v)).toBeLessThanOrEqual(63);
          expect(v.endsWith('[gh:0123456789abcdef]')).toBe(true);
          expect(v).not.toContain('\uFFFD');
          const kept = v.slice(0, -'[gh:0123456789abcdef]'.length).replace(/ $/, '');
          expect(app.startsWith(kept)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('claimSessionSql', () => {
  it('quotes values so that quotes and backslashes stay data', () => {
    const sql = claimSessionSql({ requestId: "a'b\\c", method: 'iam', principal: "x'); DROP TABLE t; --" });
    expect(sql).toContain("E'x''); DROP TABLE t; --'");
    expect(sql).toContain("E'a''b\\\\c'");
    expect(claimSessionSql({ requestId: 'r', method: 'm' })).toMatch(
      /pg_backend_pid\(\)\)\), NULL, E'r', E'm'\)/,
    );
    // Non-ASCII as escapes: the statement is ASCII whatever the client's encoding.
    const sso = claimSessionSql({ requestId: 'r', method: 'oidc', principal: 'zoë@example.com 🦊' });
    expect(sso).toContain("E'zo\\u00eb@example.com \\U0001f98a'");
    expect(/^[\x20-\x7e]*$/.test(sso)).toBe(true);
  });
});

describe('withoutGatehouseOptions', () => {
  it('drops -c gatehouse.*, -cgatehouse.* and --gatehouse.* and keeps the rest, escapes included', () => {
    expect(withoutGatehouseOptions('-c gatehouse.principal=x -c search_path=a\\ b')).toBe(
      '-c search_path=a\\ b',
    );
    expect(withoutGatehouseOptions('-cGateHouse.principal=x --gatehouse.request_id=y -c geqo=off')).toBe(
      '-c geqo=off',
    );
    expect(withoutGatehouseOptions('-c gatehouse\\.principal=x')).toBe('');
    expect(withoutGatehouseOptions('')).toBe('');
  });
});
