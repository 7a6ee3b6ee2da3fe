// The fuzz campaign in small (20,000 messages) inside `npm test`: the same harness and generators as
// `npm run fuzz`, against Gatehouse running in a child process. FUZZ_SEED=<n> replays a failing run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../../fuzz/campaign.js';
import { type RunningSystem, startGatehouse } from '../../fuzz/postgres/gatehouse.js';
import { counts, formatSummary, machineInfo, verdict } from '../../fuzz/report.js';
import { randomSeed } from '../../fuzz/rng.js';

const MESSAGES = 20_000;

describe('fuzz smoke: the PostgreSQL listeners under 20,000 generated and mutated messages', () => {
  let system: RunningSystem | undefined;
  beforeAll(async () => {
    system = await startGatehouse();
  });
  afterAll(async () => system?.stop());

  it('nothing crashes, rejects unhandled, hangs or logs an error, and the good client logs in throughout', async () => {
    const s = system as RunningSystem;
    const options = {
      messages: MESSAGES,
      concurrency: 32,
      seed: Number(process.env['FUZZ_SEED'] ?? randomSeed()),
      checkEvery: 5_000,
      deadlineMs: 150_000,
      postAuthShare: 0.2,
      tlsProbability: 0.1,
      stallEvery: 1_000_000_000, // one stalled start, at the beginning
      awaitMs: 250,
    };
    const result = await runCampaign(s.target, s.proc, options);
    const config = { ...options, writeReport: false };
    const run = {
      target: 'postgres',
      command: 'vitest test/fuzz/smoke.test.ts',
      startedAt: new Date().toISOString(),
      machine: machineInfo(),
      config,
      memoryBefore: null,
      memoryAfter: null,
      fuzzerCpuSeconds: null,
    };
    const summary = formatSummary(result, run);
    const r = result.refusals;
    console.log(
      `fuzz smoke: seed ${result.seed}, ${result.messages} messages, ${result.connections} connections in ${(result.durationMs / 1000).toFixed(1)} s; good client ${result.goodClient.passed}/${result.goodClient.checks}; refusals p99 ${r.p99Ms} ms, slowest ${r.maxMs} ms`,
    );
    const n = counts(result);
    expect(n.crashes, summary).toBe(0);
    expect(n.unhandledRejections, summary).toBe(0);
    expect(result.goodClient.failed, summary).toBe(0);
    expect(result.goodClient.passed, summary).toBeGreaterThanOrEqual(8); // before and after, at least
    expect(result.findings, summary).toEqual([]);
    expect(result.errorLogLines, summary).toEqual([]);
    expect(result.messages, summary).toBeGreaterThanOrEqual(MESSAGES);
    expect(result.stalls.count, summary).toBe(1);
    expect(verdict(result, config), summary).toEqual([]);
  }, 240_000);
});
