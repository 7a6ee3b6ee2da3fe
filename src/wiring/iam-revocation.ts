// Re-checks open IAM sessions after any IAM change and ends those whose access is gone (key, principal or policy).
import type { LiveIamSession, LiveIamSessions } from '../auth/iam-token/live-sessions.js';
import {
  type ConnectAuthzRequest,
  type ConnectDecision,
  connectFacts,
  dbUserArn,
} from '../auth/iam-token/verify.js';
import type { AuditSink } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { AccessKeyLookup } from '../core/types.js';

export interface RevocationDeps {
  readonly sessions: LiveIamSessions;
  readonly keys: AccessKeyLookup;
  authorizeConnect(request: ConnectAuthzRequest): Promise<ConnectDecision>;
  /** Instance identifier -> whether revoked sessions are ended (TerminateRevokedIAMSessions). */
  terminationSettings(): Promise<ReadonlyMap<string, boolean>>;
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  readonly audit: AuditSink;
  readonly logger: Logger;
}

export interface Revocation {
  /** Re-check every open IAM session (coalesced: a burst of changes runs at most one more pass). */
  recheck(): Promise<void>;
}

/**
 * Why a session's access is gone, or null while it still stands. Checked as on connect, minus the token
 * itself: the token only proves who connected, as on RDS. Temporary credentials that merely expired do not end
 * a session (RDS never re-checks); a deleted role or session does, as does a deactivated or deleted key.
 */
async function revokedBecause(
  s: LiveIamSession,
  d: RevocationDeps,
  findKey: (id: string) => ReturnType<AccessKeyLookup['findAccessKey']>,
): Promise<string | null> {
  const key = await findKey(s.accessKeyId);
  if (!key) return `access key ${s.accessKeyId} was deleted`;
  if (key.sessionTokenHash === undefined && key.status !== 'Active') {
    return `access key ${s.accessKeyId} was deactivated`;
  }
  const decision = await d.authorizeConnect({
    accessKeyId: s.accessKeyId,
    principalArn: s.principalArn,
    resource: dbUserArn(d.region, d.accountId, s.dbiResourceId, s.dbUser),
    facts: connectFacts({
      sourceIp: s.sourceIp,
      secureTransport: s.secureTransport,
      now: d.clock.now(),
      tokenIssuedAt: key.issuedAt,
    }),
  });
  if (decision.decision === 'noPrincipal') return `${s.principalArn} was deleted`;
  if (decision.decision === 'explicitDeny') return 'a policy now explicitly denies rds-db:connect';
  if (decision.decision !== 'allowed') return 'no policy allows rds-db:connect any more';
  return null;
}

export function createRevocation(d: RevocationDeps): Revocation {
  let running: Promise<void> | null = null;
  let again = false;

  const pass = async (): Promise<void> => {
    const open = d.sessions.list();
    if (open.length === 0) return;
    const settings = await d.terminationSettings();
    // One store lookup per key per pass, however many sessions it opened.
    const keys = new Map<string, ReturnType<AccessKeyLookup['findAccessKey']>>();
    const findKey = (id: string) => {
      let found = keys.get(id);
      if (!found) {
        found = d.keys.findAccessKey(id);
        keys.set(id, found);
      }
      return found;
    };
    await Promise.all(
      open.map(async (s) => {
        if (settings.get(s.instance) === false) return;
        let reason: string | null;
        try {
          reason = await revokedBecause(s, d, findKey);
        } catch (e) {
          d.logger.warn({ err: e, requestId: s.requestId }, 'could not re-check an IAM session; left open');
          return;
        }
        if (reason === null) return;
        const error = new GatehouseError('GH_IAM_SESSION_REVOKED', {
          principal: s.principalArn,
          user: s.dbUser,
          reason,
        });
        d.audit.emit({
          type: 'db.session.revoked',
          at: d.clock.now().toISOString(),
          requestId: s.requestId,
          instance: s.instance,
          dbUser: s.dbUser,
          principalArn: s.principalArn,
          accessKeyId: s.accessKeyId,
          source: s.source,
          code: error.code,
          reason,
        });
        s.terminate(error);
      }),
    );
  };

  const recheck = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await pass().catch((e) => d.logger.error({ err: e }, 'IAM session re-check failed'));
      } while (again);
    })().finally(() => {
      running = null;
    });
    return running;
  };
  return { recheck };
}
