// The audit events: one per connection attempt, revoked session, ended session, statement (instances that opt
// in), management call and alert. The
// sinks: the log line, the metrics, the detectors and the durable hash-chained trail (src/store/audit-trail.ts).
import type { ErrorCode } from './errors.js';
import { capLogFields } from './log-fields.js';
import type { Logger } from './logger.js';
import type { StatementClass } from './types.js';

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
  /** Admitted sessions: the backend's id for the session (PostgreSQL process id, `%p` in its logs). */
  readonly backendPid?: number;
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

/**
 * One statement a relayed session ran, on an instance with `AuditStatements` on (docs/audit.md "Statement
 * events"): its pgaudit class, PostgreSQL's command tag, the text (literals replaced by `$n` unless the
 * instance keeps them), what came back. Also a gap in what could be followed (`gap`, command `UNKNOWN`).
 */
export interface StatementEvent {
  readonly type: 'db.statement';
  /** When the statement completed (or the gap began). */
  readonly at: string;
  /** The session's request id (its `db.connect` event's). */
  readonly requestId: string;
  readonly instance: string;
  readonly dbUser: string;
  readonly database: string;
  readonly principalArn?: string;
  readonly source: string;
  readonly class: StatementClass;
  /** PostgreSQL's command tag without its counts (`SELECT`, `CREATE TABLE`), or `UNKNOWN` for a gap. */
  readonly command: string;
  /** The statement's text, literals replaced by `$n` unless the instance keeps them; empty when not known. */
  readonly statement: string;
  /** The text did not parse (or was too large to parse): class MISC, text left out entirely. */
  readonly parseError?: true;
  /** Executed through a prepared statement or portal the gateway no longer knows (its text is not known). */
  readonly statementUnknown?: true;
  /** The row count of the command tag (SELECT, INSERT, UPDATE, DELETE, MERGE, COPY, FETCH, MOVE). */
  readonly rows?: number;
  /** Hex SHA-256 over the rows sent to the client (each DataRow body, length-prefixed), when the instance asks. */
  readonly resultSha256?: string;
  /** `unknown`: the session ended before the statement's outcome was seen, or a gap. */
  readonly outcome: 'success' | 'failure' | 'unknown';
  /** The error's SQLSTATE, for a failure. */
  readonly sqlstate?: string;
  /** Counts every statement of the session from 1, recorded or not (pgaudit's statement ID); a gap repeats the last. */
  readonly statementIndex: number;
  /** From when the backend could start it (sent, and the previous one answered) to its completion. */
  readonly durationMs?: number;
  /** An Execute that stopped at its row limit (PortalSuspended): `rows` counts the rows of this Execute. */
  readonly suspended?: true;
  /**
   * Statements were not followed from here (command `UNKNOWN`): `pending-limit` (too many unanswered requests),
   * `desync` (an answer that matched no request), `observer-error` (a fault in the observer; nothing more of the
   * session is recorded). Following resumes once the backend has answered everything sent before the gap.
   */
  readonly gap?: 'pending-limit' | 'desync' | 'observer-error';
}

/** What a detector saw in the stream of events (src/core/detectors.ts). */
export interface AlertEvent {
  readonly type: 'alert';
  readonly at: string;
  /** `failure-burst`: many refused attempts from one source or for one principal; `inactive-key-use`: a token
   * signed with a deactivated access key; `session-revoked`: an open session ended by a revocation;
   * `new-network`: a subject's first admitted login from a network (/24, /48) it never logged in from;
   * `outside-hours`: an admitted login outside the configured hours; `trail-tampered`: the audit trail went
   * backwards since the last signed digest (the next digest is refused). */
  readonly detector:
    | 'failure-burst'
    | 'inactive-key-use'
    | 'session-revoked'
    | 'new-network'
    | 'outside-hours'
    | 'trail-tampered';
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
  /** For `trail-tampered`: what was found (the head behind a signed event, a signed event rewritten). */
  readonly reason?: string;
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
  | StatementEvent
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
