// The audit hook: one structured event per connection attempt, per revoked session and per ended session (the audit
// issue makes it durable).
import type { ErrorCode } from './errors.js';
import { capLogFields } from './log-fields.js';
import type { Logger } from './logger.js';

export interface ConnectAttemptEvent {
  readonly type: 'db.connect';
  readonly at: string;
  readonly requestId: string;
  readonly instance: string;
  readonly dbUser: string;
  readonly database?: string;
  /** `scram-sha-256`, `scram-sha-256-plus`, `iam`, or `none` when refused before a method was chosen. */
  readonly method: string;
  readonly principalArn?: string;
  readonly accessKeyId?: string;
  /** Client address `ip:port`. */
  readonly source: string;
  readonly tls: boolean;
  /** `abandoned`: the client closed before finishing (psql does, to prompt for a password). */
  readonly outcome: 'success' | 'failure' | 'abandoned';
  readonly code?: ErrorCode;
  /** From accepting the connection to this outcome (monotonic clock), when known. */
  readonly elapsedMs?: number;
}

export interface SessionRevokedEvent {
  readonly type: 'db.session.revoked';
  readonly at: string;
  readonly requestId: string;
  readonly instance: string;
  readonly dbUser: string;
  readonly principalArn: string;
  readonly accessKeyId: string;
  readonly source: string;
  readonly code: ErrorCode;
  readonly reason: string;
}

/** Why a relayed session ended. */
export type DisconnectReason = 'client-quit' | 'backend-gone' | 'revoked' | 'shutdown';

/** A session that was admitted (its `db.connect` succeeded) has ended: how long it lasted and what it moved. */
export interface SessionEndedEvent {
  readonly type: 'db.disconnect';
  readonly at: string;
  /** The request id of the session's `db.connect` event. */
  readonly requestId: string;
  readonly instance: string;
  readonly dbUser: string;
  readonly database: string;
  readonly method: string;
  readonly principalArn?: string;
  readonly source: string;
  readonly reason: DisconnectReason;
  readonly durationMs: number;
  readonly bytesFromClient: number;
  readonly bytesToClient: number;
}

/** What a detector saw in the stream of events (src/core/detectors.ts). */
export interface AlertEvent {
  readonly type: 'alert';
  readonly at: string;
  /** `failure-burst`: many refused attempts from one source or for one principal; `inactive-key-use`: a token
   * signed with a deactivated access key; `session-revoked`: an open session ended by a revocation. */
  readonly detector: 'failure-burst' | 'inactive-key-use' | 'session-revoked';
  /** What it is about: `source <ip>`, `principal <arn>`, `access key <id>`. */
  readonly subject: string;
  readonly instance?: string;
  /** The request id of the event that raised it (the last one, for a burst). */
  readonly requestId: string;
  /** For a burst: refused attempts in the window. */
  readonly count?: number;
  readonly windowSeconds?: number;
}

export type AuditEvent = ConnectAttemptEvent | SessionRevokedEvent | SessionEndedEvent | AlertEvent;

export interface AuditSink {
  emit(event: AuditEvent): void;
}

/** Until the audit store exists: each event is one structured log line (`audit: true`), never a secret. */
export function createLogAuditSink(logger: Logger): AuditSink {
  const log = logger.child({ audit: true });
  return {
    emit(event) {
      log.info(event, event.type);
    },
  };
}

/**
 * Every string field of every event escaped and capped (user and database names, addresses: 256 units with the
 * original length noted) before any sink sees it: the event is still written, only an oversized value is cut.
 */
export function cappedAuditSink(sink: AuditSink): AuditSink {
  return {
    emit(event) {
      sink.emit(capLogFields(event));
    },
  };
}

/** Fan out to several sinks (e.g. the log and a test's recorder). */
export function combineAuditSinks(...sinks: readonly AuditSink[]): AuditSink {
  return {
    emit(event) {
      for (const s of sinks) s.emit(event);
    },
  };
}
