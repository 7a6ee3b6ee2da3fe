// Starts the management API with the Query protocol enabled over in-memory IAM/STS, and makes real AWS SDK
// clients (IAM, STS) that trust the test certificate.
import { Agent } from 'node:https';
import { Writable } from 'node:stream';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { pino } from 'pino';
import { type RunningApiServer, startApiServer } from '../../../../../src/api/server.js';
import { OffsetClock } from '../../../../../src/core/clock.js';
import { MemoryControlPlane } from '../../support/memory-control-plane.js';
import { selfSignedCert, type TestCert } from '../../support/self-signed.js';
import { ACCOUNT, MemoryIam } from './memory-iam.js';
import { MemorySts, RecordingAuthorizer, RecordingSimulator } from './memory-sts.js';
import { SessionKeys } from './session-keys.js';

export const ADMIN = {
  accessKeyId: 'AKIAQUERYADMIN000001',
  secretAccessKey: 'queryAdminSecretqueryAdminSecretqueryAdm',
};
export const ADMIN_ARN = `arn:aws:iam::${ACCOUNT}:user/admin`;

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface QueryFixture {
  server: RunningApiServer;
  cert: TestCert;
  keys: SessionKeys;
  iam: MemoryIam;
  sts: MemorySts;
  simulator: RecordingSimulator;
  authz: RecordingAuthorizer;
  clock: OffsetClock;
  iamClient(credentials?: Credentials, region?: string): IAMClient;
  stsClient(credentials?: Credentials, region?: string): STSClient;
  logLines(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

// The SDK warns once per process that its 2027 releases need Node 22; the project runs on Node 20.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

let cachedCert: TestCert | undefined;

export async function startQueryFixture(o: { region?: string } = {}): Promise<QueryFixture> {
  cachedCert ??= selfSignedCert();
  const cert = cachedCert;
  const keys = new SessionKeys();
  keys.add({ ...ADMIN, principalArn: ADMIN_ARN });
  const iam = new MemoryIam(keys);
  await iam.createUser({ UserName: 'admin' });
  const clock = new OffsetClock();
  const sts = new MemorySts(iam, keys, clock);
  const simulator = new RecordingSimulator();
  const authz = new RecordingAuthorizer();
  let log = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      log += chunk.toString();
      done();
    },
  });
  const server = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    tls: cert,
    controlPlane: new MemoryControlPlane(),
    keys,
    region: o.region ?? 'us-east-1',
    clock,
    logger: pino({ level: 'debug' }, sink),
    query: { iam, sts, simulate: simulator.simulate, authorize: authz.authorize },
  });
  const agent = new Agent({ ca: cert.certPem });
  const clientConfig = (credentials: Credentials | undefined, region: string) => ({
    endpoint: server.url,
    region,
    credentials: credentials ?? ADMIN,
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    maxAttempts: 1,
  });
  return {
    server,
    cert,
    keys,
    iam,
    sts,
    simulator,
    authz,
    clock,
    iamClient: (credentials, region = 'us-east-1') => new IAMClient(clientConfig(credentials, region)),
    stsClient: (credentials, region = 'us-east-1') => new STSClient(clientConfig(credentials, region)),
    logLines: () =>
      log
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    close: async () => {
      agent.destroy();
      await server.close();
    },
  };
}

/** The rejection of `p`, which must reject. */
export async function rejection(
  p: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number; requestId?: string } }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error('expected the call to fail');
  return e;
}
