// The audit events: one per connection attempt, revoked session, ended session, management call and alert. The
// sinks: the log line, the metrics, the detectors and the durable hash-chained trail (src/store/audit-trail.ts).
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
  /** The refusal's operator-side reason (never a secret): what `gatehouse audit explain REQUEST_ID` shows. */
  readonly reason?: string;
  /** TLS protocol and cipher of the client connection, when encrypted. */
  readonly tlsVersion?: string;
  readonly tlsCipher?: string;
  /** The client's `application_name` (PostgreSQL start-up parameter), when it sent one. */
  readonly application?: string;
  readonly engine?: string;
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
   * signed with a deactivated access key; `session-revoked`: an open session ended by a revocation;
   * `new-network`: a subject's first admitted login from a network (/24, /48) it never logged in from;
   * `outside-hours`: an admitted login outside the configured hours. */
  readonly detector:
    | 'failure-burst'
    | 'inactive-key-use'
    | 'session-revoked'
    | 'new-network'
    | 'outside-hours';
  /** What it is about: `source <ip>`, `principal <arn>`, `access key <id>`. */
  readonly subject: string;
  readonly instance?: string;
  /** The request id of the event that raised it (the last one, for a burst). */
  readonly requestId: string;
  /** For a burst: refused attempts in the window. */
  readonly count?: number;
  readonly windowSeconds?: number;
  /** For `new-network`: the network the login came from. */
  readonly network?: string;
}

/** Who made a management call, as CloudTrail's `userIdentity`. */
export interface ManagementIdentity {
  readonly type: 'IAMUser' | 'AssumedRole' | 'Root' | 'Unknown';
  readonly arn?: string;
  readonly accountId?: string;
  readonly accessKeyId?: string;
}

/**
 * One management API call (JSON API, IAM and STS Query API), in CloudTrail's shape. `requestParameters` and
 * `responseElements` have every secret redacted (passwords, secret access keys, session tokens, policy
 * documents are kept). A call refused before its signature was verified has `userIdentity.type` `Unknown`.
 */
export interface ManagementEvent {
  readonly type: 'api.call';
  /** CloudTrail's eventTime. */
  readonly at: string;
  /** CloudTrail's requestID: the `x-amzn-requestid` the caller got. */
  readonly requestId: string;
  /** `iam.amazonaws.com`, `sts.amazonaws.com` or `gatehouse.api` (the JSON management API). */
  readonly eventSource: string;
  readonly eventName: string;
  readonly userIdentity: ManagementIdentity;
  readonly sourceIPAddress: string;
  readonly userAgent?: string;
  readonly requestParameters: Readonly<Record<string, unknown>> | null;
  readonly responseElements: Readonly<Record<string, unknown>> | null;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

export type AuditEvent =
  | ConnectAttemptEvent
  | SessionRevokedEvent
  | SessionEndedEvent
  | AlertEvent
  | ManagementEvent;

export interface AuditSink {
  emit(event: AuditEvent): void;
  /**
   * Write the event and resolve once it is durable: the admission event of a fail-closed instance (a login is
   * relayed only after its "allowed" event is committed). Sinks without durability need not implement it.
   */
  commit?(event: AuditEvent): Promise<void>;
}

/**
 * Each event as one structured log line (`audit: true`), never a secret. A refusal's `reason` stays out of it:
 * the refusal's own log line has it (as `detail`, rate-limited per source), and the durable trail keeps it; an
 * unlimited copy here would let a flood of bad logins grow the log several times faster.
 */
export function createLogAuditSink(logger: Logger): AuditSink {
  const log = logger.child({ audit: true });
  return {
    emit(event) {
      if (event.type === 'db.connect' && event.reason !== undefined) {
        const { reason: _reason, ...rest } = event;
        log.info(rest, event.type);
      } else {
        log.info(event, event.type);
      }
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
    commit: sink.commit ? (event) => sink.commit?.(capLogFields(event)) ?? Promise.resolve() : undefined,
  };
}

/**
 * Fan out to several sinks (e.g. the log and a test's recorder). `commit` commits to every durable sink first
 * and, once they all have, emits to the others; when a durable sink rejects, the others never see the event
 * (it did not happen: the login is refused, and that refusal is the event they get).
 */
export function combineAuditSinks(...sinks: readonly AuditSink[]): AuditSink {
  return {
    emit(event) {
      for (const s of sinks) s.emit(event);
    },
    async commit(event) {
      await Promise.all(sinks.flatMap((s) => (s.commit ? [s.commit(event)] : [])));
      for (const s of sinks) if (!s.commit) s.emit(event);
    },
  };
}
