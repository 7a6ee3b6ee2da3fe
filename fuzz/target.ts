// What the fuzz campaign needs from a protocol target: loopback listeners, a good-client check and generator
// families. PostgreSQL is fuzz/postgres/target.ts; a MySQL target adds its own families and good client.
import type { Rng } from './rng.js';
import type { Listener, Wire } from './wire.js';

// Defined in wire.ts (which connects to one) so that wire.ts needs nothing from this file; re-exported for targets.
export type { Listener } from './wire.js';

export interface GoodClientResult {
  /** e.g. `password/plain`, `iam-token/tls`. */
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

/**
 * How a case ends once it has sent its last byte:
 * - `fin`: half-close at once; the server must close promptly (refusal time counted from the FIN);
 * - `await`: wait (a short while) for the server to refuse on its own, then half-close;
 * - `hold`: send nothing more and leave the connection open: the server's start-up deadline must close it;
 * - `done`: the case has closed the connection itself (nothing left to time).
 */
export type Finish = 'fin' | 'await' | 'hold' | 'done';

/** One generated test case: drives one client connection from the first byte to its finish. */
export interface FuzzCase {
  readonly listener: Listener;
  /**
   * Drive the connection. `extra` opens another connection for the same case (e.g. a CancelRequest aimed at
   * this session); its messages count, and it is closed when the case ends.
   */
  run(wire: Wire, extra: (listener: Listener) => Promise<Wire>): Promise<Finish>;
}

export interface CaseContext {
  /** Probability that a pre-auth case runs inside TLS (SSLRequest, then a TLS handshake). */
  readonly tlsProbability: number;
}

export interface CaseFamily {
  readonly name: string;
  /** Relative weight among families of the same kind. */
  readonly weight: number;
  /**
   * `pre-auth` cases are short (one connection, a few messages, a refusal); `post-auth` cases log in and then
   * send many messages, and run on their own workers under a share limit; `stall` cases send an incomplete
   * start and wait for the server's deadline to close them.
   */
  readonly kind: 'pre-auth' | 'post-auth' | 'stall';
  generate(rng: Rng, ctx: CaseContext): FuzzCase;
}

export interface FuzzTarget {
  /** Protocol name for reports: `postgres` (later `mysql`). */
  readonly name: string;
  readonly listeners: readonly Listener[];
  readonly families: readonly CaseFamily[];
  /** Log in with real, unmodified clients and run a trivial query; every result must be ok. */
  goodClient(): Promise<GoodClientResult[]>;
  /** Called about once a minute during a campaign (e.g. to mint fresh IAM tokens). */
  refresh?(): Promise<void>;
  /** The server's deadline for an unfinished start-up: stall cases must be closed within it (plus grace). */
  readonly startupDeadlineMs: number;
}

/** One uncaught exception, unhandled rejection or process warning recorded by crash-hooks.mjs. */
export interface HookEvent {
  readonly kind: 'uncaughtException' | 'unhandledRejection' | 'warning';
  readonly at: string;
  readonly message: string;
  readonly stack?: string;
}

export interface MemorySample {
  /** VmRSS and VmHWM from /proc/<pid>/status, in KiB (null off Linux). */
  readonly rssKb: number | null;
  readonly peakRssKb: number | null;
  /** After a full GC in the process (it runs with --expose-gc). */
  readonly heapUsedBytes: number | null;
  /** libuv handles alive (sockets, timers): grows if connections leak. */
  readonly activeHandles: number | null;
  /** Event loop delay since the last sample, from perf_hooks (ms). */
  readonly eventLoopDelayMaxMs: number | null;
  readonly eventLoopDelayP99Ms: number | null;
  /** User + system CPU time the process has used so far, from /proc/<pid>/stat (null off Linux). */
  readonly cpuSeconds: number | null;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** The process under test: a crash is it exiting; everything else it reports through crash-hooks.mjs. */
export interface TargetProcess {
  readonly pid: number;
  /** Resolves when the process exits, for whatever reason. */
  readonly exit: Promise<ProcessExit>;
  readonly exited: boolean;
  hookEvents(): HookEvent[];
  /** Operator log lines at error level or above (pino level >= 50), if the process has such a log. */
  errorLines(): string[];
  /** The last lines the process wrote to stdout/stderr (for a crash report). */
  outputTail(): string;
  memory(): Promise<MemorySample>;
  stop(): Promise<void>;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** The fuzzer only ever targets this machine. */
export function assertLoopback(listeners: readonly Listener[]): void {
  for (const l of listeners) {
    if (!LOOPBACK.test(l.host)) {
      throw new Error(`refusing to fuzz ${l.host}:${l.port} (${l.name}): only loopback targets are allowed`);
    }
  }
}
