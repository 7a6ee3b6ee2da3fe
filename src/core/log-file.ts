// A log file rotated by size with pino-roll; `<name>.log` stays a symbolic link to the file being written.
import { existsSync, lstatSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import pinoRoll from 'pino-roll';
import { DEFAULT_LOG_ROTATION, type LogRotation } from './log-rotation.js';

export type { LogRotation };

export interface RotatingLogFile {
  /** What to show users: the link (`gatehouse.log`), or the file being written when no link could be made. */
  readonly path: string;
  /** A pino destination; writes after close() are dropped. */
  readonly destination: { write(line: string): void };
  /** The numbered file being written now (`gatehouse.3.log`). */
  current(): string;
  close(): Promise<void>;
}

/** Point `link` at `target` (same directory) by renaming a fresh link over it, so readers never miss it. */
function pointLink(link: string, target: string): void {
  const name = basename(target);
  try {
    if (readlinkSync(link) === name) return;
  } catch {
    // absent, or not a link (handled by the caller)
  }
  const temporary = `${link}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  symlinkSync(name, temporary);
  renameSync(temporary, link);
}

/**
 * Open `path` (e.g. `<data-dir>/gatehouse.log`) for appending JSON lines, rotated by size: pino-roll writes
 * `gatehouse.1.log`, `gatehouse.2.log`, … (continuing the highest number found, across restarts) and keeps the
 * newest `maxFiles`; `path` itself becomes a link to the current one, so `tail -F` and earlier instructions keep
 * working. A plain file left at `path` by an earlier version becomes `gatehouse.0.log`, the first to go.
 */
export async function openRotatingLogFile(
  path: string,
  rotation: LogRotation = DEFAULT_LOG_ROTATION,
): Promise<RotatingLogFile> {
  const extension = extname(path) || '.log';
  const base = join(dirname(path), basename(path, extension));
  const existing = lstatSync(path, { throwIfNoEntry: false });
  const legacy = `${base}.0${extension}`;
  if (existing && !existing.isSymbolicLink() && !existsSync(legacy)) renameSync(path, legacy);
  const linkable = !lstatSync(path, { throwIfNoEntry: false }) || lstatSync(path).isSymbolicLink();

  const stream = await pinoRoll({
    file: base,
    extension,
    size: `${rotation.maxBytes}b`,
    // removeOtherLogFiles: files of earlier runs count too, and then `count` is the total kept.
    limit: { count: rotation.maxFiles, removeOtherLogFiles: true },
    // Synchronous appends: nothing is lost when the process exits, and a line is on disk when the call returns.
    sync: true,
    mode: 0o600,
  });
  let reported = false;
  stream.on('error', (e: Error) => {
    // A full disk or a removed directory must not take the gateway down; say so once on stderr.
    if (!reported)
      process.stderr.write(`gatehouse: cannot write the log file ${stream.file}: ${e.message}\n`);
    reported = true;
  });
  const relink = () => {
    if (!linkable || !stream.file) return;
    try {
      pointLink(path, stream.file);
    } catch (e) {
      stream.emit('error', e);
    }
  };
  relink();
  stream.on('ready', relink); // after every rotation (pino-roll reopens the stream on the next file)

  let closed = false;
  return {
    path: linkable ? path : (stream.file ?? path),
    destination: {
      write(line: string) {
        if (!closed) stream.write(line);
      },
    },
    current: () => stream.file ?? path,
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.end();
      });
    },
  };
}
