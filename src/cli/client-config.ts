// Where the CLI sends requests and with which key: flags > environment > gateway.json > defaults.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AccessKeyPair,
  DATA_DIR_FILES,
  type GatewayInfo,
  readCredentials,
  readGatewayInfo,
  resolveDataDir,
} from '../core/data-dir.js';
import { GatehouseError } from '../core/errors.js';

export const DEFAULT_ENDPOINT = 'https://127.0.0.1:8433';
export const DEFAULT_REGION = 'us-east-1';

/** The program-wide flags (AWS CLI names). */
export interface GlobalOptions {
  profile?: string;
  endpointUrl?: string;
  region?: string;
  dataDir?: string;
  caBundle?: string;
}

export interface ClientConfig {
  endpoint: URL;
  region: string;
  credentials: AccessKeyPair;
  /** PEM of the CA to trust in addition to the system roots, when one is configured or found. */
  caPem?: string;
}

function resolveCredentials(dataDir: string, g: GlobalOptions, env: NodeJS.ProcessEnv): AccessKeyPair {
  const accessKeyId = env['GATEHOUSE_ACCESS_KEY_ID'];
  const secretAccessKey = env['GATEHOUSE_SECRET_ACCESS_KEY'];
  if (accessKeyId && secretAccessKey) {
    const sessionToken = env['GATEHOUSE_SESSION_TOKEN'];
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  }
  const profile = g.profile || env['AWS_PROFILE'] || 'default';
  const path = join(dataDir, DATA_DIR_FILES.credentials);
  const found = readCredentials(path, profile);
  if (!found) throw new GatehouseError('GH_CLI_NO_CREDENTIALS', { profile, path });
  return found;
}

function parseEndpoint(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GatehouseError('GH_CONFIG_INVALID', { reason: `endpoint URL "${text}" is not a URL` });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new GatehouseError('GH_CONFIG_INVALID', {
      reason: `endpoint URL "${text}" must be https:// or http://`,
    });
  }
  return url;
}

function resolveCaPem(dataDir: string, g: GlobalOptions, info: GatewayInfo | null): string | undefined {
  const defaultCa = join(dataDir, DATA_DIR_FILES.caPem);
  const file = g.caBundle ?? info?.caFile ?? (existsSync(defaultCa) ? defaultCa : undefined);
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new GatehouseError('GH_CONFIG_INVALID', {
      reason: `cannot read CA bundle ${file}: ${(e as Error).message}`,
    });
  }
}

export function resolveClientConfig(g: GlobalOptions, env: NodeJS.ProcessEnv): ClientConfig {
  const dataDir = resolveDataDir(g.dataDir, env);
  const credentials = resolveCredentials(dataDir, g, env);
  // gateway.json is only consulted for what flags and environment leave open.
  const explicitEndpoint = g.endpointUrl || env['GATEHOUSE_ENDPOINT_URL'];
  const explicitRegion = g.region || env['GATEHOUSE_REGION'];
  const info = explicitEndpoint && explicitRegion && g.caBundle ? null : readGatewayInfo(dataDir);
  const caPem = resolveCaPem(dataDir, g, info);
  return {
    endpoint: parseEndpoint(explicitEndpoint || info?.apiUrl || DEFAULT_ENDPOINT),
    region: explicitRegion || info?.region || DEFAULT_REGION,
    credentials,
    ...(caPem !== undefined ? { caPem } : {}),
  };
}
