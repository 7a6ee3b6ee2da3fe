// The --grant grammar: canonical forms, schema-wide grants, quoting, and errors that say what the form is.
import { describe, expect, it } from 'vitest';
import { GrantSyntaxError, parseGrant, parseGrants } from '../../../src/provisioning/grants.js';

describe('parseGrant', () => {
  it('reads privileges and a table, in canonical order and lower case', () => {
    expect(parseGrant('select:items')).toEqual({
      privileges: ['select'],
      object: { kind: 'table', name: 'items' },
      text: 'select:items',
    });
    expect(parseGrant('INSERT,select:Items').text).toBe('select,insert:items');
    expect(parseGrant('select:sales.orders').object).toEqual({
      kind: 'table',
      schema: 'sales',
      name: 'orders',
    });
  });

  it('all:schema.NAME is every table of a schema; a quoted "schema" is a schema name instead', () => {
    expect(parseGrant('all:schema.public')).toEqual({
      privileges: 'all',
      object: { kind: 'schema', name: 'public' },
      text: 'all:schema.public',
    });
    expect(parseGrant('select:"schema".t').object).toEqual({ kind: 'table', schema: 'schema', name: 't' });
  });

  it('double-quoted names keep case, dots and doubled quotes', () => {
    const g = parseGrant('select:sales."Order ""x"".v1"');
    expect(g.object).toEqual({ kind: 'table', schema: 'sales', name: 'Order "x".v1' });
    expect(g.text).toBe('select:sales."Order ""x"".v1"');
  });

  it.each([
    ['items', /write PRIVILEGES:OBJECT/],
    ['selct:items', /unknown privilege "selct"/],
    ['select:', /is not a name/],
    ['select:it ems', /"it ems" .* is not a name/],
    ['select:a.b.c', /names 3 parts/],
    ['select:"unterminated', /unterminated quoted name/],
    ['select,all:items', /unknown privilege "all"/],
  ])('%s is refused with a message saying why', (text, why) => {
    expect(() => parseGrant(text)).toThrow(GrantSyntaxError);
    expect(() => parseGrant(text)).toThrow(why);
  });

  it('parseGrants deduplicates by canonical text and caps the count', () => {
    expect(parseGrants(['select:items', 'SELECT:items']).map((g) => g.text)).toEqual(['select:items']);
    expect(() => parseGrants(Array.from({ length: 33 }, (_, i) => `select:t${i}`))).toThrow(/at most 32/);
  });
});
