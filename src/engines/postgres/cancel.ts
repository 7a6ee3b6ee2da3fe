// Cancel routing: gateway-issued BackendKeyData per session, mapped to that session's real backend key.
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { type BackendEndpoint, backendTlsOptions } from '../../core/backend-tls.js';
import { createCancelRequest, createSSLRequest } from '../../protocol/postgres/index.js';

export interface CancelTarget {
  readonly backend: BackendEndpoint;
  readonly backendKey: { processId: number; secretKey: Buffer };
  /** False once the session ended: a late cancel must never reach a backend that serves someone else. */
  live(): boolean;
}

interface Entry {
  readonly secretKey: Buffer;
  readonly target: CancelTarget;
}

export class CancelRegistry {
  private readonly entries = new Map<number, Entry>();

  /**
   * Issue a key: positive 31-bit PID (pg_basebackup broke on negative PIDs, pgbouncer clears the sign
   * bit) and a random secret — 4 bytes for protocol 3.0, 32 for 3.2 (3.0 clients reject longer keys).
   */
  register(target: CancelTarget, protocolMinor: 0 | 2): { processId: number; secretKey: Buffer } {
    let processId: number;
    do processId = randomInt(1, 2 ** 31 - 1);
    while (this.entries.has(processId));
    const secretKey = randomBytes(protocolMinor === 2 ? 32 : 4);
    this.entries.set(processId, { secretKey, target });
    return { processId, secretKey };
  }

  unregister(processId: number): void {
    this.entries.delete(processId);
  }

  /** The session a CancelRequest names, if the key matches (compared in constant time) and it is live. */
  find(processId: number, secretKey: Buffer): CancelTarget | null {
    const entry = this.entries.get(processId);
    if (!entry || entry.secretKey.length !== secretKey.length) return null;
    if (!timingSafeEqual(entry.secretKey, secretKey)) return null;
    return entry.target.live() ? entry.target : null;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Send the real CancelRequest to the backend on a fresh connection (TLS first when the backend wants it). */
export async function forwardCancel(target: CancelTarget, timeoutMs: number): Promise<void> {
  const { backend, backendKey } = target;
  const request = createCancelRequest(backendKey.processId, backendKey.secretKey);
  const tls = await backendTlsOptions(backend);
  await new Promise<void>((resolve) => {
    const raw = netConnect({ host: backend.host, port: backend.port });
    const done = () => {
      clearTimeout(timer);
      raw.destroy();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    raw.on('error', done);
    raw.on('close', done);
    raw.once('connect', () => {
      if (tls === false) {
        raw.end(request);
        return;
      }
      raw.write(createSSLRequest());
      raw.once('data', (b: Buffer) => {
        if (b[0] !== 0x53) {
          if (backend.sslMode === 'prefer') raw.end(request);
          else done();
          return;
        }
        const secure = tlsConnect({ ...tls, socket: raw }, () => secure.end(request));
        secure.on('error', done);
        secure.on('close', done);
      });
    });
  });
}
