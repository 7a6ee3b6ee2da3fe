// Gatehouse-minted IAM database tokens are byte-identical to what @aws-sdk/rds-signer and the AWS CLI mint.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Signer } from '@aws-sdk/rds-signer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateAuthToken } from '../../../src/auth/iam-token/generate.js';
import { createAuthTokenProvider } from '../../../src/auth/iam-token/provider.js';
import { runCli } from '../../../src/cli/program.js';
import { ManualClock } from '../../../src/core/clock.js';
import { requireBinary } from '../../support/require-binary.js';
import { testIo } from '../cli/support/cli-io.js';

const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const base = { hostname: 'localhost', port: 5433, username: 'app_user', region: 'us-east-1', credentials };
const at = new Date('2026-11-28T12:34:56Z');

afterEach(() => {
  vi.useRealTimers();
});

async function signerToken(o: typeof base & { credentials: { sessionToken?: string } & typeof credentials }) {
  vi.useFakeTimers({ now: at, toFake: ['Date'] });
  try {
    return await new Signer({ ...o }).getAuthToken();
  } finally {
    vi.useRealTimers();
  }
}

describe('generateAuthToken', () => {
  it('has the RDS shape: host:port/?Action=connect&DBUser=…, service rds-db, 900 s, signed host header', async () => {
    const token = await generateAuthToken({ ...base, signingDate: at });
    expect(token).toMatch(
      // The JS SDK orders X-Amz-Signature before X-Amz-SignedHeaders (botocore appends the signature last).
      /^localhost:5433\/\?Action=connect&DBUser=app_user&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261128%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20261128T123456Z&X-Amz-Expires=900&X-Amz-Signature=[0-9a-f]{64}&X-Amz-SignedHeaders=host$/,
    );
  });

  it('is byte-identical to @aws-sdk/rds-signer for the same inputs, with long-term and temporary credentials', async () => {
    expect(await generateAuthToken({ ...base, signingDate: at })).toBe(await signerToken(base));
    const temporary = { ...credentials, sessionToken: 'FwoGZXIvYXdzE+/=token with spaces' };
    const mine = await generateAuthToken({ ...base, credentials: temporary, signingDate: at });
    expect(mine).toContain('X-Amz-Security-Token=FwoGZXIvYXdzE%2B%2F%3Dtoken%20with%20spaces');
    expect(mine).toBe(await signerToken({ ...base, credentials: temporary }));
  });

  it('escapes user names as the SDK does (non-ASCII, reserved characters)', async () => {
    const o = { ...base, username: 'ünïcode user+x@corp/1' };
    expect(await generateAuthToken({ ...o, signingDate: at })).toBe(await signerToken(o));
  });

  it('carries exactly the parameters and signature of `aws rds generate-db-auth-token` (AWS CLI) for the same second', async () => {
    const aws = requireBinary('aws');
    if (!aws) return;
    const dir = await mkdtemp(join(tmpdir(), 'gh-awscli-'));
    try {
      const file = join(dir, 'credentials');
      await writeFile(
        file,
        `[default]\naws_access_key_id = ${credentials.accessKeyId}\naws_secret_access_key = ${credentials.secretAccessKey}\n`,
      );
      const { stdout } = await promisify(execFile)(
        aws,
        [
          'rds',
          'generate-db-auth-token',
          '--hostname',
          'localhost',
          '--port',
          '5433',
          '--username',
          'app_user',
          '--region',
          'us-east-1',
        ],
        {
          env: {
            PATH: process.env['PATH'],
            HOME: dir,
            AWS_SHARED_CREDENTIALS_FILE: file,
            AWS_CONFIG_FILE: join(dir, 'none'),
          },
        },
      );
      const theirs = stdout.trim();
      const date = /X-Amz-Date=(\d{8}T\d{6}Z)/.exec(theirs)?.[1] as string;
      const signingDate = new Date(
        `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
      );
      // botocore puts X-Amz-SignedHeaders before X-Amz-Signature; the signed content is the same.
      const params = (t: string) =>
        [...new URL(`https://${t}`).searchParams].sort(([a], [b]) => a.localeCompare(b));
      const mine = await generateAuthToken({ ...base, signingDate });
      expect(mine.split('?')[0]).toBe(theirs.split('?')[0]);
      expect(params(mine)).toEqual(params(theirs));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('createAuthTokenProvider', () => {
  it('reuses one token until the refresh margin before expiry, then mints a new one', async () => {
    const clock = new ManualClock(at);
    const provider = createAuthTokenProvider({ ...base, clock, refreshMarginSeconds: 120 });
    const first = await provider();
    clock.advance(60_000);
    expect(await provider()).toBe(first);
    clock.advance((900 - 120 - 60) * 1000 - 1);
    expect(await provider()).toBe(first); // 1 ms before the renewal point
    clock.advance(1);
    const second = await provider();
    expect(second).not.toBe(first);
    expect(second).toBe(await generateAuthToken({ ...base, signingDate: clock.now() }));
  });

  it('refuses a margin that would leave no valid window', () => {
    expect(() => createAuthTokenProvider({ ...base, refreshMarginSeconds: 900 })).toThrow(RangeError);
  });
});

describe('gatehouse rds generate-db-auth-token', () => {
  it('prints a token signed with the CLI credentials and --region', async () => {
    const io = testIo({
      env: {
        GATEHOUSE_ACCESS_KEY_ID: credentials.accessKeyId,
        GATEHOUSE_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      },
    });
    const code = await runCli(
      [
        '--data-dir',
        tmpdir(),
        '--region',
        'eu-west-1',
        'rds',
        'generate-db-auth-token',
        '--hostname',
        'db.example',
        '--port',
        '5433',
        '--username',
        'jane',
      ],
      io.io,
    );
    expect(code, io.stderr()).toBe(0);
    const token = io.stdout().trim();
    expect(token).toMatch(
      /^db\.example:5433\/\?Action=connect&DBUser=jane&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F\d{8}%2Feu-west-1%2Frds-db%2Faws4_request&/,
    );
  });
});
