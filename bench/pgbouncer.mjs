// pgbouncer for comparison: transaction pooling and SCRAM, from a generated ini, run as the postgres OS user when root.

import { spawn } from 'node:child_process';
import { access, chown, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findFreePort } from '../dist/store/embedded.js';
import { onExit } from './cleanup.mjs';
import { BENCH_DB, SUPERUSER } from './postgres.mjs';
import { runCommand, stopChild, waitForPort } from './process.mjs';

export const PGBOUNCER_BIN = '/usr/sbin/pgbouncer';
const OS_USER = 'postgres';
const STOP_GRACE_MS = 5_000;

/** "PgBouncer 1.18.0", or null when the binary is not installed. */
export async function pgbouncerVersion() {
  try {
    await access(PGBOUNCER_BIN);
  } catch {
    return null;
  }
  const { stdout } = await runCommand(PGBOUNCER_BIN, ['--version']);
  return stdout.split('\n')[0]?.trim() || 'unknown version';
}

async function osUserIds(name) {
  const [uid, gid] = await Promise.all([runCommand('id', ['-u', name]), runCommand('id', ['-g', name])]);
  if (uid.code !== 0 || gid.code !== 0)
    throw new Error(`OS user ${name} not found (pgbouncer refuses to run as root)`);
  return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
}

/** auth_file quoting: a double quote inside a field is doubled (pgbouncer docs, "Authentication file format"). */
const quote = (s) => `"${s.replaceAll('"', '""')}"`;

function renderIni({ port, backendPort, dir, poolSize, maxClientConn }) {
  return [
    '[databases]',
    `${BENCH_DB} = host=127.0.0.1 port=${backendPort} dbname=${BENCH_DB}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    // No Unix socket: nothing shared in /tmp, and every target is measured over loopback TCP.
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    'pool_mode = transaction',
    `default_pool_size = ${poolSize}`,
    `max_client_conn = ${maxClientConn}`,
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    'log_connections = 0',
    'log_disconnections = 0',
    'ignore_startup_parameters = extra_float_digits',
    '',
  ].join('\n');
}

/**
 * Starts pgbouncer in `dir` in front of the bench database. The auth_file holds the superuser's
 * plaintext password: with it pgbouncer can run SCRAM both with the client and with PostgreSQL.
 */
export async function startPgbouncer({ dir, backendPort, password, poolSize, maxClientConn = 200 }) {
  const port = await findFreePort();
  const iniFile = join(dir, 'pgbouncer.ini');
  await writeFile(iniFile, renderIni({ port, backendPort, dir, poolSize, maxClientConn }), { mode: 0o600 });
  await writeFile(join(dir, 'userlist.txt'), `${quote(SUPERUSER)} ${quote(password)}\n`, { mode: 0o600 });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = await osUserIds(OS_USER);
    for (const f of [dir, iniFile, join(dir, 'userlist.txt')]) await chown(f, uid, gid);
  }
  const child = spawn(PGBOUNCER_BIN, [...(asRoot ? ['-u', OS_USER] : []), iniFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
  });
  onExit(() => child.exitCode === null && child.kill('SIGKILL'));
  // SIGTERM is pgbouncer's immediate shutdown; SIGKILL if it lingers.
  const stop = () => stopChild(child, STOP_GRACE_MS);
  try {
    await waitForPort(port, { alive: () => child.exitCode === null });
  } catch (e) {
    await stop();
    const log = await readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => '');
    const tail = `${stderr}\n${log}`.trim().split('\n').slice(-5).join(' | ');
    throw new Error(`pgbouncer did not start: ${e instanceof Error ? e.message : String(e)}: ${tail}`);
  }
  return { port, pid: child.pid, stop };
}
