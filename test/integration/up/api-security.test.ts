// The management API of a real `gatehouse up`, reached over HTTPS: unsigned, mis-signed and unknown-key requests.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCredentials } from '../../../src/core/data-dir.js';
import {
  freeUpPorts,
  makeDataDir,
  removeDataDir,
  runCli,
  startUp,
  type UpProcess,
} from '../../support/up-process.js';

/** POST without any signature, trusting only the data dir's CA. */
function unsignedPost(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

describe('management API security through a running gatehouse up', () => {
  let dataDir: string;
  let up: UpProcess | undefined;
  let accessKeyId: string;
  const describeInstances = ['rds', 'describe-db-instances'];

  beforeAll(async () => {
    dataDir = await makeDataDir();
    up = await startUp(dataDir, await freeUpPorts());
    const keys = readCredentials(join(dataDir, 'credentials'), 'default');
    if (!keys) throw new Error('up wrote no default credentials');
    accessKeyId = keys.accessKeyId;
  });

  afterAll(async () => {
    await up?.stop('SIGTERM', 10_000).catch(() => {});
    if (dataDir) await removeDataDir(dataDir);
  });

  it('an unsigned HTTPS request is refused with 403 MissingAuthenticationToken', async () => {
    const ca = readFileSync(join(dataDir, 'ca.pem'), 'utf8');
    const res = await unsignedPost(`${up?.apiUrl}/v1/DescribeDBInstances`, ca);
    expect(res.status).toBe(403);
    const error = JSON.parse(res.body).Error;
    expect(error.Code).toBe('MissingAuthenticationToken');
    expect(res.body).not.toContain('demo');
  });

  it('the admin key from the credentials file is accepted (so the refusals below are about the signature)', async () => {
    const ok = await runCli(dataDir, describeInstances);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });

  it('a request signed with the real key id but a wrong secret fails with exit 1 and GH_API_SIGNATURE_MISMATCH', async () => {
    const result = await runCli(dataDir, describeInstances, {
      env: {
        GATEHOUSE_ACCESS_KEY_ID: accessKeyId,
        GATEHOUSE_SECRET_ACCESS_KEY: 'wrongSecretwrongSecretwrongSecret0123456',
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[GH_API_SIGNATURE_MISMATCH]');
    expect(result.stdout).toBe('');
  });

  it('a request signed with an unknown access key id fails with exit 1 and GH_API_INVALID_KEY', async () => {
    const result = await runCli(dataDir, describeInstances, {
      env: {
        GATEHOUSE_ACCESS_KEY_ID: 'AKIAZZZZZZZZZZZZZZZZ',
        GATEHOUSE_SECRET_ACCESS_KEY: 'whatever-secret',
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[GH_API_INVALID_KEY]');
    expect(result.stdout).toBe('');
  });

  it('with the gateway stopped, the CLI says GH_CLI_NOT_RUNNING and names the endpoint', async () => {
    const apiUrl = (up as UpProcess).apiUrl;
    const stopped = await (up as UpProcess).stop('SIGTERM');
    up = undefined;
    expect(stopped.code).toBe(0);
    const result = await runCli(dataDir, describeInstances);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[GH_CLI_NOT_RUNNING]');
    expect(result.stderr).toContain(new URL(apiUrl).origin);
  });
});
