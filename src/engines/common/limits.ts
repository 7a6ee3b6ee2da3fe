// What bounds every listener and session, and the listener's TLS material: settings shared by the core,
// the engines and the auth methods.
import type { SecureContext } from 'node:tls';

export interface TlsSettings {
  readonly secureContext: SecureContext;
  /** tls-server-end-point hash of our certificate (RFC 5929); null disables channel binding. */
  readonly certificateHash: Buffer | null;
}

export interface EngineLimits {
  readonly authTimeoutMs: number;
  readonly maxStartupPacketBytes: number;
  readonly maxAuthMessageBytes: number;
  /** Connections before authentication, per listener (the backstop); more are refused. */
  readonly maxPendingConnections: number;
  /** Connections before authentication from one source address (IPv6: one /64), per listener. */
  readonly maxPendingPerSource: number;
  /** Refused connections given TLS at once, so the client can read why (more are refused in plain at once). */
  readonly maxTlsRefusals: number;
  /** Sessions per instance on this node, counted from the backend login to the end of the relay. */
  readonly maxSessionsPerInstance: number;
  readonly backendConnectTimeoutMs: number;
  /** Largest cleartext secret accepted from an IAM user (an RDS token is about 1 KB, 3 KB with a session token). */
  readonly maxIamTokenBytes: number;
}
