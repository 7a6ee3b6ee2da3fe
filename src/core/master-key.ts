// Finds the 32-byte master key (env, key file, or a new file) and checks it is the one the store was sealed with.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GatehouseError } from './errors.js';
import type { Logger } from './logger.js';
import { MASTER_KEY_BYTES, type SecretBox } from './secret-box.js';

export const MASTER_KEY_ENV = 'GATEHOUSE_MASTER_KEY';
const CANARY = 'gatehouse-master-key-check';

export interface LoadMasterKeyOptions {
  env?: NodeJS.ProcessEnv;
  keyFile?: string;
  /** Generate the key file when it does not exist (first `gatehouse up`). */
  create?: boolean;
  /** Where warnings go (e.g. a key file readable by others). */
  logger?: Logger;
}

export interface LoadedMasterKey {
  key: Buffer;
  source: 'env' | 'file' | 'created';
  /** The key file read or written; absent when the key came from the environment. */
  path?: string;
  /** Operator warnings that do not stop start-up. */
  warnings: string[];
}

/** 64 hex chars, else standard or URL-safe base64; must be exactly 32 bytes. */
export function decodeMasterKey(text: string, origin: string): Buffer {
  const s = text.trim();
  if (s === '') throw new GatehouseError('GH_MASTER_KEY_INVALID', { reason: `${origin} is empty` });
  let key: Buffer;
  if (/^[0-9a-fA-F]{64}$/.test(s)) {
    key = Buffer.from(s, 'hex');
  } else if (/^[A-Za-z0-9+/]+={0,2}$/.test(s) || /^[A-Za-z0-9_-]+={0,2}$/.test(s)) {
    key = Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
  } else {
    throw new GatehouseError('GH_MASTER_KEY_INVALID', { reason: `${origin} is neither hex nor base64` });
  }
  if (key.length !== MASTER_KEY_BYTES) {
    throw new GatehouseError('GH_MASTER_KEY_INVALID', { reason: `${origin} decodes to ${key.length} bytes` });
  }
  return key;
}

/**
 * GATEHOUSE_MASTER_KEY wins; else the key file; else, with `create`, a new random key written to the
 * key file (mode 0600, parent 0700, never overwriting an existing file).
 */
export async function loadMasterKeyDetailed(options: LoadMasterKeyOptions): Promise<LoadedMasterKey> {
  const env = options.env ?? process.env;
  const fromEnv = env[MASTER_KEY_ENV];
  if (fromEnv !== undefined) {
    // Set but empty is an operator mistake (an unfilled secret), not "unset": refuse rather than fall back.
    return { key: decodeMasterKey(fromEnv, MASTER_KEY_ENV), source: 'env', warnings: [] };
  }
  const path = options.keyFile;
  if (path === undefined)
    throw new GatehouseError('GH_MASTER_KEY_MISSING', { path: '(no key file configured)' });

  const existing = await readKeyFile(path);
  if (existing !== null) return existing;
  if (!options.create) throw new GatehouseError('GH_MASTER_KEY_MISSING', { path });

  const key = randomBytes(MASTER_KEY_BYTES);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if the file exists: a key that may already seal secrets is never replaced.
    await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another process created it between our read and write: use theirs.
    const raced = await readKeyFile(path);
    if (raced !== null) return raced;
    throw e;
  }
  return { key, source: 'created', path, warnings: [] };
}

async function readKeyFile(path: string): Promise<LoadedMasterKey | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const key = decodeMasterKey(text, `key file ${path}`);
  const warnings: string[] = [];
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    warnings.push(
      `master key file ${path} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${path}`,
    );
  }
  return { key, source: 'file', path, warnings };
}

/** The key alone; warnings go to `options.logger` when given. */
export async function loadMasterKey(options: LoadMasterKeyOptions): Promise<Buffer> {
  const loaded = await loadMasterKeyDetailed(options);
  for (const warning of loaded.warnings) options.logger?.warn({ path: loaded.path }, warning);
  return loaded.key;
}

/** The gh_meta key of the master key check (see verifyMasterKey in src/store/meta-repo.ts). */
export const MASTER_KEY_CHECK_KEY = 'master_key_check';

/** The gh_meta value recording which key the store was sealed with: its id and a canary sealed under it. */
export interface MasterKeyCheck {
  keyId: string;
  canary: string;
}

/** The check value a first run records for this key. */
export function masterKeyCheck(box: SecretBox): MasterKeyCheck {
  return { keyId: box.keyId, canary: box.seal(CANARY).toString('base64') };
}

/**
 * Throws GH_MASTER_KEY_WRONG unless `stored` (the recorded check value, as read back from the store) is a
 * canary this key opens. Pure: reading and recording the value is src/store/meta-repo.ts's verifyMasterKey.
 */
export function assertMasterKeyCheck(stored: unknown, box: SecretBox): void {
  const row: Partial<Record<keyof MasterKeyCheck, unknown>> =
    typeof stored === 'object' && stored !== null ? stored : {};
  const storedKeyId = typeof row.keyId === 'string' ? row.keyId : 'unknown';
  const wrong = (detail: string): GatehouseError =>
    new GatehouseError('GH_MASTER_KEY_WRONG', { keyId: storedKeyId, actualKeyId: box.keyId }, { detail });
  if (typeof row.canary !== 'string')
    throw wrong(`gh_meta row ${MASTER_KEY_CHECK_KEY} is missing or malformed`);
  let opened: Buffer;
  try {
    opened = box.open(Buffer.from(row.canary, 'base64'));
  } catch {
    throw wrong('the stored canary does not open with this key');
  }
  if (opened.toString('utf8') !== CANARY) throw wrong('the stored canary opened to unexpected content');
}
