// The IAM suites' clients against a test gateway: AWS SDK IAM/STS clients, and the real AWS CLI with a throwaway profile.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { TestGateway } from '../../../support/gateway.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

const run = promisify(execFile);

export type Keys = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export async function sdkClients(t: TestGateway) {
  const agent = new Agent({ ca: await readFile(t.caFile, 'utf8') });
  const config = (credentials: Keys) => ({
    endpoint: t.gateway.apiUrl,
    region: 'us-east-1',
    credentials,
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    maxAttempts: 1,
  });
  return { iam: (k: Keys) => new IAMClient(config(k)), sts: (k: Keys) => new STSClient(config(k)) };
}

/** The AWS error name a promise rejects with ('no error' if it resolves). */
export async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return (e as Error).name;
  }
}

export interface AwsCli {
  /** `aws iam <args>` as JSON (null for commands that print nothing); rejects with stderr on a non-zero exit. */
  iam(args: readonly string[]): Promise<Record<string, unknown> | null>;
  /** The exit code and stderr of a command expected to fail. */
  fails(args: readonly string[]): Promise<{ code: number; stderr: string }>;
  cleanup(): Promise<void>;
}

/** The real `aws` binary with only a temp credentials file (the caller's AWS_* settings and ~/.aws are kept out). */
export async function awsCli(bin: string, t: TestGateway, keys: Keys): Promise<AwsCli> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-aws-iam-'));
  await writeFile(join(dir, 'config'), '');
  await writeFile(
    join(dir, 'credentials'),
    `[default]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  Object.assign(env, {
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_RETRY_MODE: 'standard',
    AWS_MAX_ATTEMPTS: '1',
  });
  const full = (args: readonly string[]) => [
    'iam',
    ...args,
    '--endpoint-url',
    t.gateway.apiUrl,
    '--ca-bundle',
    t.caFile,
    '--region',
    'us-east-1',
    '--output',
    'json',
  ];
  return {
    async iam(args) {
      const { stdout } = await run(bin, full(args), { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
      return stdout.trim() === '' ? null : (JSON.parse(stdout) as Record<string, unknown>);
    },
    async fails(args) {
      try {
        await run(bin, full(args), { env, timeout: 60_000 });
      } catch (e) {
        const err = e as { code?: number; stderr?: string };
        return { code: err.code ?? -1, stderr: err.stderr ?? '' };
      }
      return { code: 0, stderr: '' };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
