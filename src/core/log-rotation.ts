// Log rotation settings for `gatehouse up` (kept apart from log-file.ts so the CLI loads no logging library).

export interface LogRotation {
  /** A file is closed and a new one started once it reaches this many bytes. */
  readonly maxBytes: number;
  /** Files kept, the one being written included; older ones are deleted at each rotation. */
  readonly maxFiles: number;
}

/** 10 MiB x 5 files: at most about 50 MiB of log (docs/operations.md, "Logs"). */
export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };

/** Smallest file size accepted: below this a file would hold a handful of lines. */
export const MIN_LOG_FILE_BYTES = 1024;
