// The audit trail's own figures, on a PostgreSQL of its own with fsync ON (durability is the point of the trail;
// the pgbench cluster runs with fsync off): ingest through the chain writer (queued events, and the fail-closed
// path where each login waits for its event's commit), verification speed, and LookupEvents latency over a
// large trail (bulk-loaded synthetic rows: lookups do not read the chain, so their hashes are placeholders).
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { verifyTrail } from '../dist/core/audit-verify.js';
import { systemClock } from '../dist/core/clock.js';
import { silentLogger } from '../dist/core/logger.js';
import { lookupEvents, readDigests, readHead, trailRows } from '../dist/store/audit-read.js';
import { createAuditTrail } from '../dist/store/audit-trail.js';
import { findFreePort, startEmbeddedCluster } from '../dist/store/embedded.js';
import { migrate } from '../dist/store/migrate.js';
import { openStore } from '../dist/store/pool.js';
import { withClient } from './postgres.mjs';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** A db.connect event as a login writes it (about 420 bytes of canonical JSON). */
function connectEvent(i) {
  return {
    type: 'db.connect',
    at: new Date().toISOString(),
    requestId: randomBytes(8).toString('hex'),
    instance: 'bench',
    engine: 'postgres',
    dbUser: `user-${i % 10_000}`,
    database: 'app',
    method: 'scram-sha-256',
    source: `10.0.${(i >> 8) & 255}.${i & 255}:${40_000 + (i % 20_000)}`,
    tls: true,
    tlsVersion: 'TLSv1.3',
    tlsCipher: 'TLS_AES_256_GCM_SHA384',
    application: 'psql',
    outcome: 'success',
    elapsedMs: 3.25,
  };
}

/** Rows per INSERT ... SELECT when bulk-loading the lookup trail. */
const LOAD_CHUNK = 1_000_000;

export async function runAuditBench({ workDir, ingestEvents, commitSeconds, lookupEvents: lookupSize, log }) {
  const password = randomBytes(18).toString('base64url');
  const cluster = await startEmbeddedCluster({
    databaseDir: join(workDir, 'audit-pgdata'),
    port: await findFreePort(),
    password,
    persistent: false,
    initialise: true,
    fast: false, // fsync on: every committed batch is on disk
  });
  let store = null;
  try {
    await withClient(cluster.adminUrl('postgres'), (c) => c.query('CREATE DATABASE audit'));
    store = await openStore(cluster.adminUrl('audit'), { logger: silentLogger });
    await migrate(store);

    // 1. Queued events (refusals, disconnects, management calls): emitted as they come, written by group commit.
    log(`audit: ingest of ${ingestEvents.toLocaleString('en')} queued events`);
    const trail = createAuditTrail({ store, clock: systemClock, logger: silentLogger });
    let started = performance.now();
    for (let i = 0; i < ingestEvents; i++) {
      trail.emit(connectEvent(i));
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await trail.flush();
    const queuedSeconds = (performance.now() - started) / 1000;
    const queuedRate = ingestEvents / queuedSeconds;

    // 2. The fail-closed path: 64 logins at a time, each waiting until its own event is committed.
    log(`audit: fail-closed commits for ${commitSeconds} s (64 concurrent)`);
    const latencies = [];
    let committed = 0;
    const until = performance.now() + commitSeconds * 1000;
    started = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async (_, w) => {
        for (let i = 0; performance.now() < until; i++) {
          const t0 = performance.now();
          await trail.commit(connectEvent(w * 1_000_000 + i));
          latencies.push(performance.now() - t0);
          committed += 1;
        }
      }),
    );
    const commitRate = committed / ((performance.now() - started) / 1000);

    // 3. Verification of the chain just written (every event's hash recomputed, every lookup column checked).
    log('audit: verify');
    started = performance.now();
    const report = await verifyTrail({
      rows: trailRows(store.pool),
      head: await readHead(store.pool),
      digests: await readDigests(store.pool),
      publicKeys: [],
    });
    const verifySeconds = (performance.now() - started) / 1000;
    if (!report.ok) throw new Error(`the bench's own trail does not verify: ${report.findings[0]?.message}`);
    await trail.close();

    // 4. LookupEvents over a large trail: synthetic rows spread over the last 30 days, loaded into a partition of
    //    their own (an old period, seq numbers above the real ones) that is indexed and attached after loading, as
    //    a bulk import would be; then indexed lookups are timed.
    log(`audit: loading ${lookupSize.toLocaleString('en')} events for the lookup figures`);
    started = performance.now();
    const base = 1_000_000_000_000;
    // Its own connection: the store pool's 5 s query deadline is for serving, not for loading millions of rows.
    await withClient(cluster.adminUrl('audit'), async (loader) => {
      await loader.query('CREATE TABLE gh_audit_events_2000_01 (LIKE gh_audit_events INCLUDING DEFAULTS)');
      for (let from = 1; from <= lookupSize; from += LOAD_CHUNK) {
        const to = Math.min(lookupSize, from + LOAD_CHUNK - 1);
        await loader.query(
          `INSERT INTO gh_audit_events_2000_01 (period, seq, event_id, event_time, event_name, request_id, principal,
             username, access_key_id, source_ip, resource, outcome, error_code, body, prev_hash, hash)
           SELECT '2000-01', $1::bigint + i, gen_random_uuid(),
                  now() - interval '30 days' + (i::float8 / $4) * interval '30 days',
                  CASE WHEN i % 10 = 0 THEN 'db.disconnect' ELSE 'db.connect' END,
                  md5(i::text), CASE WHEN i % 3 = 0 THEN 'arn:aws:iam::123456789012:user/u' || (i % 5000) END,
                  'user-' || (i % 10000),
                  CASE WHEN i % 3 = 0 THEN 'AKIA' || upper(substr(md5((i % 5000)::text), 1, 16)) END,
                  '10.' || (i % 250) || '.' || ((i / 250) % 250) || '.1', 'bench',
                  CASE WHEN i % 20 = 0 THEN 'failure' ELSE 'success' END,
                  CASE WHEN i % 20 = 0 THEN 'GH_AUTH_FAILED' END,
                  '{"type":"db.connect","i":' || i || ',"pad":"' || repeat('x', 300) || '"}',
                  sha256(int8send(i - 1)), sha256(int8send(i))
             FROM generate_series($2::bigint, $3::bigint) AS i`,
          [base, from, to, lookupSize],
        );
        log(`audit: ${to.toLocaleString('en')} loaded`);
      }
      await loader.query("ALTER TABLE gh_audit_events_2000_01 ADD CHECK (period = '2000-01')");
      log('audit: indexing and attaching the loaded partition');
      await loader.query(
        "ALTER TABLE gh_audit_events ATTACH PARTITION gh_audit_events_2000_01 FOR VALUES IN ('2000-01')",
      );
      await loader.query('ANALYZE gh_audit_events');
    });
    const loadSeconds = (performance.now() - started) / 1000;

    const time = async (filter, runs = 25) => {
      const ms = [];
      let rows = 0;
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const page = await lookupEvents(store.pool, filter(i), { direction: 'backward', limit: 50 });
        ms.push(performance.now() - t0);
        rows += page.rows.length;
      }
      return {
        medianMs: median(ms),
        p95Ms: percentile(ms, 95),
        maxMs: Math.max(...ms),
        rowsPerPage: rows / runs,
      };
    };
    const day = 86_400_000;
    const lookups = {
      username: await time((i) => ({ username: `user-${(i * 397) % 10_000}` })),
      accessKey: await time((i) => ({
        accessKeyId: `AKIA${createHex((i * 13) % 5000)}`,
      })),
      requestId: await time((i) => ({ requestId: createMd5(1 + ((i * 7919) % lookupSize)) })),
      eventNameNewest: await time(() => ({ eventName: 'db.disconnect' })),
      usernameAndDay: await time((i) => ({
        username: `user-${(i * 31) % 10_000}`,
        startTime: new Date(Date.now() - (20 - (i % 10)) * day),
        endTime: new Date(Date.now() - (19 - (i % 10)) * day),
      })),
      failuresNewest: await time(() => ({ outcome: 'failure' })),
    };
    return {
      ingestEvents,
      commitSeconds,
      queuedRate,
      queuedSeconds,
      commitRate,
      commitMedianMs: median(latencies),
      commitP99Ms: percentile(latencies, 99),
      verifyRate: report.events / verifySeconds,
      verifiedEvents: report.events,
      lookupSize,
      loadSeconds,
      lookups,
    };
  } finally {
    await store?.close();
    await cluster.stop();
  }
}

/** md5(i::text) as PostgreSQL computes it (the synthetic rows' request ids). */
function createMd5(i) {
  return createHash('md5').update(String(i)).digest('hex');
}

/** 'AKIA' || upper(substr(md5(n::text), 1, 16)) without the prefix. */
function createHex(n) {
  return createMd5(n).slice(0, 16).toUpperCase();
}
