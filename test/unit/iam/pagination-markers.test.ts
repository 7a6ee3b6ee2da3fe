// Marker decoding refuses key parts the store could not cast (int beyond its SQL type, impossible times, control
// characters): such a marker is GH_IAM_INVALID_MARKER, never a PostgreSQL error answered as HTTP 500.
import { describe, expect, it } from 'vitest';
import { isGatehouseError } from '../../../src/core/errors.js';
import { decodeMarker, encodeMarker, type ListId } from '../../../src/iam/pagination.js';

const craft = (l: string, k: string[]) => Buffer.from(JSON.stringify({ v: 1, l, k })).toString('base64url');

function refusal(list: ListId, key: string[]): string | null {
  try {
    decodeMarker(list, craft(list, key));
    return null;
  } catch (e) {
    return isGatehouseError(e) ? e.code : `not a GatehouseError: ${String(e)}`;
  }
}

describe('decodeMarker: key parts the store can cast', () => {
  it('int parts (SQL ::int) stay within int4', () => {
    expect(refusal('policy-versions', ['2147483647'])).toBeNull();
    expect(refusal('policy-versions', ['0'])).toBeNull();
    for (const bad of [
      '2147483648',
      '9999999999',
      '99999999999',
      '999999999999999999',
      '-1',
      '1.5',
      '',
      ' 1',
    ])
      expect(refusal('policy-versions', [bad]), bad).toBe('GH_IAM_INVALID_MARKER');
    expect(refusal('policy-entities', ['99999999999', 'x'])).toBe('GH_IAM_INVALID_MARKER');
    expect(refusal('authorization-details', ['2147483648', 'x'])).toBe('GH_IAM_INVALID_MARKER');
    expect(refusal('authorization-details', ['3', 'x'])).toBeNull();
  });

  it('tag positions (SQL ::bigint, a bigserial) may exceed int4', () => {
    expect(refusal('tags', ['99999999999'])).toBeNull();
    expect(refusal('tags', ['1'.repeat(19)])).toBe('GH_IAM_INVALID_MARKER');
  });

  it('time parts are real instants written as the store writes them (UTC, microseconds)', () => {
    expect(refusal('access-keys', ['2024-02-29T23:59:59.999999Z', 'AKIA'])).toBeNull();
    expect(refusal('attached-policies', ['0001-01-01T00:00:00.000000Z', 'arn'])).toBeNull();
    for (const bad of [
      '2024-13-45T99:61:61.000000Z',
      '2023-02-29T00:00:00.000000Z',
      '2024-04-31T00:00:00.000000Z',
      '2024-01-01T24:00:00.000000Z',
      '2024-01-01T23:60:00.000000Z',
      '2024-01-01T23:59:60.000000Z',
      '0000-01-01T00:00:00.000000Z',
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T00:00:00.000000+01:00',
    ])
      expect(refusal('access-keys', [bad, 'AKIA']), bad).toBe('GH_IAM_INVALID_MARKER');
  });

  it('text parts hold no NUL nor any other control character', () => {
    expect(refusal('users', ['bob'])).toBeNull();
    expect(refusal('users', ['élodie+x@y.z'])).toBeNull();
    for (const bad of ['a\u0000b', '\u0001', 'a\nb', 'a\tb', '\u007f', 'x'.repeat(2049)])
      expect(refusal('users', [bad]), JSON.stringify(bad)).toBe('GH_IAM_INVALID_MARKER');
    expect(refusal('policies', ['p', 'arn\u0000'])).toBe('GH_IAM_INVALID_MARKER');
  });

  it('markers the encoder writes from real keys round-trip', () => {
    const cases: Array<[ListId, string[]]> = [
      ['access-keys', ['2025-06-30T12:34:56.123456Z', 'AKIAEXAMPLE']],
      ['policy-entities', ['2', 'lister-role']],
      ['tags', ['123456789012']],
      ['policies', ['administratoraccess', 'arn:aws:iam::aws:policy/AdministratorAccess']],
    ];
    for (const [list, key] of cases) expect(decodeMarker(list, encodeMarker(list, key))).toEqual(key);
  });
});
