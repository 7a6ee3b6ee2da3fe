// TLS options for connections to a backend database, following libpq's sslmode semantics.
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';

export const BACKEND_SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type BackendSslMode = (typeof BACKEND_SSL_MODES)[number];

/** Where and how to reach a backend (no credentials). */
export interface BackendEndpoint {
  readonly host: string;
  readonly port: number;
  readonly sslMode: BackendSslMode;
  /** PEM file to verify the backend certificate against (verify-ca / verify-full). */
  readonly sslRootCert: string | undefined;
}

/** TLS options for the backend, or false for `disable`. `prefer` tries TLS without verifying, like libpq. */
export async function backendTlsOptions(target: BackendEndpoint): Promise<false | ConnectionOptions> {
  switch (target.sslMode) {
    case 'disable':
      return false;
    case 'prefer':
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full': {
      const ca = target.sslRootCert ? await readFile(target.sslRootCert, 'utf8') : undefined;
      return {
        rejectUnauthorized: true,
        ...(ca ? { ca } : {}),
        ...(target.sslMode === 'verify-ca'
          ? { checkServerIdentity: () => undefined }
          : { servername: target.host }),
      };
    }
  }
}
