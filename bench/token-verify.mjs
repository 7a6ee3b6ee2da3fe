// IAM auth token verification throughput on one core: 1,000 distinct valid tokens verified round-robin by the real
// verifier and policy evaluator. `node bench/token-verify.mjs` (after `npm run build`) prints the figures;
// `--json` prints them as JSON (bench/run.mjs runs it that way, as its own process pinned to one CPU).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCommand } from './process.mjs';
import { startTiming } from './rate.mjs';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const DBI = 'db-BENCHTOKENVERIFY0000000001';
const HOSTNAME = 'orders.db.internal.example.com';
const PORT = 5432;
const KEY_COUNT = 10;
const USERS_PER_KEY = 100;
/** Client addresses inside the policy's aws:SourceIp ranges (IPv4, and IPv4-mapped IPv6 as Node reports it). */
const SOURCE_IPS = ['10.0.3.17', '10.20.30.40', '::ffff:10.1.2.3', '192.168.7.9'];

const connectArn = `arn:aws:rds-db:${REGION}:${ACCOUNT}:dbuser:${DBI}/*`;

/**
 * What an application's IAM user typically carries: the connect grant limited to the VPC's address ranges, a
 * plaintext guardrail, and an unrelated application policy the evaluator must also walk.
 */
const POLICIES = [
  {
    name: 'orders-db-connect',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ConnectFromVpc',
          Effect: 'Allow',
          Action: 'rds-db:connect',
          Resource: connectArn,
          Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'] } },
        },
        {
          Sid: 'NoPlaintext',
          Effect: 'Deny',
          Action: 'rds-db:connect',
          Resource: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        { Sid: 'Describe', Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: '*' },
      ],
    },
  },
  {
    name: 'orders-app',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: 'arn:aws:s3:::orders-exports/*',
        },
        {
          Effect: 'Allow',
          Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
          Resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:orders-*`,
        },
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:orders/*`,
        },
        { Effect: 'Deny', Action: 'rds-db:connect', Resource: `arn:aws:rds-db:*:*:dbuser:*/rdsadmin` },
      ],
    },
  },
];

const accessKeyId = (k) => `AKIABENCH${String(k).padStart(11, '0')}`;

/**
 * The verifier's dependencies as production wires them (src/gateway.ts, src/wiring/iam.ts), except that the
 * access-key lookup answers from memory instead of one indexed store query per connection.
 */
async function benchDeps() {
  const { parsePolicyDocument, compilePolicy } = await import('../dist/policy/index.js');
  const { connectDecision } = await import('../dist/wiring/iam.js');
  const records = new Map();
  const principals = new Map();
  for (let k = 0; k < KEY_COUNT; k++) {
    const id = accessKeyId(k);
    const username = `orders-app-${k}`;
    const arn = `arn:aws:iam::${ACCOUNT}:user/${username}`;
    records.set(id, {
      accessKeyId: id,
      secretAccessKey: randomBytes(30).toString('base64'),
      status: 'Active',
      principalArn: arn,
      userId: `AIDABENCH${String(k).padStart(12, '0')}`,
    });
    const identity = POLICIES.map(({ name, document }) => {
      const parsed = parsePolicyDocument(JSON.stringify(document), 'identity');
      if (!parsed.ok)
        throw new Error(`bench policy ${name} does not parse: ${JSON.stringify(parsed.errors)}`);
      return compilePolicy(parsed.policy, { name, kind: 'identity' });
    });
    principals.set(id, {
      identity,
      boundary: null,
      session: null,
      principal: { arn, accountId: ACCOUNT, username, userid: records.get(id).userId },
    });
  }
  return {
    records,
    deps: {
      keys: {
        findAccessKey: async (id) => records.get(id) ?? null,
        // Production writes "last used" at most once a minute per key; nothing to write here.
        recordUse: () => {},
      },
      // As src/wiring/iam.ts authorizeConnect, the principal already compiled and cached.
      async authorizeConnect({ accessKeyId: id, resource, facts }) {
        const p = principals.get(id);
        if (!p) return { decision: 'noPrincipal', reason: `no principal owns ${id}` };
        return connectDecision(p, resource, facts);
      },
      clock: { now: () => new Date() },
      region: REGION,
      accountId: ACCOUNT,
    },
  };
}

/**
 * 1,000 checks: 10 access keys x 100 database users, each token minted by the project's own generator and then
 * put through a PostgreSQL PasswordMessage and read back as the gateway reads it (a flat string decoded from
 * the socket's buffer, not the generator's sliced string).
 */
async function benchChecks(records) {
  const { generateAuthToken } = await import('../dist/index.js');
  const { createPasswordMessage, parsePasswordMessage } = await import(
    '../dist/protocol/postgres/authentication.js'
  );
  // The message minus its type byte and length: the body the engine hands to parsePasswordMessage.
  const offTheWire = (token) => parsePasswordMessage(createPasswordMessage(token).subarray(5));
  const checks = [];
  const signedAt = new Date();
  for (let u = 0; u < USERS_PER_KEY; u++) {
    for (let k = 0; k < KEY_COUNT; k++) {
      const user = `app_${String(u).padStart(3, '0')}`;
      const record = records.get(accessKeyId(k));
      const token = await generateAuthToken({
        hostname: HOSTNAME,
        port: PORT,
        username: user,
        region: REGION,
        credentials: { accessKeyId: record.accessKeyId, secretAccessKey: record.secretAccessKey },
        // Spread over the last minute, so no two tokens share a signature input beyond key and user.
        signingDate: new Date(signedAt.getTime() - ((u * KEY_COUNT + k) % 60) * 1000),
      });
      checks.push({
        token: offTheWire(token),
        user,
        endpoints: [`${HOSTNAME}:${PORT}`, `orders-ro.db.internal.example.com:${PORT}`],
        dbiResourceId: DBI,
        sourceIp: SOURCE_IPS[checks.length % SOURCE_IPS.length],
        secureTransport: true,
      });
    }
  }
  return checks;
}

/** Proves the loop measures real verification: every token passes, a forged one and a foreign address fail. */
async function sanityCheck(verifier, checks) {
  for (const check of checks) await verifier.verify(check);
  const refused = async (check) => {
    try {
      await verifier.verify(check);
    } catch (e) {
      return e.code;
    }
    return 'accepted';
  };
  const forgedToken = checks[0].token.replace(
    /(X-Amz-Signature=[0-9a-f]{63})([0-9a-f])/,
    (_, head, last) => head + (last === '0' ? '1' : '0'),
  );
  const forged = await refused({ ...checks[0], token: forgedToken });
  const outside = await refused({ ...checks[1], sourceIp: '203.0.113.9' });
  if (forged !== 'GH_IAM_TOKEN_SIGNATURE_MISMATCH' || outside !== 'GH_IAM_CONNECT_DENIED') {
    throw new Error(`token bench sanity check failed: forged -> ${forged}, outside address -> ${outside}`);
  }
}

/**
 * Verifies round-robin for `ms` milliseconds, one verification at a time (each awaited). Reports wall time
 * and this process's CPU time (GC threads included): per CPU-second is the steadier figure on a shared machine.
 */
async function measure(verifyOne, ms) {
  const timing = startTiming(ms);
  let count = 0;
  for (;;) {
    for (let k = 0; k < 500; k++) await verifyOne(count + k);
    count += 500;
    if (timing.done()) break;
  }
  return timing.rates(count);
}

function median(runs) {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], rounds: runs.map((r) => r.perSecond) };
}

/** The verifier's dependencies and the 1,000 checks (exported for profiling). */
export async function benchInputs() {
  const { records, deps } = await benchDeps();
  return { deps, checks: await benchChecks(records) };
}

export async function runTokenVerifyBench({ seconds = 5, rounds = 3 } = {}) {
  const { createTokenVerifier } = await import('../dist/auth/iam-token/verify.js');
  const { deps, checks } = await benchInputs();
  const shared = createTokenVerifier(deps);
  await sanityCheck(shared, checks);

  const next = (i) => checks[i % checks.length];
  // Cached: one verifier, as the gateway runs; after the first pass every key's signing key is cached.
  const cached = (i) => shared.verify(next(i));
  // Uncached: a new verifier (empty signing-key cache) per token, so all five HMACs run every time.
  const uncached = (i) => createTokenVerifier(deps).verify(next(i));

  await measure(cached, 1000);
  await measure(uncached, 1000);
  const hot = [];
  const cold = [];
  for (let r = 0; r < rounds; r++) {
    hot.push(await measure(cached, seconds * 1000));
    cold.push(await measure(uncached, seconds * 1000));
  }
  return {
    tokens: checks.length,
    keys: KEY_COUNT,
    users: USERS_PER_KEY,
    statements: POLICIES.reduce((n, p) => n + p.document.Statement.length, 0),
    policies: POLICIES.length,
    seconds,
    hot: median(hot),
    cold: median(cold),
  };
}

const TASKSET = '/usr/bin/taskset';

/** The first CPU this process may run on (Cpus_allowed_list), or null when unknown. */
function firstAllowedCpu() {
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const m = /^Cpus_allowed_list:\s*(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
}

/**
 * Runs this file as its own Node process (nothing else of the bench in it: no gateway, no JIT state from it),
 * pinned to one CPU with taskset when available, so "one core" includes the garbage collector's threads.
 */
export async function runTokenVerifyProcess({ seconds, rounds }) {
  const script = fileURLToPath(import.meta.url);
  const nodeArgs = [script, '--json', '--seconds', String(seconds), '--rounds', String(rounds)];
  const cpu = firstAllowedCpu();
  const pinned = cpu !== null && existsSync(TASKSET);
  const result = pinned
    ? await runCommand(TASKSET, ['-c', String(cpu), process.execPath, ...nodeArgs])
    : await runCommand(process.execPath, nodeArgs);
  if (result.code !== 0) {
    throw new Error(
      `token verification bench failed (exit ${result.code ?? result.signal}): ${result.stderr.trim()}`,
    );
  }
  return { ...JSON.parse(result.stdout.trim().split('\n').at(-1)), pinnedCpu: pinned ? cpu : null };
}

function argValue(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runTokenVerifyBench({
    seconds: argValue('--seconds', 5),
    rounds: argValue('--rounds', 3),
  });
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    const n = (x) => x.toLocaleString('en-US');
    const line = (label, m) =>
      `token-verify (${label}): ${n(m.perSecond)} verifications/s, ${n(m.perCpuSecond)} per CPU-second ` +
      `(rounds ${m.rounds.map(n).join(' / ')})`;
    console.log(line('signing keys cached', r.hot));
    console.log(line('no signing-key cache hit', r.cold));
    console.log(
      `${r.tokens} tokens (${r.keys} keys x ${r.users} users), ${r.policies} policies / ${r.statements} statements per principal, ${r.seconds} s per round`,
    );
  }
}
