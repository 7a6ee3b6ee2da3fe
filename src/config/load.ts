// Loads gatehouse.yaml, applies GATEHOUSE_* environment overrides, validates with clear errors.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { GatehouseError } from '../core/errors.js';
import { configSchema, type GatehouseConfig } from './schema.js';

type Raw = Record<string, unknown>;

function applyEnv(raw: Raw, env: NodeJS.ProcessEnv): Raw {
  const out: Raw = { ...raw };
  if (env['GATEHOUSE_STORE_URL'])
    out['store'] = { ...(out['store'] as Raw), url: env['GATEHOUSE_STORE_URL'] };
  if (env['GATEHOUSE_REGION']) out['region'] = env['GATEHOUSE_REGION'];
  if (env['GATEHOUSE_API_LISTEN'])
    out['api'] = { ...(out['api'] as Raw), listen: env['GATEHOUSE_API_LISTEN'] };
  if (env['GATEHOUSE_LOG_LEVEL']) out['logLevel'] = env['GATEHOUSE_LOG_LEVEL'];
  return out;
}

/** Validate an already-parsed object (used by `up` and tests). */
export function validateConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): GatehouseConfig {
  const base = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Raw) : {};
  const result = configSchema.safeParse(applyEnv(base, env));
  if (!result.success) {
    const reason = result.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new GatehouseError('GH_CONFIG_INVALID', { reason });
  }
  return result.data;
}

/** Read and validate a YAML config file; relative paths inside it resolve against the file's directory. */
export async function loadConfigFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatehouseConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new GatehouseError('GH_CONFIG_INVALID', { reason: `cannot read ${path}: ${(e as Error).message}` });
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new GatehouseError('GH_CONFIG_INVALID', {
      reason: `${path} is not valid YAML: ${(e as Error).message}`,
    });
  }
  const config = validateConfig(raw, env);
  const base = dirname(resolve(path));
  const abs = (p: string | undefined) => (p === undefined ? undefined : resolve(base, p));
  return {
    ...config,
    dataDir: abs(config.dataDir),
    masterKeyFile: abs(config.masterKeyFile),
    tls: config.tls && {
      certFile: abs(config.tls.certFile) as string,
      keyFile: abs(config.tls.keyFile) as string,
      caFile: abs(config.tls.caFile),
    },
  };
}
