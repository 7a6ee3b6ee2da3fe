// The campaign: bounded-concurrency workers run generated cases against the target's listeners until the message
// target or the deadline, a good client logs in every N messages, and the process under test is watched for
// exits, uncaught exceptions and unhandled rejections (the cases in flight at that moment are the suspects).
import { performance } from 'node:perf_hooks';
import { CaseRunner } from './case-runner.js';
import { GoodClientLog } from './good-client-log.js';
import { Rng } from './rng.js';
import type { FamilyCounts, Finding, Latencies } from './stats.js';
import {
  assertLoopback,
  type CaseContext,
  type CaseFamily,
  type FuzzTarget,
  type HookEvent,
  type ProcessExit,
  type TargetProcess,
} from './target.js';

export interface CampaignOptions {
  readonly messages: number;
  readonly concurrency: number;
  readonly seed: number;
  /** Run the good client after every this many messages (and once before and after). */
  readonly checkEvery: number;
  /** The campaign stops issuing cases after this long, whatever the count. */
  readonly deadlineMs: number;
  /** Post-auth sessions may contribute at most this fraction of all messages. */
  readonly postAuthShare: number;
  readonly tlsProbability: number;
  /** One stalled start at pre-auth case 0, N, 2N, … (0: none). */
  readonly stallEvery: number;
  /** How long an `await` finish waits for the server to refuse on its own before sending EOF. */
  readonly awaitMs: number;
  /** Only these generator families (all when absent). */
  readonly families?: readonly string[];
  /** Run only this case (e.g. `p1234`), for reproduction. */
  readonly only?: string;
  readonly progress?: (line: string) => void;
  /** Called once the first good-client round is done, just before fuzzing starts (e.g. a memory sample). */
  readonly beforeFuzz?: () => Promise<void>;
  /** Polled: true stops the campaign early (Ctrl-C). */
  readonly interrupted?: () => boolean;
}

export interface CampaignResult {
  readonly seed: number;
  readonly messagesTarget: number;
  readonly messages: number;
  readonly connections: number;
  readonly splitMessages: number;
  /** Pre-auth messages written behind another in the same write (the server may refuse before reading them). */
  readonly pipelinedPreAuth: number;
  readonly postAuthMessages: number;
  readonly tlsConnections: number;
  readonly durationMs: number;
  readonly stoppedBy: 'target' | 'deadline' | 'crash' | 'case' | 'interrupted';
  readonly exit: ProcessExit | null;
  readonly hookEvents: HookEvent[];
  readonly errorLogLines: string[];
  readonly goodClient: ReturnType<GoodClientLog['summary']>;
  readonly refusals: ReturnType<Latencies['summary']> & {
    withErrorResponse: number;
    beforeLastByte: number;
    /** SQLSTATE -> pre-auth connections refused with it. */
    codes: Record<string, number>;
  };
  /** `await` finishes where the server was (rightly) waiting for more and closed on our EOF instead. */
  readonly awaitedThenEof: number;
  readonly stalls: { count: number; maxCloseMs: number };
  readonly findings: Finding[];
  readonly families: FamilyCounts['byName'];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Case ids: the stream of a case is derived from the seed and its id, so `only` regenerates it exactly. */
function streamOf(id: string): number {
  const n = Number(id.slice(1));
  return id[0] === 'p' ? 2 * n : id[0] === 'a' ? 2 * n + 1 : 0x40000000 + n;
}

export async function runCampaign(
  target: FuzzTarget,
  proc: TargetProcess,
  o: CampaignOptions,
): Promise<CampaignResult> {
  assertLoopback(target.listeners);
  const ctx: CaseContext = { tlsProbability: o.tlsProbability };
  const kinds = (k: CaseFamily['kind']) =>
    target.families.filter((f) => f.kind === k && (!o.families || o.families.includes(f.name)));
  const pre = kinds('pre-auth');
  const post = kinds('post-auth');
  const stall = kinds('stall');
  const runner = new CaseRunner({ ...o, startupDeadlineMs: target.startupDeadlineMs });
  const good = new GoodClientLog(target);
  const stalls: Promise<void>[] = [];
  let crashed: ProcessExit | null = null;
  let finished = false;
  const started = performance.now();
  const deadline = started + o.deadlineMs;
  const stop = () =>
    crashed !== null ||
    runner.sent >= o.messages ||
    performance.now() > deadline ||
    o.interrupted?.() === true;
  void proc.exit.then((e) => {
    if (finished) return; // stopped on purpose after the campaign
    crashed = e;
    runner.crashed = true;
    runner.suspects('crash-suspect', `process exited (code ${e.code}, signal ${e.signal})`);
  });

  const generate = (id: string, from: readonly CaseFamily[]) => {
    const rng = new Rng(o.seed, streamOf(id));
    const family = rng.weighted(from.map((f) => [f.weight, f] as const));
    return { family, kase: family.generate(rng, ctx) };
  };
  const runOne = (id: string, from: readonly CaseFamily[]) => {
    const { family, kase } = generate(id, from);
    return runner.run(id, family, kase);
  };

  await good.check('before');
  await o.beforeFuzz?.();
  let seenRejections = 0;
  const hookWatch = setInterval(() => {
    const rejections = proc.hookEvents().filter((e) => e.kind === 'unhandledRejection').length;
    if (rejections > seenRejections) {
      runner.suspects('rejection-suspect', `${rejections} unhandled rejection(s) logged`);
    }
    seenRejections = rejections;
  }, 1000);
  let nextCheck = o.checkEvery;
  const ticker = setInterval(() => {
    if (runner.sent >= nextCheck && !stop()) {
      nextCheck = runner.sent + o.checkEvery;
      void good.check(`after ${runner.sent} messages`);
    }
  }, 200);
  let lastRefresh = performance.now();
  const progress = setInterval(() => {
    const s = Math.round((performance.now() - started) / 1000);
    const failed = good.summary().failed;
    o.progress?.(
      `  ${s}s: ${runner.sent} messages, ${runner.connections} connections, ${failed} good-client failures`,
    );
    if (performance.now() - lastRefresh > 60_000) {
      lastRefresh = performance.now();
      void target.refresh?.();
    }
  }, 10_000);

  let preIndex = 0;
  let postIndex = 0;
  const preWorker = async () => {
    while (!stop()) {
      const i = preIndex++;
      if (stall.length > 0 && o.stallEvery > 0 && i % o.stallEvery === 0) {
        stalls.push(runOne(`s${i / o.stallEvery}`, stall)); // alongside, not in a worker slot
      }
      await runOne(`p${i}`, pre);
    }
  };
  const postWorker = async () => {
    while (!stop()) {
      if (runner.postSent > o.postAuthShare * Math.max(runner.sent, 1000)) await sleep(50);
      else await runOne(`a${postIndex++}`, post);
    }
  };

  if (o.only) {
    await runOne(o.only, o.only[0] === 'p' ? pre : o.only[0] === 'a' ? post : stall);
  } else {
    const postWorkers =
      post.length > 0 && o.postAuthShare > 0 ? Math.max(1, Math.round(o.concurrency / 16)) : 0;
    await Promise.all([
      ...Array.from({ length: o.concurrency - postWorkers }, preWorker),
      ...Array.from({ length: postWorkers }, postWorker),
    ]);
  }
  await Promise.all(stalls);
  clearInterval(ticker);
  clearInterval(progress);
  await good.idle();
  if (!crashed) await good.check('after');
  clearInterval(hookWatch);
  finished = true;
  const exit = crashed as ProcessExit | null;
  const stoppedBy: CampaignResult['stoppedBy'] = exit
    ? 'crash'
    : o.only
      ? 'case'
      : runner.sent >= o.messages
        ? 'target'
        : o.interrupted?.()
          ? 'interrupted'
          : 'deadline';
  return {
    seed: o.seed,
    messagesTarget: o.messages,
    messages: runner.sent,
    connections: runner.connections,
    splitMessages: runner.splitMessages,
    pipelinedPreAuth: runner.pipelinedPreAuth,
    postAuthMessages: runner.postSent,
    tlsConnections: runner.tlsConnections,
    durationMs: performance.now() - started,
    stoppedBy,
    exit,
    hookEvents: proc.hookEvents(),
    errorLogLines: proc.errorLines(),
    goodClient: good.summary(),
    refusals: {
      ...runner.latencies.summary(),
      withErrorResponse: runner.withErrorResponse,
      beforeLastByte: runner.beforeLastByte,
      codes: Object.fromEntries(runner.refusalCodes),
    },
    awaitedThenEof: runner.awaitedThenEof,
    stalls: { count: stalls.length, maxCloseMs: Math.round(runner.maxStallMs) },
    findings: [...runner.findings],
    families: { ...runner.families.byName },
  };
}
