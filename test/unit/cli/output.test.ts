import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/cli/api-client.js';
import { formatCliError, formatOutput } from '../../../src/cli/output.js';
import { GatehouseError } from '../../../src/core/errors.js';

const user = {
  DBInstanceIdentifier: 'demo',
  Username: 'app',
  Auth: 'password',
  CreateTime: '2025-01-01T00:00:00Z',
};

describe('json output', () => {
  it('is pretty-printed with two spaces and ends with a newline', () => {
    expect(formatOutput({ A: [1], B: { C: true } }, 'json', 'X')).toBe(
      '{\n  "A": [\n    1\n  ],\n  "B": {\n    "C": true\n  }\n}\n',
    );
  });
});

describe('text output', () => {
  it('prints each list item as one tab-separated line of its scalars sorted by key, prefixed by the list name', () => {
    const out = formatOutput({ DBUsers: [user, { ...user, Username: 'bob' }] }, 'text', 'ListDBUsers');
    expect(out).toBe(
      'DBUSERS\tpassword\t2025-01-01T00:00:00Z\tdemo\tapp\nDBUSERS\tpassword\t2025-01-01T00:00:00Z\tdemo\tbob\n',
    );
  });

  it('prints top-level scalars bare, nested objects on their own lines, booleans and null the AWS way', () => {
    const out = formatOutput(
      { Password: 'pw', DBUser: { Name: 'a', On: true, Gone: null, Inner: { X: 1 } } },
      'text',
      'T',
    );
    expect(out).toBe('pw\nDBUSER\tNone\ta\tTrue\nINNER\t1\n');
  });

  it('prints nothing for an empty list, and a named list of scalars one item a line (a bare one on one line)', () => {
    expect(formatOutput({ Items: [] }, 'text', 'T')).toBe('');
    expect(formatOutput({ Names: ['a', 'b'] }, 'text', 'T')).toBe('NAMES\ta\nNAMES\tb\n');
    expect(formatOutput(['a', 'b'], 'text', 'T')).toBe('a\tb\n');
  });
});

describe('table output', () => {
  const lines = (s: string) => s.trimEnd().split('\n');

  it('draws a titled box whose lines all have the same width', () => {
    const out = formatOutput({ DBUsers: [user, { ...user, Username: 'bob' }] }, 'table', 'ListDBUsers');
    const widths = new Set(lines(out).map((l) => l.length));
    expect(widths.size).toBe(1);
    expect(lines(out)[1]).toMatch(/^\|\s+ListDBUsers\s+\|$/);
    expect(out).toMatch(/\|\|\s+Auth\s+\|\s+CreateTime\s+\|\s+DBInstanceIdentifier\s+\|\s+Username\s+\|\|/);
    expect(out).toMatch(/\|\| {2}password\s+\| {2}2025-01-01T00:00:00Z\s+\| {2}demo\s+\| {2}bob\s+\|\|/);
  });

  it('nests an object inside its parent with one more border on each side', () => {
    const out = formatOutput(
      { DBInstance: { Id: 'demo', Endpoint: { Address: '127.0.0.1', Port: 5433 } } },
      'table',
      'T',
    );
    expect(out).toMatch(/^\|\|\s+DBInstance\s+\|\|$/m);
    expect(out).toMatch(/^\|\|\|\s+Endpoint\s+\|\|\|$/m);
    expect(out).toMatch(/^\|\|\| {2}127\.0\.0\.1\s+\| {2}5433\s+\|\|\|$/m);
    expect(new Set(lines(out).map((l) => l.length)).size).toBe(1);
  });

  it('draws a wide single record as key | value rows', () => {
    const wide = { Arn: 'a'.repeat(60), Url: 'u'.repeat(60) };
    const out = formatOutput({ Item: wide }, 'table', 'T');
    expect(out).toMatch(/^\|\| {2}Arn\s+\| {2}a{60}\s+\|\|$/m);
    expect(out).toMatch(/^\|\| {2}Url\s+\| {2}u{60}\s+\|\|$/m);
  });

  it('leaves a cell empty when a list item lacks that key', () => {
    const out = formatOutput({ L: [{ A: '1', B: '2' }, { A: '3' }] }, 'table', 'T');
    expect(out).toMatch(/^\|\| {2}3\s+\|\s+\|\|$/m);
  });
});

describe('error lines', () => {
  it('API errors print their message and Gatehouse code', () => {
    const e = new ApiError(
      404,
      'DBInstanceNotFound',
      'GH_INSTANCE_NOT_FOUND',
      'DB instance x not found (request id 1)',
      '1',
    );
    expect(formatCliError(e)).toBe(
      'gatehouse: DB instance x not found (request id 1) [GH_INSTANCE_NOT_FOUND]\n',
    );
  });

  it('local GatehouseErrors print their client message and code; other errors their message', () => {
    expect(formatCliError(new GatehouseError('GH_CLI_NOT_RUNNING', { endpoint: 'https://h:1' }))).toContain(
      'is `gatehouse up` (or serve) running? [GH_CLI_NOT_RUNNING]',
    );
    expect(formatCliError(new Error('boom'))).toBe('gatehouse: boom\n');
  });
});
