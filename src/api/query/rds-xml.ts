// An instance as RDS's DBInstance structure (RDS API Reference, "DBInstance"), plus Gatehouse's own settings as
// extra elements (SDKs and the AWS CLI skip elements their model does not name).
import type { InstanceView } from '../../core/types.js';
import type { XmlValue } from './xml-writer.js';

/** Gatehouse applies every change before answering; a deleted instance is answered as RDS does, "deleting". */
export type DBInstanceStatus = 'available' | 'deleting';

/** RDS's DBName: the database the backend URL names (`postgres` when it names none, as the provisioner reads it). */
function dbNameOf(backendUrl: string): string | undefined {
  try {
    return decodeURIComponent(new URL(backendUrl).pathname.replace(/^\//, '')) || 'postgres';
  } catch {
    return undefined;
  }
}

export function dbInstanceXml(v: InstanceView, status: DBInstanceStatus): XmlValue {
  const dbName = dbNameOf(v.BackendUrl);
  return {
    DBInstanceIdentifier: v.DBInstanceIdentifier,
    Engine: v.Engine,
    DBInstanceStatus: status,
    ...(dbName !== undefined ? { DBName: dbName } : {}),
    Endpoint: { Address: v.Endpoint.Address, Port: v.Endpoint.Port },
    InstanceCreateTime: v.InstanceCreateTime,
    MultiAZ: false,
    DbiResourceId: v.DbiResourceId,
    DBInstanceArn: v.DBInstanceArn,
    IAMDatabaseAuthenticationEnabled: v.IAMDatabaseAuthenticationEnabled,
    DeletionProtection: false,
    // Gatehouse's settings, named as its parameters (lists as <member>); BackendUrl never carries a password.
    BackendUrl: v.BackendUrl,
    ForceSsl: v.ForceSsl,
    EndpointAliases: v.EndpointAliases,
    TerminateRevokedIAMSessions: v.TerminateRevokedIAMSessions,
    AuditFailOpen: v.AuditFailOpen,
    AuditStatements: v.AuditStatements,
    AuditStatementLiterals: v.AuditStatementLiterals,
    AuditResultDigest: v.AuditResultDigest,
  };
}
