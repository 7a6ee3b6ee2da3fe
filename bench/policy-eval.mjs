// Policy evaluator throughput: one principal with 50 policies x 10 statements (a realistic mix of
// wildcards, variables and conditions), evaluated on one core for ~3 s against a rotating set of
// requests. Run after `npm run build`: `node bench/policy-eval.mjs`. Prints evaluations per second.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...} inside plain strings.
import { fileURLToPath } from 'node:url';
import { startTiming } from './rate.mjs';

const ACCOUNT = '123456789012';
const SERVICES = {
  s3: ['GetObject', 'PutObject', 'ListBucket', 'DeleteObject', 'GetBucketPolicy'],
  ec2: ['DescribeInstances', 'StartInstances', 'StopInstances', 'RunInstances', 'CreateTags'],
  dynamodb: ['GetItem', 'PutItem', 'Query', 'Scan', 'DeleteItem'],
  sqs: ['SendMessage', 'ReceiveMessage', 'DeleteMessage', 'GetQueueUrl'],
  sns: ['Publish', 'Subscribe', 'ListTopics'],
  lambda: ['InvokeFunction', 'GetFunction', 'UpdateFunctionCode'],
  kms: ['Decrypt', 'Encrypt', 'GenerateDataKey', 'DescribeKey'],
  logs: ['PutLogEvents', 'CreateLogStream', 'GetLogEvents'],
  iam: ['GetUser', 'CreateUser', 'CreateAccessKey', 'ListUsers'],
  rds: ['DescribeDBInstances', 'ModifyDBInstance', 'RebootDBInstance'],
  'rds-db': ['connect'],
};
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

/** Small deterministic PRNG (mulberry32) so every run benchmarks the same policies. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function resourceFor(service, rnd, wildcard) {
  const region = wildcard ? '*' : REGIONS[Math.floor(rnd() * REGIONS.length)];
  const n = Math.floor(rnd() * 20);
  switch (service) {
    case 's3':
      return wildcard ? `arn:aws:s3:::bucket-${n}/*` : `arn:aws:s3:::bucket-${n}/data/file-${n}.csv`;
    case 'rds-db':
      return wildcard
        ? `arn:aws:rds-db:*:*:dbuser:*/\${aws:username}`
        : `arn:aws:rds-db:${region}:${ACCOUNT}:dbuser:db-ABCDEFGHIJKL0${n}/app${n}`;
    case 'iam':
      return `arn:aws:iam::${ACCOUNT}:user/${wildcard ? '${aws:username}' : `user-${n}`}`;
    case 'dynamodb':
      return `arn:aws:dynamodb:${region}:${ACCOUNT}:table/orders-${n}${wildcard ? '*' : ''}`;
    default:
      return `arn:aws:${service}:${region}:${ACCOUNT}:res-${n}${wildcard ? '*' : ''}`;
  }
}

const CONDITIONS = [
  { IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24', '2001:db8::/32'] } },
  { Bool: { 'aws:SecureTransport': 'true' } },
  { StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } },
  { StringEquals: { 'aws:PrincipalTag/team': 'payments' } },
  { StringLike: { 's3:prefix': ['home/${aws:username}/*', 'shared/*'] } },
  { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } },
  { NumericLessThanEquals: { 's3:max-keys': '1000' } },
  { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'owner', 'cost-center'] } },
];
const DENY_CONDITIONS = [
  { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '198.51.100.0/24'] } },
  { Bool: { 'aws:SecureTransport': 'false' } },
  { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'us-west-2', 'eu-west-1'] } },
  { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
];

const pickOne = (rnd, xs) => xs[Math.floor(rnd() * xs.length)];

/**
 * One statement in the proportions seen in real account policies: mostly specific actions on specific or
 * prefix-wildcard resources, some read-only wildcards, conditions on a fifth, Deny guardrails, rare NotAction.
 */
function statement(rnd, i) {
  const service = pickOne(rnd, Object.keys(SERVICES));
  const actions = SERVICES[service];
  const roll = rnd();
  const st = { Sid: `S${i}`, Effect: 'Allow' };
  if (roll < 0.02) {
    // Guardrail: nothing but IAM/STS self-service without MFA.
    return {
      ...st,
      Effect: 'Deny',
      NotAction: ['iam:*', 'sts:*'],
      Resource: '*',
      Condition: DENY_CONDITIONS[3],
    };
  }
  if (roll < 0.1) {
    const action = rnd() < 0.5 ? `${service}:*` : `${service}:${pickOne(rnd, actions)}`;
    return { ...st, Effect: 'Deny', Action: action, Resource: '*', Condition: pickOne(rnd, DENY_CONDITIONS) };
  }
  if (roll < 0.15 && service !== 'rds-db') {
    st.Action = [`${service}:Get*`, `${service}:Describe*`, `${service}:List*`];
    st.Resource = rnd() < 0.3 ? '*' : resourceFor(service, rnd, true);
    return st;
  }
  if (roll < 0.22) {
    st.Action = `${service}:*`;
    st.Resource = resourceFor(service, rnd, true);
    return st;
  }
  st.Action = actions
    .slice(0, 1 + Math.floor(rnd() * Math.min(3, actions.length)))
    .map((a) => `${service}:${a}`);
  const wildcard = rnd() < 0.4;
  st.Resource =
    rnd() < 0.5
      ? resourceFor(service, rnd, wildcard)
      : [resourceFor(service, rnd, wildcard), resourceFor(service, rnd, !wildcard)];
  if (roll > 0.75) st.Condition = pickOne(rnd, CONDITIONS);
  return st;
}

const context = (ip, region) => ({
  'aws:SourceIp': { type: 'ip', values: [ip] },
  'aws:SecureTransport': { type: 'boolean', values: ['true'] },
  'aws:MultiFactorAuthPresent': { type: 'boolean', values: ['true'] },
  'aws:RequestedRegion': { type: 'string', values: [region] },
  'aws:CurrentTime': { type: 'date', values: ['2025-06-01T12:00:00Z'] },
  's3:prefix': { type: 'string', values: ['home/jane/reports'] },
});

/** A concrete resource a statement's Resource admits (its first entry, variables and wildcards filled in). */
function concrete(resource) {
  const first = Array.isArray(resource) ? resource[0] : resource;
  if (first === '*') return null;
  const parts = first.replaceAll('${aws:username}', 'jane').split(':');
  const head = parts.slice(0, 5);
  if (head[3] === '*') head[3] = 'us-east-1';
  if (head[4] === '*') head[4] = ACCOUNT;
  return [...head, parts.slice(5).join(':')].join(':').replaceAll('*', 'x1');
}

/**
 * 40 requests: half built from Allow statements of the policies (so they are usually allowed), half
 * arbitrary actions on arbitrary resources (usually denied), from a mix of office and outside addresses.
 */
function requests(docs) {
  const rnd = prng(7);
  const allows = docs
    .flatMap((d) => d.Statement)
    .filter((st) => st.Effect === 'Allow' && st.Action && concrete(st.Resource));
  const out = [];
  for (let n = 0; n < 40; n++) {
    const region = REGIONS[n % REGIONS.length];
    const ip = n % 4 === 0 ? '203.0.113.50' : '192.0.2.44';
    if (n % 2 === 0) {
      const st = pickOne(rnd, allows);
      const action = (Array.isArray(st.Action) ? st.Action[0] : st.Action).replaceAll('*', 'Object');
      out.push({ action, resource: concrete(st.Resource), context: context(ip, region) });
    } else {
      const service = pickOne(rnd, Object.keys(SERVICES));
      const resource =
        service === 'rds-db'
          ? `arn:aws:rds-db:${region}:${ACCOUNT}:dbuser:db-ABCDEFGHIJKL0${n % 20}/jane`
          : resourceFor(service, rnd, false);
      out.push({
        action: `${service}:${pickOne(rnd, SERVICES[service])}`,
        resource,
        context: context(ip, region),
      });
    }
  }
  return out;
}

/** The benchmark's compiled policies and request set (exported for profiling). */
export async function benchInputs() {
  const { parsePolicyDocument, compilePolicy } = await import('../dist/policy/index.js');
  const rnd = prng(20240601);
  const docs = [];
  const identity = [];
  for (let p = 0; p < 50; p++) {
    const doc = { Version: '2012-10-17', Statement: Array.from({ length: 10 }, (_, i) => statement(rnd, i)) };
    const parsed = parsePolicyDocument(JSON.stringify(doc), 'identity');
    if (!parsed.ok) throw new Error(`bench policy ${p} does not parse: ${JSON.stringify(parsed.errors)}`);
    docs.push(doc);
    identity.push(compilePolicy(parsed.policy, { name: `policy-${p}`, kind: 'identity' }));
  }
  const principal = {
    arn: `arn:aws:iam::${ACCOUNT}:user/jane`,
    accountId: ACCOUNT,
    username: 'jane',
    userid: 'AIDAJANEEXAMPLE00001',
    tags: { team: 'payments' },
  };
  return requests(docs).map((r) => ({ identity, request: { ...r, principal } }));
}

/**
 * Evaluates round-robin for `ms` milliseconds; `fresh(i)` may return a new input per call. Reports wall
 * time and this process's CPU time (the machine may be shared: CPU time is the steadier per-core figure).
 */
function measure(evaluate, next, ms) {
  const timing = startTiming(ms);
  let count = 0;
  for (;;) {
    for (let k = 0; k < 1000; k++) evaluate(next(count + k));
    count += 1000;
    if (timing.done()) break;
  }
  return timing.rates(count);
}

export async function runPolicyBench({ seconds = Number(process.env.POLICY_BENCH_SECONDS ?? 3) } = {}) {
  const { evaluate } = await import('../dist/policy/index.js');
  const inputs = await benchInputs();
  const decisions = { allowed: 0, explicitDeny: 0, implicitDeny: 0 };
  for (const input of inputs) decisions[evaluate(input).decision]++;

  const rotating = (i) => inputs[i % inputs.length];
  // Every request on a resource never seen before: defeats the per-policy (action, resource) memo.
  const distinct = (i) => {
    const input = inputs[i % inputs.length];
    return { ...input, request: { ...input.request, resource: `${input.request.resource}-${i}` } };
  };
  measure(evaluate, rotating, 500); // warm-up: JIT and memos
  const hot = measure(evaluate, rotating, seconds * 1000);
  const cold = measure(evaluate, distinct, Math.max(500, (seconds * 1000) / 3));
  return { evaluationsPerSecond: hot.perSecond, hot, cold, requests: inputs.length, decisions };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runPolicyBench();
  const n = (x) => x.toLocaleString('en-US');
  console.log(
    `policy-eval: ${n(r.hot.perSecond)} evaluations/s (${n(r.hot.perCpuSecond)} per CPU-second; ` +
      `50 policies x 10 statements, ${r.requests} rotating requests, ${r.hot.wall.toFixed(1)} s on one core; ` +
      `decisions per request set ${JSON.stringify(r.decisions)})`,
  );
  console.log(
    `policy-eval (every resource new, memo defeated): ${n(r.cold.perSecond)} evaluations/s ` +
      `(${n(r.cold.perCpuSecond)} per CPU-second)`,
  );
}
