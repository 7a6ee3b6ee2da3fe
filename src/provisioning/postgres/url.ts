// Parses an instance's backend URL (postgres://ADMIN[:PASSWORD]@HOST:PORT/DB?sslmode=...) and its TLS mode.
import { BACKEND_SSL_MODES, type BackendSslMode } from '../../core/backend-tls.js';
import { GatehouseError } from '../../core/errors.js';
import type { BackendTarget } from '../provisioner.js';

function invalid(reason: string): GatehouseError {
  return new GatehouseError('GH_API_VALIDATION', { reason: `BackendUrl: ${reason}` });
}

export function parseBackendUrl(text: string): BackendTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('not a valid URL (expected postgres://ADMIN@HOST:PORT/DB)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw invalid('scheme must be postgres://');
  if (!url.hostname) throw invalid('missing host');
  if (!url.username) throw invalid('missing admin user name (postgres://ADMIN@HOST:PORT/DB)');
  const port = url.port ? Number(url.port) : 5432;
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const sslMode = (url.searchParams.get('sslmode') ?? 'prefer') as BackendSslMode;
  if (!BACKEND_SSL_MODES.includes(sslMode))
    throw invalid(`sslmode must be one of ${BACKEND_SSL_MODES.join(', ')}`);
  for (const key of url.searchParams.keys()) {
    if (key !== 'sslmode' && key !== 'sslrootcert') throw invalid(`unsupported parameter "${key}"`);
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    database,
    adminUser: decodeURIComponent(url.username),
    adminPassword: url.password ? decodeURIComponent(url.password) : undefined,
    sslMode,
    sslRootCert: url.searchParams.get('sslrootcert') ?? undefined,
  };
}

/** The URL with its password removed: what is stored in plain text and shown to users. */
export function redactBackendUrl(text: string): string {
  const url = new URL(text);
  url.password = '';
  return url.toString();
}

/** Re-attach a password to a stored (redacted) URL for the provisioning connection. */
export function withPassword(text: string, password: string | undefined): string {
  if (password === undefined) return text;
  const url = new URL(text);
  url.password = password;
  return url.toString();
}
