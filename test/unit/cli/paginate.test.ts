// AWS CLI pagination (paginate.ts) against an in-memory paged list: --max-items / --starting-token walk every
// item exactly once, in order, whatever the page size; --no-paginate is the server's first page as it came.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  collectPages,
  decodeStartingToken,
  encodeStartingToken,
  type Pager,
  type PaginationOptions,
} from '../../../src/cli/paginate.js';
import { GatehouseError } from '../../../src/core/errors.js';

/** An IAM-style list: Marker/IsTruncated, `size` items a page, a marker that is the next item's index. */
function iamList(items: readonly string[], size: number, calls: Array<string | undefined> = []): Pager {
  return {
    tokenKey: 'Marker',
    resultKeys: ['Users'],
    pagingKeys: ['IsTruncated', 'Marker'],
    next: (page) => (page['IsTruncated'] ? (page['Marker'] as string) : undefined),
    fetch: async (marker) => {
      calls.push(marker);
      const from = marker === undefined ? 0 : Number(marker);
      const end = from + size;
      return {
        Users: items.slice(from, end),
        IsTruncated: end < items.length,
        ...(end < items.length ? { Marker: String(end) } : {}),
        Account: 'kept from the first page',
      };
    },
  };
}

async function walk(pager: Pager, maxItems: number): Promise<{ printed: string[][]; tokens: number }> {
  const printed: string[][] = [];
  let token: string | undefined;
  let tokens = 0;
  for (;;) {
    const o: PaginationOptions = { paginate: true, maxItems, startingToken: token };
    const r = await collectPages(pager, o);
    printed.push(r['Users'] as string[]);
    if (r['NextToken'] === undefined) return { printed, tokens };
    token = r['NextToken'] as string;
    tokens++;
  }
}

describe('collectPages', () => {
  it('merges every page and drops IsTruncated/Marker, keeping the first page’s other members', async () => {
    const items = ['a', 'b', 'c', 'd', 'e'];
    const calls: Array<string | undefined> = [];
    const r = await collectPages(iamList(items, 2, calls), { paginate: true });
    expect(r).toEqual({ Users: items, Account: 'kept from the first page' });
    expect(calls).toEqual([undefined, '2', '4']);
  });

  it('--max-items and --starting-token print every item exactly once, in order, for any page size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 9 }),
        async (count, size, maxItems) => {
          const items = Array.from({ length: count }, (_, i) => `u${i}`);
          const { printed, tokens } = await walk(iamList(items, size), maxItems);
          expect(printed.flat()).toEqual(items);
          for (const chunk of printed) expect(chunk.length).toBeLessThanOrEqual(maxItems);
          // A NextToken exactly when items were left: every chunk but the last is full.
          expect(tokens).toBe(Math.max(0, Math.ceil(count / maxItems) - 1));
        },
      ),
    );
  });

  it('resuming inside a page skips what was printed (botocore’s boto_truncate_amount)', async () => {
    const items = ['a', 'b', 'c', 'd', 'e'];
    const first = await collectPages(iamList(items, 4), { paginate: true, maxItems: 3 });
    expect(first['Users']).toEqual(['a', 'b', 'c']);
    expect(decodeStartingToken('Marker', first['NextToken'] as string)).toEqual({
      token: undefined,
      skip: 3,
    });
    const calls: Array<string | undefined> = [];
    const rest = await collectPages(iamList(items, 4, calls), {
      paginate: true,
      startingToken: first['NextToken'] as string,
    });
    expect(rest).toEqual({ Users: ['d', 'e'], Account: 'kept from the first page' });
    expect(calls).toEqual([undefined, '4']);
  });

  it('tokens are base64 JSON in botocore’s shape', () => {
    const token = encodeStartingToken('Marker', { token: 'm1', skip: 2 });
    expect(JSON.parse(Buffer.from(token, 'base64').toString())).toEqual({
      Marker: 'm1',
      boto_truncate_amount: 2,
    });
    // One written by the AWS CLI (Python's json.dumps spacing) is read as well.
    const aws = Buffer.from('{"Marker": null, "boto_truncate_amount": 1}').toString('base64');
    expect(decodeStartingToken('Marker', aws)).toEqual({ token: undefined, skip: 1 });
  });

  it('a starting token not printed by the CLI is GH_CLI_INVALID_PARAMETER, before any request', async () => {
    const calls: Array<string | undefined> = [];
    for (const bad of ['not base64 json', Buffer.from('{"NextToken":"x"}').toString('base64'), '']) {
      const e = await collectPages(iamList(['a'], 1, calls), { paginate: true, startingToken: bad }).catch(
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(GatehouseError);
      expect((e as GatehouseError).code).toBe('GH_CLI_INVALID_PARAMETER');
      expect((e as GatehouseError).message).toMatch(
        /^--starting-token: not a NextToken printed by this command/,
      );
    }
    expect(calls).toEqual([]);
  });

  it('--no-paginate returns the first page as answered, Marker and IsTruncated included', async () => {
    const calls: Array<string | undefined> = [];
    const r = await collectPages(iamList(['a', 'b', 'c'], 2, calls), { paginate: false });
    expect(r).toEqual({
      Users: ['a', 'b'],
      IsTruncated: true,
      Marker: '2',
      Account: 'kept from the first page',
    });
    expect(calls).toEqual([undefined]);
  });

  it('--no-paginate with --max-items or --starting-token is refused, naming them', async () => {
    const e = await collectPages(iamList(['a'], 1), {
      paginate: false,
      maxItems: 1,
      startingToken: 'x',
    }).catch((x: unknown) => x);
    expect((e as GatehouseError).code).toBe('GH_CLI_INVALID_PARAMETER');
    expect((e as GatehouseError).message).toBe(
      '--no-paginate: cannot be combined with pagination arguments: --max-items, --starting-token',
    );
  });

  it('a server repeating its marker ends the walk instead of looping', async () => {
    let calls = 0;
    const r = await collectPages(
      {
        tokenKey: 'Marker',
        resultKeys: ['Users'],
        pagingKeys: ['IsTruncated', 'Marker'],
        next: () => 'same',
        fetch: async () => {
          calls++;
          return { Users: ['x'], IsTruncated: true, Marker: 'same' };
        },
      },
      { paginate: true },
    );
    expect(calls).toBe(2);
    expect(r).toEqual({ Users: ['x', 'x'] });
  });

  it('several result keys are merged; --max-items counts the first', async () => {
    const pages: Record<string, Record<string, unknown>> = {
      start: { PolicyUsers: ['u1', 'u2'], PolicyRoles: ['r1'], IsTruncated: true, Marker: 'p2' },
      p2: { PolicyUsers: ['u3'], PolicyRoles: ['r2'], IsTruncated: false },
    };
    const pager: Pager = {
      tokenKey: 'Marker',
      resultKeys: ['PolicyUsers', 'PolicyRoles'],
      pagingKeys: ['IsTruncated', 'Marker'],
      next: (p) => (p['IsTruncated'] ? (p['Marker'] as string) : undefined),
      fetch: async (m) => pages[m ?? 'start'] as Record<string, unknown>,
    };
    expect(await collectPages(pager, { paginate: true })).toEqual({
      PolicyUsers: ['u1', 'u2', 'u3'],
      PolicyRoles: ['r1', 'r2'],
    });
    const first = await collectPages(pager, { paginate: true, maxItems: 2 });
    expect(first).toMatchObject({ PolicyUsers: ['u1', 'u2'], PolicyRoles: ['r1'] });
    const rest = await collectPages(pager, { paginate: true, startingToken: first['NextToken'] as string });
    expect(rest).toEqual({ PolicyUsers: ['u3'], PolicyRoles: ['r2'] });
  });
});
