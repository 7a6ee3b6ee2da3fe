// The backstop behind the marker decoder: a page query after a marker that fails casting a key part refuses the
// marker (GH_IAM_INVALID_MARKER) instead of surfacing PostgreSQL's error as HTTP 500.
import { describe, expect, it } from 'vitest';
import { isGatehouseError } from '../../../src/core/errors.js';
import { refuseBadMarker } from '../../../src/store/iam-keyset.js';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

async function outcome(after: string[] | null, e: unknown): Promise<unknown> {
  return Promise.reject(e)
    .catch(refuseBadMarker({ after, limit: 10 }))
    .then(
      () => 'resolved',
      (x: unknown) => x,
    );
}

describe('refuseBadMarker', () => {
  it('maps cast failures (22003, 22008, 22021) of a query after a marker to GH_IAM_INVALID_MARKER', async () => {
    for (const code of ['22003', '22008', '22021']) {
      const e = await outcome(['x'], pgError(code));
      expect(isGatehouseError(e) && e.code, code).toBe('GH_IAM_INVALID_MARKER');
    }
  });

  it('rethrows anything else unchanged, and everything when no marker was given', async () => {
    const other = pgError('57014');
    expect(await outcome(['x'], other)).toBe(other);
    const plain = new Error('boom');
    expect(await outcome(['x'], plain)).toBe(plain);
    const noMarker = pgError('22003');
    expect(await outcome(null, noMarker)).toBe(noMarker);
  });
});
