// The fuzz harness can fail: pointed at a deliberately fragile toy server (fuzz/toy/fragile-server.mjs), it
// reports the crash with the bytes that caused it, counts unhandled rejections, and notices a wedged server
// through its good client.
import { describe, expect, it } from 'vitest';
import { type CampaignOptions, runCampaign } from '../../fuzz/campaign.js';
import { counts, verdict } from '../../fuzz/report.js';
import { startToy, type ToyMode } from '../../fuzz/toy/toy.js';

const OPTIONS: CampaignOptions = {
  messages: 3_000,
  concurrency: 16,
  seed: 7,
  checkEvery: 500,
  deadlineMs: 60_000,
  postAuthShare: 0,
  tlsProbability: 0,
  stallEvery: 0,
  awaitMs: 100,
  families: ['startup', 'negotiation', 'noise', 'oversize', 'scram-first'],
};

async function fuzzToy(mode: ToyMode, options: Partial<CampaignOptions> = {}) {
  const toy = await startToy(mode);
  try {
    return await runCampaign(toy.target, toy.proc, { ...OPTIONS, ...options });
  } finally {
    await toy.stop();
  }
}

/** The first client write of a transcript line (`c> <hex>…`), as bytes. */
const firstWrite = (transcript: readonly string[]) =>
  Buffer.from((transcript.find((t) => t.startsWith('c> ')) ?? 'c> ').slice(3).split(' ')[0] as string, 'hex');

describe('the fuzz harness against a fragile toy server', () => {
  it('reports a crash (the process exits) with the in-flight cases and their bytes as suspects', async () => {
    const result = await fuzzToy('crash');
    expect(result.stoppedBy).toBe('crash');
    expect(counts(result).crashes).toBe(1);
    expect(
      result.hookEvents.some((e) => e.kind === 'uncaughtException' && /cannot handle/.test(e.message)),
    ).toBe(true);
    const suspects = result.findings.filter((f) => f.kind === 'crash-suspect');
    // The culprit is among them: a startup-class packet whose length word says more than 10,000 bytes.
    expect(
      suspects.some(
        (f) => firstWrite(f.transcript).length >= 4 && firstWrite(f.transcript).readInt32BE(0) > 10_000,
      ),
    ).toBe(true);
    expect(verdict(result, { ...OPTIONS, writeReport: false }).join()).toMatch(/crash/);
  }, 120_000);

  it('counts unhandled rejections while the process keeps serving, and names the cases in flight', async () => {
    const result = await fuzzToy('reject');
    expect(result.stoppedBy).toBe('target');
    expect(counts(result).unhandledRejections).toBeGreaterThan(0);
    expect(result.findings.some((f) => f.kind === 'rejection-suspect')).toBe(true);
    expect(verdict(result, { ...OPTIONS, writeReport: false }).join()).toMatch(/unhandled rejection/);
  }, 120_000);

  it('fails the good client (and reports unanswered cases) when the server stops answering', async () => {
    const result = await fuzzToy('wedge', { messages: 100_000, deadlineMs: 6_000 });
    expect(result.stoppedBy).toBe('deadline');
    expect(result.goodClient.failed).toBeGreaterThan(0);
    expect(result.findings.some((f) => f.kind === 'unanswered')).toBe(true);
    expect(verdict(result, { ...OPTIONS, writeReport: false }).join()).toMatch(/good-client failure/);
  }, 120_000);
});
