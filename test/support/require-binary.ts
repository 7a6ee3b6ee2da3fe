// Locates an external client binary (psql, mysql, …) for integration tests: skip locally when absent, fail under CI.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

function findOnPath(name: string): string | null {
  if (isAbsolute(name)) return canExecute(name) ? name : null;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (canExecute(candidate)) return candidate;
  }
  return null;
}

function canExecute(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of `name` on PATH, or null (after logging why the dependent tests are skipped).
 * Under CI=true a missing binary throws instead: CI must never silently skip a real-client test.
 */
export function requireBinary(name: string): string | null {
  const path = findOnPath(name);
  if (path !== null) return path;
  const reason = `${name} not found on PATH`;
  if (process.env['CI'] === 'true')
    throw new Error(`${reason}: CI=true requires it (install it, e.g. apt-get install)`);
  console.warn(
    `[skip] tests needing ${name} are skipped: ${reason} (they run, and fail if it is missing, under CI=true)`,
  );
  return null;
}

/** Debian's `awscli` package puts the AWS CLI here (v2.9 on bookworm); `.ci/run` installs it. */
export const DEBIAN_AWS_CLI = '/usr/bin/aws';

/**
 * The AWS CLI the acceptance tests drive: Debian's packaged one when present (and always under CI=true, where
 * its absence fails), else whatever `aws` is first on PATH (a pip-installed v1, say), else null (skipped).
 */
export function requireAwsCli(): string | null {
  if (process.env['CI'] === 'true' || canExecute(DEBIAN_AWS_CLI)) return requireBinary(DEBIAN_AWS_CLI);
  return requireBinary('aws');
}
