// TLS options for connections to a backend database, following libpq's sslmode semantics.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { type ConnectionOptions, checkServerIdentity, type PeerCertificate } from 'node:tls';

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
      // verify-full checks the certificate against the backend host explicitly (DNS or IP SANs). SNI is
      // sent only for DNS names: an IP address is not a valid SNI name (RFC 6066 section 3).
      return {
        rejectUnauthorized: true,
        ...(ca ? { ca } : {}),
        ...(isIP(target.host) ? {} : { servername: target.host }),
        checkServerIdentity:
          target.sslMode === 'verify-ca'
            ? () => undefined
            : (_name: string, cert: PeerCertificate) => checkServerIdentity(target.host, cert),
      };
    }
  }
}
