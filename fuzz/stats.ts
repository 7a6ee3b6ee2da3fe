// Campaign bookkeeping: refusal latencies (percentiles, the slowest cases with their transcripts), per-family
// counts, and findings (each with the case id and the bytes that reproduce it).

export interface CaseRecord {
  /** `p<n>` pre-auth, `a<n>` post-auth, `s<n>` stall: with the seed, enough to regenerate the case. */
  readonly caseId: string;
  readonly family: string;
  readonly listener: string;
  readonly transcript: readonly string[];
}

export interface Finding extends CaseRecord {
  /**
   * `hang`: the server kept a connection open after EOF; `unanswered`: no answer where the protocol demands one;
   * `deadline`: a stalled start outlived the start-up deadline; `connect`: the listener refused a connection;
   * `harness`: the generator itself threw (a fuzzer bug, reported so it is not silently lost);
   * `crash-suspect` / `rejection-suspect`: in flight when the process died / logged an unhandled rejection.
   */
  readonly kind:
    | 'hang'
    | 'unanswered'
    | 'deadline'
    | 'connect'
    | 'harness'
    | 'crash-suspect'
    | 'rejection-suspect';
  readonly detail: string;
}

export interface Slow extends CaseRecord {
  readonly ms: number;
}

export class Latencies {
  private readonly values: number[] = [];
  private readonly slowest: Slow[] = [];

  constructor(private readonly keep = 5) {}

  add(ms: number, record: () => CaseRecord): void {
    this.values.push(ms);
    const floor = this.slowest.length < this.keep ? -1 : (this.slowest[this.slowest.length - 1] as Slow).ms;
    if (ms > floor) {
      this.slowest.push({ ...record(), ms });
      this.slowest.sort((a, b) => b.ms - a.ms);
      this.slowest.length = Math.min(this.slowest.length, this.keep);
    }
  }

  get count(): number {
    return this.values.length;
  }

  summary(): { count: number; p50Ms: number; p99Ms: number; maxMs: number; slowest: Slow[] } {
    const sorted = Float64Array.from(this.values).sort();
    const at = (q: number) =>
      sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number) : 0;
    return {
      count: sorted.length,
      p50Ms: round(at(0.5)),
      p99Ms: round(at(0.99)),
      maxMs: round(sorted.length ? (sorted[sorted.length - 1] as number) : 0),
      slowest: this.slowest.map((s) => ({ ...s, ms: round(s.ms) })),
    };
  }
}

export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export interface FamilyCount {
  connections: number;
  messages: number;
}

export class FamilyCounts {
  readonly byName: Record<string, FamilyCount> = {};

  add(name: string, messages: number): void {
    const c = this.byName[name] ?? { connections: 0, messages: 0 };
    this.byName[name] = c;
    c.connections++;
    c.messages += messages;
  }
}
