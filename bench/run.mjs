// `npm run bench`: pgbench through PostgreSQL direct, pgbouncer and Gatehouse (plaintext, TLS, IAM token) on one
// cluster, plus policy evaluation and IAM auth token verification throughput on one core.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../dist/store/embedded.js';
import { runAuditBench } from './audit.mjs';
import { cleanup, installSignalHandlers, onCleanup, removeOnExit } from './cleanup.mjs';
import { readKnobs } from './config.mjs';
import { renderDocument } from './document.mjs';
import { startNativeFloor, startNodeFloor } from './floors.mjs';
import { GATEHOUSE_USER, IAM_USER, startGatehouseProcess } from './gatehouse.mjs';
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

  log('starting Gatehouse in its own process');
  const gatewayLog = join(workDir, 'gatehouse.log');
  const gatehouseDir = join(workDir, 'gatehouse');
  const gatehouse = await startGatehouseProcess({ cluster, dataDir: gatehouseDir, logFile: gatewayLog });
  onCleanup('Gatehouse', () => gatehouse.close());
  // The same gateway without its durable audit trail (its own store database), for the login rate with audit
  // on vs off; it serves the new-connection-per-transaction workload only.
  log('starting Gatehouse without the audit trail in its own process');
  const noAudit = await startGatehouseProcess({
    cluster,
    dataDir: join(workDir, 'gatehouse-noaudit'),
    logFile: gatewayLog,
    storeDatabase: 'gatehouse_noaudit',
    durableAudit: false,
    userSuffix: '_noaudit',
  });
  onCleanup('Gatehouse (no audit)', () => noAudit.close());

  log('starting the floor relays (Node, Node + TLS, C)');
  const nodeFloor = await startNodeFloor({ port: await findFreePort(), backendPort: cluster.port });
  // The TLS floor serves Gatehouse's own certificate, so both TLS rows do the same handshake work.
  const nodeTlsFloor = await startNodeFloor({
    port: await findFreePort(),
    backendPort: cluster.port,
    tls: { certFile: join(gatehouseDir, 'server.pem'), keyFile: join(gatehouseDir, 'server-key.pem') },
  });
  const nativeFloor = await startNativeFloor({
    port: await findFreePort(),
    backendPort: cluster.port,
    workDir,
  });
  if (nativeFloor.skipped) console.log(nativeFloor.skipped);

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
      ? { id: 'pgbouncer', label: 'pgbouncer', ...superuser, port: bouncer.port, pid: bouncer.pid }
      : { id: 'pgbouncer', label: 'pgbouncer', skipped: 'pgbouncer not installed: column skipped' },
    // The floors: the cheapest relays, each its own process, persistent connections only.
    {
      id: 'node-floor',
      label: 'Node relay (floor)',
      ...superuser,
      port: nodeFloor.port,
      pid: nodeFloor.pid,
      only: ['select'],
    },
    nativeFloor.skipped
      ? { id: 'native-floor', label: 'C relay (floor)', skipped: nativeFloor.skipped, only: ['select'] }
      : {
          id: 'native-floor',
          label: 'C relay (floor)',
          ...superuser,
          port: nativeFloor.port,
          pid: nativeFloor.pid,
          floor: 'node-floor',
          only: ['select'],
        },
    {
      id: 'node-tls-floor',
      label: 'Node relay + TLS (floor)',
      ...superuser,
      sslmode: 'require',
      port: nodeTlsFloor.port,
      pid: nodeTlsFloor.pid,
      only: ['select'],
    },
    {
      id: 'gatehouse',
      label: 'Gatehouse',
      ...viaGatehouse,
      sslmode: 'disable',
      pid: gatehouse.pid,
      floor: 'node-floor',
    },
    {
      id: 'gatehouse-tls',
      label: 'Gatehouse + TLS',
      ...viaGatehouse,
      sslmode: 'require',
      pid: gatehouse.pid,
      floor: 'node-tls-floor',
    },
    {
      id: 'gatehouse-noaudit',
      label: 'Gatehouse, audit trail off',
      ...common,
      port: noAudit.port,
      user: noAudit.user,
      password: noAudit.password,
      sslmode: 'disable',
      pid: noAudit.pid,
      only: ['select-connect'],
    },
    {
      id: 'gatehouse-iam',
      label: 'Gatehouse + TLS, IAM token',
      ...common,
      port: gatehouse.iamPort,
      pid: gatehouse.pid,
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
    `Gatehouse: built dist/, started as its own Node process (bench/gatehouse-process.mjs, as \`gatehouse serve\` runs: nothing of the bench shares its event loop or heap); instance \`bench\` relays to the cluster without TLS; user \`${GATEHOUSE_USER}\` (SCRAM-SHA-256 password, SELECT on the pgbench tables) (port ${port('gatehouse')}). "Gatehouse + TLS" is the same listener with \`sslmode=require\`.`,
    `Gatehouse + TLS, IAM token (\`-C\` only: on persistent connections it is the Gatehouse + TLS row): instance \`bench-iam\` on its own listener (port ${port('gatehouse-iam')}), the same backend database, IAM database authentication enabled; user \`${IAM_USER}\` created with \`--auth iam\` (rds_iam member, no password, SELECT on the pgbench tables); \`sslmode=require\` (tokens are refused without TLS). Before every pgbench run the bench mints a new token (\`generateAuthToken\`, the bootstrap admin access key, whose policy allows rds-db:connect) and passes it as PGPASSWORD; pgbench sends that token on every new connection, and the gateway verifies it in full each time (parse, SigV4 signature, key lookup in the store, rds-db:connect policy decision) before logging in to PostgreSQL with the user's backend secret.`,
    `Floors (persistent connections only), each its own process logging in to PostgreSQL as the superuser: **Node relay** (bench/floor/node-relay.mjs: \`net.createServer\` + \`pipe()\` both ways, noDelay, nothing else) (port ${port('node-floor')}); **Node relay + TLS**, the same relay terminating TLS after answering the SSLRequest, with Gatehouse's own certificate (port ${port('node-tls-floor')}); **C relay** (bench/floor/c-relay.c, one thread, \`poll()\`, read/write, TCP_NODELAY, built here with the system gcc${port('native-floor') ? ` (port ${port('native-floor')})` : ': skipped, gcc not found'}). Each Gatehouse row is shown against the Node floor of its kind (plain, TLS) measured in the same run; the C row against the Node floor.`,
    `**relay CPU µs/txn**: the relay process's user + system CPU time during a round (from /proc) divided by the transactions pgbench completed, median of the rounds: what one transaction costs the process that relays it, whatever else the machine was doing.`,
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

  // The audit trail on a PostgreSQL of its own (fsync on), before the relay targets start.
  const audit = await runAuditBench({
    workDir,
    ingestEvents: knobs.auditEvents,
    commitSeconds: knobs.auditCommitSeconds,
    lookupEvents: knobs.auditLookupEvents,
    log,
  });
  console.log(
    `audit trail: ${audit.queuedRate.toFixed(0)} events/s queued, ${audit.commitRate.toFixed(0)} events/s fail-closed (median commit ${audit.commitMedianMs.toFixed(1)} ms), lookup by user over ${audit.lookupSize.toLocaleString('en')} events: ${audit.lookups.username.medianMs.toFixed(1)} ms median`,
  );

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
      audit,
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
