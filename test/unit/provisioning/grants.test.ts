// The --grant grammar: canonical forms, schema-wide grants, quoting, and errors that say what the form is.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatGrant,
  type Grant,
  type GrantObject,
  GrantRefusedError,
  GrantSyntaxError,
  parseGrant,
  parseGrants,
  reservedSchemaReason,
  TABLE_PRIVILEGES,
} from '../../../src/provisioning/grants.js';

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

describe('the recorded text round-trips', () => {
  it('a table in a schema named "schema" is recorded with the schema quoted, and reads back as that table', () => {
    const g = parseGrant('select:"schema".orders');
    expect(g.object).toEqual({ kind: 'table', schema: 'schema', name: 'orders' });
    expect(g.text).toBe('select:"schema".orders');
    expect(parseGrant(g.text)).toEqual(g);
    // …and is not the same grant as every table of schema orders.
    expect(parseGrants(['select:"schema".orders', 'select:schema.orders']).map((x) => x.text)).toEqual([
      'select:"schema".orders',
      'select:schema.orders',
    ]);
  });

  // Names a schema may have without being reserved: odd characters, quotes, dots, upper case, `schema` itself.
  const name = fc
    .oneof(
      fc.constantFrom(
        'schema',
        'Schema',
        'SCHEMA',
        'all',
        'select',
        'a.b',
        'x"y',
        '"',
        '.',
        ' ',
        'É',
        'a$b',
        '_',
      ),
      fc.stringMatching(/^[a-z_][a-z0-9_$]{0,10}$/),
      fc.string({
        minLength: 1,
        maxLength: 12,
        unit: fc.constantFrom('a', 'Z', '"', '.', ':', ',', ' ', '$', 'é', '1'),
      }),
    )
    .filter((n) => Buffer.byteLength(n) <= 63 && reservedSchemaReason(n) === null);
  const privileges = fc.oneof(
    fc.constant('all' as const),
    fc
      .subarray([...TABLE_PRIVILEGES], { minLength: 1 })
      .map((ps) => TABLE_PRIVILEGES.filter((p) => ps.includes(p))),
  );
  const object: fc.Arbitrary<GrantObject> = fc.oneof(
    name.map((n) => ({ kind: 'schema' as const, name: n })),
    name.map((n) => ({ kind: 'table' as const, name: n })),
    fc.tuple(name, name).map(([s, n]) => ({ kind: 'table' as const, schema: s, name: n })),
  );

  it('parseGrant(formatGrant(g)) is g, for any privileges and names', () => {
    fc.assert(
      fc.property(privileges, object, (p, o) => {
        const text = formatGrant(p, o);
        const g: Grant = parseGrant(text);
        expect(g).toEqual({ privileges: p, object: o, text });
        expect(parseGrant(g.text).text).toBe(g.text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('reserved schemas', () => {
  it.each([
    'select:pg_catalog.pg_authid',
    'all:schema.pg_catalog',
    'select:information_schema.tables',
    'all:schema.information_schema',
    'select:pg_toast.pg_toast_1260',
    'all:schema.pg_toast',
    'select:pg_temp_3.t',
    'all:schema."pg_anything"',
    'all:schema.gatehouse',
    'update:gatehouse.session_identity',
    'select:"GATEHOUSE".x',
    'select:"Pg_Catalog".pg_authid',
  ])('%s is refused, saying the schema is reserved', (text) => {
    expect(() => parseGrant(text)).toThrow(GrantRefusedError);
    expect(() => parseGrant(text)).toThrow(/is reserved/);
    expect(() => parseGrants(['select:items', text])).toThrow(GrantSyntaxError);
  });

  it('a table merely named like a system catalog is a table on the search path (checked on the backend)', () => {
    expect(parseGrant('select:pg_authid').object).toEqual({ kind: 'table', name: 'pg_authid' });
    expect(parseGrant('select:public.pg_like').object).toEqual({
      kind: 'table',
      schema: 'public',
      name: 'pg_like',
    });
  });

  it('recorded grants are read back even when reserved (only to revoke them)', () => {
    expect(parseGrant('all:schema.gatehouse', { allowReserved: true }).object).toEqual({
      kind: 'schema',
      name: 'gatehouse',
    });
  });

  it('a name longer than 63 bytes or with NUL is refused', () => {
    expect(() => parseGrant(`select:${'a'.repeat(64)}`)).toThrow(/too long/);
    expect(() => parseGrant('select:"a\u0000b"')).toThrow(/contains NUL/);
  });
});
