// Runs one generated case on its own connection and accounts for it: messages, how the server ended it (refusal
// time, ErrorResponse, deadline), and findings (hangs, unanswered messages, generator errors). Keeps the cases in
// flight and those just finished, which become the suspects when the process crashes or rejects.
import { performance } from 'node:perf_hooks';
import { type CaseRecord, FamilyCounts, type Finding, Latencies } from './stats.js';
import type { CaseFamily, Finish, FuzzCase, Listener } from './target.js';
import { ReadTimeout, Wire } from './wire.js';

const CASE_TIMEOUT_MS = 30_000;
const CLOSE_AFTER_EOF_MS = 10_000;
const STALL_GRACE_MS = 5_000;
const MAX_FINDINGS_PER_KIND = 20;
const SUSPECT_LIMIT = 200;
/** How far back finished cases count as suspects of a crash or rejection. */
const RECENT_MS = 2000;

export interface CaseRunnerOptions {
  readonly concurrency: number;
  /** How long an `await` finish waits for the server to refuse on its own before sending EOF. */
  readonly awaitMs: number;
  /** The server's start-up deadline (stalled cases must be closed by then, plus grace). */
  readonly startupDeadlineMs: number;
}

export class CaseRunner {
  sent = 0;
  postSent = 0;
  connections = 0;
  splitMessages = 0;
  pipelinedPreAuth = 0;
  tlsConnections = 0;
  withErrorResponse = 0;
  beforeLastByte = 0;
  awaitedThenEof = 0;
  maxStallMs = 0;
  /** Set once the process under test is gone: failures after that are consequences, not findings. */
  crashed = false;
  readonly latencies = new Latencies();
  readonly families = new FamilyCounts();
  readonly findings: Finding[] = [];
  /** SQLSTATE of the first ErrorResponse of each pre-auth connection: which layers the cases reached. */
  readonly refusalCodes = new Map<string, number>();
  /** performance.now() of each finding, to drop those a crash caused (see suspects()). */
  private readonly foundAt: number[] = [];
  private readonly active = new Map<string, { wire: Wire; family: string; listener: string }>();
  private readonly recent: Array<{ at: number; r: CaseRecord }> = [];

  constructor(private readonly o: CaseRunnerOptions) {}

  private find(kind: Finding['kind'], detail: string, r: CaseRecord): void {
    const limit = kind.endsWith('suspect') ? SUSPECT_LIMIT : MAX_FINDINGS_PER_KIND;
    if (this.findings.filter((f) => f.kind === kind).length < limit) {
      this.findings.push({ ...r, kind, detail });
      this.foundAt.push(performance.now());
    }
  }

  /**
   * Every case in flight, and every case finished in the last RECENT_MS (the culprit's connection may have been
   * reset, and its case finished, before the exit event arrived), becomes a suspect.
   */
  suspects(kind: 'crash-suspect' | 'rejection-suspect', detail: string): void {
    const since = performance.now() - RECENT_MS;
    if (kind === 'crash-suspect') {
      // Refused connections and failed extra connections just before the exit event are its consequences.
      for (let i = this.findings.length - 1; i >= 0; i--) {
        const f = this.findings[i] as Finding;
        if ((f.kind === 'connect' || f.kind === 'harness') && (this.foundAt[i] as number) >= since) {
          this.findings.splice(i, 1);
          this.foundAt.splice(i, 1);
        }
      }
    }
    for (const { at, r } of this.recent) if (at >= since) this.find(kind, detail, r);
    for (const [id, a] of this.active) this.find(kind, detail, record(id, a.family, a.listener, a.wire));
  }

  async run(id: string, family: CaseFamily, kase: FuzzCase): Promise<void> {
    const r = (w: Wire | null) => () => record(id, family.name, kase.listener.name, w);
    let wire: Wire;
    try {
      wire = await Wire.open(kase.listener);
    } catch (e) {
      if (!this.crashed) this.find('connect', (e as Error).message, r(null)());
      return;
    }
    this.connections++;
    wire.onMessages = (n) => {
      this.sent += n;
      if (family.kind === 'post-auth') this.postSent += n;
    };
    this.active.set(id, { wire, family: family.name, listener: kase.listener.name });
    const how = await this.drive(wire, kase, r(wire));
    await this.finish(wire, how, r(wire));
    if (wire.closeAt !== null && family.kind === 'pre-auth') {
      if (wire.errorResponse) this.withErrorResponse++;
      if (wire.errorCode !== null)
        this.refusalCodes.set(wire.errorCode, (this.refusalCodes.get(wire.errorCode) ?? 0) + 1);
      if (wire.closeAt >= wire.lastSendAt) this.latencies.add(wire.closeAt - wire.lastSendAt, r(wire));
      else this.beforeLastByte++;
    }
    wire.destroy();
    this.active.delete(id);
    this.recent.push({ at: performance.now(), r: r(wire)() });
    if (this.recent.length > 2 * this.o.concurrency) this.recent.shift();
    this.splitMessages += wire.splitMessages;
    if (family.kind === 'pre-auth') this.pipelinedPreAuth += wire.pipelinedMessages;
    if (wire.wasEncrypted) this.tlsConnections++;
    this.families.add(family.name, wire.messages);
  }

  /** Runs the case's script (with its extra connections) under a time limit; returns how to finish. */
  private async drive(wire: Wire, kase: FuzzCase, r: () => CaseRecord): Promise<Finish> {
    const extras: Wire[] = [];
    const extra = async (listener: Listener) => {
      const w = await Wire.open(listener);
      this.connections++;
      w.onMessages = wire.onMessages;
      extras.push(w);
      return w;
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), CASE_TIMEOUT_MS);
      });
      const outcome = await Promise.race([kase.run(wire, extra), timeout]);
      if (outcome !== 'timeout') return outcome;
      this.find('hang', `case still running after ${CASE_TIMEOUT_MS} ms`, r());
    } catch (e) {
      // A read timeout is the server's silence; anything else thrown is a bug in the generator, never ignored.
      if (this.crashed) {
        // the process under test is gone: whatever failed here is a consequence, not a finding
      } else if (!(e instanceof ReadTimeout)) this.find('harness', (e as Error).stack ?? String(e), r());
      else if (!wire.closed) this.find('unanswered', e.message, r());
    } finally {
      clearTimeout(timer);
      for (const w of extras) w.destroy();
    }
    return 'fin';
  }

  private async finish(wire: Wire, how: Finish, r: () => CaseRecord): Promise<void> {
    if (how === 'done') return;
    if (how === 'hold') {
      const limit = this.o.startupDeadlineMs + STALL_GRACE_MS;
      if (!(await wire.waitClosed(Math.max(0, limit - (performance.now() - wire.openedAt))))) {
        this.find('deadline', `still open ${limit} ms after connecting`, r());
      } else this.maxStallMs = Math.max(this.maxStallMs, (wire.closeAt as number) - wire.openedAt);
      return;
    }
    if (how === 'await' && !(await wire.waitClosed(this.o.awaitMs))) this.awaitedThenEof++;
    if (!wire.closed) {
      wire.end();
      if (!(await wire.waitClosed(CLOSE_AFTER_EOF_MS))) {
        this.find('hang', `open ${CLOSE_AFTER_EOF_MS} ms after EOF`, r());
      }
    }
  }
}

function record(id: string, family: string, listener: string, wire: Wire | null): CaseRecord {
  return { caseId: id, family, listener, transcript: wire ? [...wire.transcript] : [] };
}
