// `npm run bench`: pgbench through PostgreSQL direct, pgbouncer and Gatehouse (plaintext, TLS, IAM token) on one
// cluster, plus policy evaluation and IAM auth token verification throughput on one core.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, installSignalHandlers, onCleanup, removeOnExit } from './cleanup.mjs';
import { readKnobs } from './config.mjs';
import { renderDocument } from './document.mjs';
import { GATEHOUSE_USER, IAM_USER, startBenchGateway } from './gatehouse.mjs';
import { describeMachine, loadAverageText } from './machine.mjs';
import { measure } from './measure.mjs';
import { WORKLOADS } from './pgbench.mjs';
import { pgbouncerVersion, startPgbouncer } from './pgbouncer.mjs';
import { runPolicyBaseline } from './policy-baseline.mjs';
import { runPolicyBench } from './policy-eval.mjs';
import {
  BENCH_DB,
  initialiseBenchDatabase,
  SUPERUSER,
  serverVersion,
  startBenchCluster,
} from './postgres.mjs';
import { tableRows, textTable } from './report.mjs';
import { runTokenVerifyProcess } from './token-verify.mjs';

const log = (message) => console.error(`[bench] ${message}`);

/** Starts PostgreSQL, Gatehouse and (if installed) pgbouncer; every start registers its own tear-down. */
async function startEverything(knobs, workDir) {
  log('starting embedded PostgreSQL');
  const { cluster, password } = await startBenchCluster(workDir);
  onCleanup('PostgreSQL', () => cluster.stop());
  log(`pgbench -i -s ${knobs.scale} ${BENCH_DB}`);
  await initialiseBenchDatabase(cluster, password, knobs.scale);

  log('starting Gatehouse in-process');
  const gatewayLog = join(workDir, 'gatehouse.log');
  const gatehouse = await startBenchGateway({
    cluster,
    dataDir: join(workDir, 'gatehouse'),
    logFile: gatewayLog,
  });
  onCleanup('Gatehouse', () => gatehouse.close());

  const bouncerVersion = await pgbouncerVersion();
  let bouncer = null;
  if (bouncerVersion === null) {
    console.log('pgbouncer not installed: column skipped');
  } else {
    log(`starting ${bouncerVersion}`);
    const dir = join(workDir, 'pgbouncer');
    await mkdir(dir, { mode: 0o700 });
    bouncer = await startPgbouncer({ dir, backendPort: cluster.port, password, poolSize: knobs.poolSize });
    onCleanup('pgbouncer', () => bouncer.stop());
  }

  const common = { host: '127.0.0.1', database: BENCH_DB };
  const superuser = { ...common, user: SUPERUSER, password, sslmode: 'disable' };
  const viaGatehouse = {
    ...common,
    port: gatehouse.port,
    user: GATEHOUSE_USER,
    password: gatehouse.password,
  };
  const targets = [
    { id: 'direct', label: 'PostgreSQL direct', ...superuser, port: cluster.port },
    bouncer
      ? { id: 'pgbouncer', label: 'pgbouncer', ...superuser, port: bouncer.port }
      : { id: 'pgbouncer', label: 'pgbouncer', skipped: 'pgbouncer not installed: column skipped' },
    { id: 'gatehouse', label: 'Gatehouse', ...viaGatehouse, sslmode: 'disable' },
    { id: 'gatehouse-tls', label: 'Gatehouse + TLS', ...viaGatehouse, sslmode: 'require' },
    {
      id: 'gatehouse-iam',
      label: 'Gatehouse + TLS, IAM token',
      ...common,
      port: gatehouse.iamPort,
      user: IAM_USER,
      // A fresh token before every pgbench run; pgbench then sends it on each of its connections.
      password: gatehouse.mintIamToken,
      passwordText: `"$(gatehouse rds generate-db-auth-token --hostname 127.0.0.1 --port ${gatehouse.iamPort} --username ${IAM_USER} --region ${gatehouse.region})"`,
      sslmode: 'require',
      // Persistent connections authenticate once: the token only matters per connection.
      only: ['select-connect'],
    },
  ];
  const facts = {
    postgresVersion: await serverVersion(cluster),
    pgbouncerVersion: bouncerVersion,
    gatewayLog,
  };
  return { targets, facts };
}

function setupLines(knobs, targets) {
  const port = (id) => targets.find((t) => t.id === id)?.port;
  return [
    `Database \`${BENCH_DB}\` initialised with \`pgbench -i -s ${knobs.scale}\` (${(knobs.scale * 100_000).toLocaleString('en')} rows in pgbench_accounts); every target reaches the same cluster over loopback TCP.`,
    `PostgreSQL direct: superuser \`${SUPERUSER}\`, SCRAM-SHA-256, no TLS (port ${port('direct')}).`,
    port('pgbouncer')
      ? `pgbouncer: pool_mode=transaction, default_pool_size=${knobs.poolSize}, max_client_conn=200, auth_type=scram-sha-256, no TLS, logging in to PostgreSQL as \`${SUPERUSER}\` (port ${port('pgbouncer')}).`
      : 'pgbouncer: not installed, column skipped.',
    `Gatehouse: built dist/, started in the bench's own Node process; instance \`bench\` relays to the cluster without TLS; user \`${GATEHOUSE_USER}\` (SCRAM-SHA-256 password, SELECT on the pgbench tables) (port ${port('gatehouse')}). "Gatehouse + TLS" is the same listener with \`sslmode=require\`.`,
    `Gatehouse + TLS, IAM token (\`-C\` only: on persistent connections it is the Gatehouse + TLS row): instance \`bench-iam\` on its own listener (port ${port('gatehouse-iam')}), the same backend database, IAM database authentication enabled; user \`${IAM_USER}\` created with \`--auth iam\` (rds_iam member, no password, SELECT on the pgbench tables); \`sslmode=require\` (tokens are refused without TLS). Before every pgbench run the bench mints a new token (\`generateAuthToken\`, the bootstrap admin access key, whose policy allows rds-db:connect) and passes it as PGPASSWORD; pgbench sends that token on every new connection, and the gateway verifies it in full each time (parse, SigV4 signature, key lookup in the store, rds-db:connect policy decision) before logging in to PostgreSQL with the user's backend secret.`,
    `Each workload: a ${knobs.warmupSeconds} s warm-up per target, then ${knobs.rounds} round(s) of ${knobs.seconds} s per target (\`-c ${knobs.clients} -j ${knobs.jobs}\`), the target order rotating each round. Tables show the median round (its tps and latency) and every round's tps.`,
  ];
}

async function printGatewayWarnings(file) {
  const text = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (text === '') return;
  const lines = text.split('\n');
  log(`the gateway logged ${lines.length} warning/error line(s); the last ones:`);
  for (const line of lines.slice(-10)) console.error(line);
}

async function main() {
  installSignalHandlers();
  const knobs = readKnobs();
  const loadBefore = loadAverageText();
  // First, while nothing else of the bench runs: policy evaluation on one core (no I/O).
  const policy = await runPolicyBench({ seconds: Math.min(10, knobs.seconds) });
  console.log(`policy evaluation: ${policy.hot.perSecond} evaluations/s (50 policies x 10 statements)`);
  const policyBaseline = knobs.policyBaseline
    ? await runPolicyBaseline({
        rev: knobs.policyBaseline,
        seconds: Math.min(5, knobs.seconds),
        rounds: Math.max(3, knobs.rounds),
        log,
      })
    : null;
  if (policyBaseline) {
    console.log(
      `policy evaluation beside ${policyBaseline.baselineSha}: ${policyBaseline.current.hot} vs ${policyBaseline.baseline.hot} evaluations/s`,
    );
  }
  log('IAM auth token verification on one core (its own process)');
  // At least 5 rounds: on a shared VM single rounds swing by a third, and the median of 5 is steadier than of 3.
  const tokens = await runTokenVerifyProcess({
    seconds: Math.min(5, knobs.seconds),
    rounds: Math.max(5, knobs.rounds),
  });
  console.log(
    `token verification: ${tokens.hot.perSecond} verifications/s (signing keys cached), ${tokens.cold.perSecond} with none cached`,
  );
  const workDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  // As root PostgreSQL and pgbouncer run as the postgres OS user, which must be able to enter this dir.
  await chmod(workDir, 0o711);
  removeOnExit(workDir);
  onCleanup('temp dir', () => rm(workDir, { recursive: true, force: true }));

  const { targets, facts } = await startEverything(knobs, workDir);
  try {
    const { results, commands } = await measure(knobs, targets, WORKLOADS);
    const machine = await describeMachine({ ...facts, loadBefore, loadAfter: loadAverageText() });
    const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const doc = renderDocument({
      date,
      machine,
      knobs,
      commands,
      workloads: WORKLOADS,
      targets,
      results,
      setupLines: setupLines(knobs, targets),
      policy,
      policyBaseline,
      tokens,
    });
    await writeFile(knobs.output, doc);
    for (const w of WORKLOADS) console.log(`\n${w.title}\n\n${textTable(tableRows(w, targets, results))}`);
    console.log(`\nwritten to ${knobs.output}`);
  } finally {
    await printGatewayWarnings(facts.gatewayLog);
  }
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
