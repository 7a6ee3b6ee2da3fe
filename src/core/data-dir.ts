// The Gatehouse data directory (~/.gatehouse): where it is, and the small files the CLI and gateway share.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { GatehouseError } from './errors.js';

/** File names inside the data dir (ARCHITECTURE.md §5: users and AWS tools rely on these). */
export const DATA_DIR_FILES = {
  /** AWS INI credentials, mode 0600, so AWS_SHARED_CREDENTIALS_FILE=<data-dir>/credentials works. */
  credentials: 'credentials',
  /**
   * AWS config (INI, mode 0600) written by `up`: region, ca_bundle and endpoint_url of the same profile as in
   * credentials, so AWS_CONFIG_FILE=<data-dir>/config makes the AWS CLI talk to Gatehouse.
   */
  awsConfig: 'config',
  /** CA bundle clients use for sslmode=verify-full and the CLI uses for the API. */
  caPem: 'ca.pem',
  /** Written by a running gateway so the CLI finds it without flags. */
  gatewayInfo: 'gateway.json',
  masterKey: 'master.key',
  /** Ed25519 key that signs the audit digests (outside the store, like the master key). */
  auditSigningKey: 'audit-signing-key.pem',
  /** A copy of every audit digest, outside the store. */
  auditDigests: 'audit-digests.jsonl',
  pgData: 'pgdata',
} as const;

/** What a running gateway publishes about itself in gateway.json. */
export interface GatewayInfo {
  apiUrl: string;
  caFile?: string;
  pid: number;
  region: string;
}

export interface AccessKeyPair {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** --data-dir flag > GATEHOUSE_HOME > ~/.gatehouse, always absolute. */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag || env['GATEHOUSE_HOME'] || join(homedir(), '.gatehouse');
  return resolve(chosen);
}

/** Write through a temporary file and rename, so readers never see half a file; mode 0600 from creation. */
function writePrivateFile(dataDir: string, name: string, text: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const target = join(dataDir, name);
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  // writeFileSync's mode is filtered by the umask and ignored for existing files: force it.
  chmodSync(temp, 0o600);
  renameSync(temp, target);
}

/** The file's text, or null when it does not exist. */
export function readOptional(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function isGatewayInfo(v: unknown): v is GatewayInfo {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o['apiUrl'] === 'string' &&
    typeof o['pid'] === 'number' &&
    typeof o['region'] === 'string' &&
    (o['caFile'] === undefined || typeof o['caFile'] === 'string')
  );
}

/** gateway.json of the running gateway, or null when none has been written. */
export function readGatewayInfo(dataDir: string): GatewayInfo | null {
  const file = join(dataDir, DATA_DIR_FILES.gatewayInfo);
  const text = readOptional(file);
  if (text === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!isGatewayInfo(parsed)) {
    throw new GatehouseError('GH_CONFIG_INVALID', {
      reason: `${file} is not valid gateway information (delete it; the gateway rewrites it at start)`,
    });
  }
  return parsed;
}

export function writeGatewayInfo(dataDir: string, info: GatewayInfo): void {
  writePrivateFile(dataDir, DATA_DIR_FILES.gatewayInfo, `${JSON.stringify(info, null, 2)}\n`);
}

const SECTION = /^\s*\[([^\]]+)\]\s*$/;
const KEY_VALUE = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$/;
const KEY_NAMES = {
  id: 'aws_access_key_id',
  secret: 'aws_secret_access_key',
  token: 'aws_session_token',
} as const;

/** The keys of one profile of an AWS INI credentials file, or null when the file or profile is missing. */
export function readCredentials(file: string, profile: string): AccessKeyPair | null {
  const text = readOptional(file);
  if (text === null) return null;
  let current: string | null = null;
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const section = SECTION.exec(line);
    if (section) {
      current = section[1]!.trim();
      continue;
    }
    if (current !== profile || /^\s*[#;]/.test(line)) continue;
    const kv = KEY_VALUE.exec(line);
    if (kv) values.set(kv[1]!.toLowerCase(), kv[2]!);
  }
  const accessKeyId = values.get(KEY_NAMES.id);
  const secretAccessKey = values.get(KEY_NAMES.secret);
  if (!accessKeyId || !secretAccessKey) return null;
  const sessionToken = values.get(KEY_NAMES.token);
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/**
 * Set a profile's keys in <data-dir>/credentials, keeping every other profile, comment and setting.
 * A stale aws_session_token in the profile is removed: it belonged to the previous key.
 */
export function writeCredentials(
  dataDir: string,
  profile: string,
  keys: { accessKeyId: string; secretAccessKey: string },
): void {
  const existing = readOptional(join(dataDir, DATA_DIR_FILES.credentials)) ?? '';
  const fresh: Array<[string, string]> = [
    [KEY_NAMES.id, keys.accessKeyId],
    [KEY_NAMES.secret, keys.secretAccessKey],
  ];
  const text = upsertSection(existing, profile, fresh, new Set(Object.values(KEY_NAMES)));
  writePrivateFile(dataDir, DATA_DIR_FILES.credentials, text);
}

/**
 * INI text with section `[section]` holding `fresh` first; its other lines are kept except keys in `replaced`
 * (ours: a stale value would otherwise linger). Other sections, comments and settings are kept as they are.
 */
function upsertSection(
  existing: string,
  section: string,
  fresh: ReadonlyArray<readonly [string, string]>,
  replaced: ReadonlySet<string>,
): string {
  const lines = existing === '' ? [] : existing.replace(/\r?\n$/, '').split(/\r?\n/);
  const entries = fresh.map(([k, v]) => `${k} = ${v}`);
  const start = lines.findIndex((l) => SECTION.exec(l)?.[1]?.trim() === section);
  if (start === -1) {
    if (lines.length > 0 && lines[lines.length - 1]!.trim() !== '') lines.push('');
    lines.push(`[${section}]`, ...entries);
  } else {
    let end = lines.findIndex((l, i) => i > start && SECTION.test(l));
    if (end === -1) end = lines.length;
    const kept = lines
      .slice(start + 1, end)
      .filter((l) => !replaced.has(KEY_VALUE.exec(l)?.[1]?.toLowerCase() ?? ''));
    lines.splice(start + 1, end - start - 1, ...entries, ...kept);
  }
  return `${lines.join('\n')}\n`;
}

/** What <data-dir>/config sets for a profile (AWS CLI / SDK shared config names). */
export interface AwsConfigSettings {
  readonly region: string;
  /** Absolute path of the CA bundle that verifies the management API (the data dir's ca.pem). */
  readonly caBundle: string;
  /** https://host:port of the management API (read by AWS CLI v2.13+ / v1.29+ and recent SDKs). */
  readonly endpointUrl: string;
}

/**
 * Set a profile's settings in <data-dir>/config (mode 0600), keeping every other profile and setting. The AWS
 * config file names profiles `[default]` and `[profile NAME]`, unlike the credentials file (`[NAME]`).
 */
export function writeAwsConfig(dataDir: string, profile: string, settings: AwsConfigSettings): void {
  const existing = readOptional(join(dataDir, DATA_DIR_FILES.awsConfig)) ?? '';
  const fresh: Array<[string, string]> = [
    ['region', settings.region],
    ['ca_bundle', settings.caBundle],
    ['endpoint_url', settings.endpointUrl],
  ];
  const section = profile === 'default' ? 'default' : `profile ${profile}`;
  const text = upsertSection(existing, section, fresh, new Set(fresh.map(([k]) => k)));
  writePrivateFile(dataDir, DATA_DIR_FILES.awsConfig, text);
}
