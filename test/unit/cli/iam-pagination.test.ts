// `gatehouse iam list-…` paging through the real CLI and AWS SDK against a Query API stub whose pages are small:
// --max-items / --starting-token across server pages, --no-paginate, --query on the merged result, and flags
// refused before anything is sent.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type QueryStub, runAgainstStub, startQueryStub } from './support/iam-query-stub.js';

let stub: QueryStub;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-iam-pages-'));
const caFile = join(dir, 'stub-ca.pem');
const cli = (args: string[]) => runAgainstStub(stub, args, { dataDir: dir, caFile });

beforeAll(async () => {
  stub = await startQueryStub();
  writeFileSync(caFile, stub.caPem);
});
afterAll(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => stub.reset());

const USER = (name: string) =>
  `<member><Path>/</Path><UserName>${name}</UserName><UserId>AIDA${name.toUpperCase()}</UserId>` +
  `<Arn>arn:aws:iam::123456789012:user/${name}</Arn><CreateDate>2025-01-02T03:04:05Z</CreateDate></member>`;

/** Three server pages of two users: a b | c d | e f, markers m1 and m2. */
function threePages(): void {
  stub.respond(
    'ListUsers',
    { result: `<Users>${USER('a')}${USER('b')}</Users><IsTruncated>true</IsTruncated><Marker>m1</Marker>` },
    { result: `<Users>${USER('c')}${USER('d')}</Users><IsTruncated>true</IsTruncated><Marker>m2</Marker>` },
    { result: `<Users>${USER('e')}${USER('f')}</Users><IsTruncated>false</IsTruncated>` },
  );
}

const names = (stdout: string) =>
  (JSON.parse(stdout) as { Users: Array<{ UserName: string }> }).Users.map((u) => u.UserName);

describe('gatehouse iam list-users paging', () => {
  it('--max-items stops inside a page and --starting-token resumes there, each user printed once', async () => {
    threePages();
    const first = await cli(['iam', 'list-users', '--max-items', '3']);
    expect(first.stderr).toBe('');
    expect(names(first.stdout)).toEqual(['a', 'b', 'c']);
    const token = JSON.parse(first.stdout).NextToken as string;
    expect(JSON.parse(Buffer.from(token, 'base64').toString())).toEqual({
      Marker: 'm1',
      boto_truncate_amount: 1,
    });
    expect(stub.requests.map((q) => q.params['Marker'])).toEqual([undefined, 'm1']);

    stub.reset();
    stub.respond(
      'ListUsers',
      { result: `<Users>${USER('c')}${USER('d')}</Users><IsTruncated>true</IsTruncated><Marker>m2</Marker>` },
      { result: `<Users>${USER('e')}${USER('f')}</Users><IsTruncated>false</IsTruncated>` },
    );
    const rest = await cli(['iam', 'list-users', '--starting-token', token]);
    expect(names(rest.stdout)).toEqual(['d', 'e', 'f']);
    expect(JSON.parse(rest.stdout).NextToken).toBeUndefined();
    expect(stub.requests.map((q) => q.params['Marker'])).toEqual(['m1', 'm2']);
  });

  it('--query applies to the merged result; text output of a list is one tab-separated line', async () => {
    threePages();
    const r = await cli(['iam', 'list-users', '--query', 'Users[].UserName', '--output', 'text']);
    expect(r).toMatchObject({ code: 0, stdout: 'a\tb\tc\td\te\tf\n', stderr: '' });
  });

  it('--no-paginate prints the first page with IsTruncated and Marker, as the server sent them', async () => {
    threePages();
    const r = await cli(['iam', 'list-users', '--no-paginate']);
    const out = JSON.parse(r.stdout);
    expect(out.Users.map((u: { UserName: string }) => u.UserName)).toEqual(['a', 'b']);
    expect(out).toMatchObject({ IsTruncated: true, Marker: 'm1' });
    expect(stub.requests).toHaveLength(1);
  });

  it('--no-paginate with --max-items, an invalid --query, a bad --starting-token: refused, nothing sent', async () => {
    threePages();
    const both = await cli(['--no-paginate', 'iam', 'list-users', '--max-items', '2']);
    expect(both.code).toBe(1);
    expect(both.stderr).toBe(
      'gatehouse: --no-paginate: cannot be combined with pagination arguments: --max-items [GH_CLI_INVALID_PARAMETER]\n',
    );
    const query = await cli(['iam', 'list-users', '--query', 'Users[?']);
    expect(query.code).toBe(1);
    expect(query.stderr).toMatch(
      /^gatehouse: invalid --query expression "Users\[\?": .+ \[GH_CLI_INVALID_QUERY\]\n$/,
    );
    const token = await cli(['iam', 'list-users', '--starting-token', 'garbage']);
    expect(token.code).toBe(1);
    expect(token.stderr).toContain('--starting-token: not a NextToken printed by this command');
    expect(stub.requests).toEqual([]);
  });

  it('--max-items must be a whole number from 1', async () => {
    const r = await cli(['iam', 'list-users', '--max-items', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "option '--max-items <n>' argument '0' is invalid. expected a whole number from 1",
    );
  });
});
