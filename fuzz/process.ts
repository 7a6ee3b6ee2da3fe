// Runs the server under test as a child process with crash-hooks.mjs preloaded: a crash is the child exiting,
// hook events come from a JSON-lines file, memory from /proc/<pid>/status plus an IPC probe after a full GC.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HookEvent, MemorySample, ProcessExit, TargetProcess } from './target.js';

const HOOKS = fileURLToPath(new URL('./crash-hooks.mjs', import.meta.url));
const TAIL_LINES = 200;

export interface SpawnTargetOptions {
  /** Node script to run (.mjs). It sends `{ type: 'fuzz:ready', info }` over IPC once it is serving. */
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  /** Where the hook log, the child's output and (optionally) its operator log live. */
  readonly workDir: string;
  /** The child's pino log file (JSON lines); error-level lines are reported. */
  readonly operatorLog?: string;
  readonly readyTimeoutMs?: number;
}

function readVm(pid: number): { rss: number | null; hwm: number | null } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) : null;
    };
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: null, hwm: null };
  }
}

/** utime + stime from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux). */
function readCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function readJsonLines(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [{ msg: l }];
      }
    });
}

/** Starts the child and resolves once it reports ready, with the info it sent. */
export async function spawnTarget<Info>(o: SpawnTargetOptions): Promise<{ proc: TargetProcess; info: Info }> {
  const hookLog = join(o.workDir, 'hooks.jsonl');
  const output = createWriteStream(join(o.workDir, 'child-output.log'));
  // FUZZ_TARGET_NODE_ARGS: extra Node flags for the process under test, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`.
  const extra = (process.env['FUZZ_TARGET_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const child: ChildProcess = spawn(
    process.execPath,
    [...extra, '--expose-gc', '--import', HOOKS, o.script],
    {
      env: { ...process.env, ...o.env, FUZZ_HOOK_LOG: hookLog },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    output.write(chunk);
    tail.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
    if (tail.length > TAIL_LINES) tail.splice(0, tail.length - TAIL_LINES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<ProcessExit>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      output.end();
      resolve({ code, signal });
    }),
  );
  const pending = new Map<number, (m: Record<string, unknown>) => void>();
  let ready: ((info: Info) => void) | null = null;
  child.on('message', (m: Record<string, unknown>) => {
    if (m['type'] === 'fuzz:ready') ready?.(m['info'] as Info);
    if (m['type'] === 'fuzz:memory') pending.get(m['id'] as number)?.(m);
  });
  const pid = child.pid ?? -1;
  let probeId = 0;

  const proc: TargetProcess = {
    pid,
    exit,
    get exited() {
      return exited;
    },
    hookEvents: () => readJsonLines(hookLog) as unknown as HookEvent[],
    errorLines: () =>
      o.operatorLog
        ? readJsonLines(o.operatorLog)
            .filter((l) => typeof l['level'] !== 'number' || (l['level'] as number) >= 50)
            .map((l) => JSON.stringify(l))
        : [],
    outputTail: () => tail.join('\n'),
    async memory(): Promise<MemorySample> {
      const id = ++probeId;
      const reply = exited
        ? null
        : await new Promise<Record<string, unknown> | null>((resolve) => {
            const timer = setTimeout(() => resolve(null), 10_000);
            pending.set(id, (m) => {
              clearTimeout(timer);
              resolve(m);
            });
            child.send({ type: 'fuzz:memory', id });
          });
      pending.delete(id);
      const vm = readVm(pid);
      const num = (k: string) => (reply && typeof reply[k] === 'number' ? (reply[k] as number) : null);
      return {
        rssKb: vm.rss,
        peakRssKb: vm.hwm,
        heapUsedBytes: num('heapUsed'),
        activeHandles: num('activeHandles'),
        eventLoopDelayMaxMs: num('loopMaxMs'),
        eventLoopDelayP99Ms: num('loopP99Ms'),
        cpuSeconds: readCpuSeconds(pid),
      };
    },
    async stop() {
      if (exited) return;
      child.send({ type: 'fuzz:stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };

  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the target did not start in time:\n${proc.outputTail()}`));
    }, o.readyTimeoutMs ?? 120_000);
    ready = (i) => {
      clearTimeout(timer);
      resolve(i);
    };
    void exit.then((e) => {
      clearTimeout(timer);
      reject(
        new Error(`the target exited (${e.code ?? e.signal}) before it was ready:\n${proc.outputTail()}`),
      );
    });
  });
  return { proc, info };
}
