// Runs the target's good client (one round at a time) and keeps every result, so a campaign can show that real
// clients logged in before, throughout and after the fuzzing.
import type { FuzzTarget, GoodClientResult } from './target.js';

export interface GoodClientEntry extends GoodClientResult {
  /** When the round ran: `before`, `after N messages`, `after`. */
  readonly when: string;
}

export class GoodClientLog {
  private readonly results: GoodClientEntry[] = [];
  private running: Promise<void> | null = null;
  private rounds = 0;

  constructor(private readonly target: FuzzTarget) {}

  /** One round of every good-client check; skipped if a round is still running (the next threshold catches up). */
  async check(when: string): Promise<void> {
    if (this.running) return;
    this.rounds++;
    this.running = (async () => {
      const results = await this.target
        .goodClient()
        .catch((e: unknown) => [{ name: 'good-client', ok: false, ms: 0, error: (e as Error).message }]);
      for (const r of results) this.results.push({ ...r, when });
    })();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  summary(): {
    rounds: number;
    checks: number;
    passed: number;
    failed: number;
    maxMs: number;
    failures: GoodClientEntry[];
  } {
    const failures = this.results.filter((r) => !r.ok);
    return {
      rounds: this.rounds,
      checks: this.results.length,
      passed: this.results.length - failures.length,
      failed: failures.length,
      maxMs: Math.round(Math.max(0, ...this.results.map((r) => r.ms))),
      failures,
    };
  }
}
