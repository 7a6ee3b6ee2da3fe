// Child processes for the bench, always asynchronous: a spawnSync would freeze the in-process gateway under test.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';

const running = new Set();

/**
 * Runs a command to completion and collects its output. Never rejects on a non-zero exit (the caller
 * reads `code`); `timeoutMs` kills a run that hangs (e.g. a client stuck on a connection that never answers).
 */
export function runCommand(command, args, { env = {}, timeoutMs } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      running.delete(child);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Stops every command still running (Ctrl-C, or a failure elsewhere); synchronous so exit hooks can use it. */
export function killRunningCommands() {
  for (const child of running) child.kill('SIGKILL');
}

function tryConnect(port) {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

/** Waits until something accepts TCP connections on 127.0.0.1:port, while `alive()` says it may still come. */
export async function waitForPort(port, { timeoutMs = 10_000, alive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await tryConnect(port)) return;
    if (!alive()) throw new Error(`the process meant to listen on port ${port} exited`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** Stops a child: SIGTERM (a profiled Node process writes its profile), SIGKILL if it is still there after `graceMs`. */
export async function stopChild(child, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
