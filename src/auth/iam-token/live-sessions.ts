// Open sessions that logged in with an IAM auth token, so a revocation can re-check and end them on every node.
import type { GatehouseError } from '../../core/errors.js';

export interface LiveIamSession {
  readonly requestId: string;
  readonly instance: string;
  readonly dbUser: string;
  readonly dbiResourceId: string;
  readonly principalArn: string;
  readonly accessKeyId: string;
  /** Client address as seen on connect (`ip`), for the policy's aws:SourceIp on re-check. */
  readonly sourceIp: string;
  readonly source: string;
  readonly secureTransport: boolean;
  /** Send the client a FATAL with this error and close both sides. */
  terminate(error: GatehouseError): void;
}

export class LiveIamSessions {
  private readonly sessions = new Set<LiveIamSession>();

  /** Returns the function that forgets the session (call when it ends). */
  add(session: LiveIamSession): () => void {
    this.sessions.add(session);
    return () => this.sessions.delete(session);
  }

  list(): LiveIamSession[] {
    return [...this.sessions];
  }

  get size(): number {
    return this.sessions.size;
  }
}
