// The floor targets: the cheapest relays between pgbench and the same PostgreSQL, each its own process, so every
// report says how far Gatehouse is from the cheapest relay Node can be, and how far Node is from the cheapest
// relay at all. Node (plain, and terminating TLS as Gatehouse does) and a one-thread C relay built here with
// the system gcc (skipped, with the reason printed, when gcc is missing; nothing is downloaded).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.mjs';
import { runCommand, stopChild } from './process.mjs';

const HERE = fileURLToPath(new URL('./floor/', import.meta.url));
const GCC = '/usr/bin/gcc';

/** Starts `command args` and resolves once it prints "ready"; registers its stop with the bench's clean-up. */
function startReady(name, command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    child.stdout.setEncoding('utf8').on('data', (d) => {
      if (d.includes('ready')) resolve(child);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`${name} exited (${code}) before it was ready: ${stderr.trim()}`)),
    );
    onCleanup(name, () => stopChild(child, 3000));
  });
}

/** The plain Node relay; with `tls`, the same relay terminating PostgreSQL's TLS. */
export async function startNodeFloor({ port, backendPort, tls = null, nodeFlags = [] }) {
  const args = [...nodeFlags, join(HERE, 'node-relay.mjs'), String(port), String(backendPort)];
  if (tls) args.push('--tls', tls.certFile, tls.keyFile);
  const child = await startReady(tls ? 'Node TLS relay' : 'Node relay', process.execPath, args);
  return { port, pid: child.pid };
}

/** The C relay compiled into `workDir`, or `{ skipped }` with the reason. */
export async function startNativeFloor({ port, backendPort, workDir }) {
  if (!existsSync(GCC))
    return { skipped: `no ${GCC} on this machine: native floor skipped (apt-get install gcc)` };
  const binary = join(workDir, 'c-relay');
  const built = await runCommand(GCC, ['-O2', '-o', binary, join(HERE, 'c-relay.c')]);
  if (built.code !== 0) return { skipped: `gcc could not build the native floor: ${built.stderr.trim()}` };
  const child = await startReady('C relay', binary, [String(port), String(backendPort)]);
  return { port, pid: child.pid };
}
