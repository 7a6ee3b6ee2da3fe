// Row -> API view mapping (RDS field names).

import type { Account } from '../core/account.js';
import { formatHostPort } from '../core/host-port.js';
import type { DbUserView, InstanceView } from '../core/types.js';
import type { DbUserRow, PasswordRow } from '../store/db-users-repo.js';
import type { InstanceRow } from '../store/instances-repo.js';

export function instanceArn(account: Account, identifier: string): string {
  return `arn:aws:rds:${account.region}:${account.accountId}:db:${identifier}`;
}

export function toInstanceView(account: Account, row: InstanceRow): InstanceView {
  return {
    DBInstanceIdentifier: row.identifier,
    Engine: row.engine,
    DbiResourceId: row.dbiResourceId,
    DBInstanceArn: instanceArn(account, row.identifier),
    Endpoint: { Address: row.listenHost, Port: row.listenPort },
    BackendUrl: row.backendUrl,
    ForceSsl: row.forceSsl,
    IAMDatabaseAuthenticationEnabled: row.iamAuth,
    EndpointAliases: [...row.endpointAliases],
    TerminateRevokedIAMSessions: row.iamTerminateSessions,
    AuditFailOpen: row.auditFailOpen,
    AuditStatements: [...row.auditStatements],
    AuditStatementLiterals: row.auditStatementLiterals,
    AuditResultDigest: row.auditResultDigest,
    InstanceCreateTime: row.createdAt.toISOString(),
  };
}

/**
 * The API view of a database user. PreviousPasswordValidUntil names the latest grace end still ahead of `now`:
 * a grace window that has passed is not shown (its password no longer logs in, even before it is deleted).
 */
export function toDbUserView(
  instance: InstanceRow,
  user: DbUserRow,
  passwords: PasswordRow[] = [],
  now: Date = new Date(),
): DbUserView {
  const previous = passwords
    .map((p) => p.validUntil?.getTime())
    .filter((t): t is number => t !== undefined && t > now.getTime());
  const view: DbUserView = {
    DBInstanceIdentifier: instance.identifier,
    Username: user.username,
    Auth: user.auth,
    CreateTime: user.createdAt.toISOString(),
    ...(user.grants.length ? { Grants: [...user.grants] } : {}),
  };
  return previous.length
    ? { ...view, PreviousPasswordValidUntil: new Date(Math.max(...previous)).toISOString() }
    : view;
}

export function endpointOf(row: InstanceRow): string {
  return formatHostPort(row.listenHost, row.listenPort);
}
