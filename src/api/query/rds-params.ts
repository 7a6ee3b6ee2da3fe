// RDS Query API parameters: Gatehouse's own settings typed from the JSON API's schemas (src/api/actions.ts), the
// RDS list encoding (`Filters.Filter.N`), and which standard RDS parameters are ignored or refused (docs/rds-api.md).
import { z } from 'zod';
import { GatehouseError } from '../../core/errors.js';
import { auditSettings, endpointAliases } from '../actions.js';
import { boolean } from './action.js';
import type { ParamMap, ParamTree } from './params.js';

/** An empty list travels as `Name=` (the SDKs' serializeEmptyLists); a replaced list may be cleared so. */
const emptyList = (v: unknown): unknown => (v === '' ? [] : v);

/**
 * The Gatehouse settings CreateDBInstance and ModifyDBInstance share, as Query strings: booleans `true`/`false`,
 * lists as `EndpointAliases.member.N`. EnableIAMDatabaseAuthentication is RDS's own; the rest are extras.
 */
export const instanceSettings = {
  ForceSsl: boolean.optional(),
  EnableIAMDatabaseAuthentication: boolean.optional(),
  EndpointAliases: z.preprocess(emptyList, endpointAliases).optional(),
  TerminateRevokedIAMSessions: boolean.optional(),
  AuditFailOpen: boolean.optional(),
  AuditStatements: z.preprocess(emptyList, auditSettings.AuditStatements).optional(),
  AuditStatementLiterals: boolean.optional(),
  AuditResultDigest: boolean.optional(),
};

function isTree(v: unknown): v is { [name: string]: ParamTree } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * An RDS list: `Filters.Filter.1.Name` decodes (src/api/query/params.ts) as `{ Filter: { 1: { Name } } }`; this
 * makes it the array `[{ Name }]`. Indexes must run from 1 without gaps, as for `member.N`.
 */
export function namedList<T extends z.ZodType>(memberName: string, item: T) {
  return z.preprocess((v) => {
    if (v === '') return [];
    if (!isTree(v) || Object.keys(v).length !== 1 || !isTree(v[memberName])) return v;
    const members = v[memberName];
    const count = Object.keys(members).length;
    const list: ParamTree[] = [];
    for (let i = 1; i <= count; i++) {
      const m = members[String(i)];
      if (m === undefined) return v;
      list.push(m);
    }
    return list;
  }, z.array(item));
}

/** How a CreateDBInstance / ModifyDBInstance / DeleteDBInstance treats the standard RDS parameters it cannot honour. */
export interface StandardParameters {
  /** Capacity, placement, storage, backups, maintenance, monitoring: nothing to do for a gateway; accepted, unused. */
  readonly ignored: readonly string[];
  /** Parameter -> why not: ignoring it would mislead about credentials, encryption, the endpoint or protection. */
  readonly refused: Readonly<Record<string, string>>;
}

const IGNORED_INFRASTRUCTURE = [
  'AllocatedStorage',
  'MaxAllocatedStorage',
  'DBInstanceClass',
  'StorageType',
  'StorageThroughput',
  'Iops',
  'DedicatedLogVolume',
  'AvailabilityZone',
  'MultiAZ',
  'DBSubnetGroupName',
  'DBSecurityGroups',
  'VpcSecurityGroupIds',
  'PubliclyAccessible',
  'NetworkType',
  'DBParameterGroupName',
  'OptionGroupName',
  'EngineVersion',
  'AutoMinorVersionUpgrade',
  'LicenseModel',
  'CharacterSetName',
  'NcharCharacterSetName',
  'BackupRetentionPeriod',
  'PreferredBackupWindow',
  'PreferredMaintenanceWindow',
  'BackupTarget',
  'CopyTagsToSnapshot',
  'MonitoringInterval',
  'MonitoringRoleArn',
  'EnablePerformanceInsights',
  'PerformanceInsightsKMSKeyId',
  'PerformanceInsightsRetentionPeriod',
  'DatabaseInsightsMode',
  'EnableCloudwatchLogsExports',
  'ProcessorFeatures',
  'PromotionTier',
  'CACertificateIdentifier',
  'EngineLifecycleSupport',
  'MultiTenant',
];

const CREDENTIALS =
  'Gatehouse logs in to the backend with the admin of BackendUrl, and clients with database users it manages (gatehouse db create-db-user)';
const DOMAIN =
  'Gatehouse does its own Kerberos / Active Directory sign-in (docs/), not through an RDS Domain';
const REFUSED_COMMON: Record<string, string> = {
  MasterUsername: CREDENTIALS,
  MasterUserPassword: CREDENTIALS,
  ManageMasterUserPassword: CREDENTIALS,
  MasterUserSecretKmsKeyId: CREDENTIALS,
  TdeCredentialArn: 'Gatehouse does not configure the backend database',
  TdeCredentialPassword: 'Gatehouse does not configure the backend database',
  StorageEncrypted: 'the backend database stores the data; Gatehouse cannot encrypt it',
  KmsKeyId: 'the backend database stores the data; Gatehouse cannot encrypt it',
  DeletionProtection:
    'Gatehouse has no deletion protection; restrict rds:DeleteDBInstance with a policy instead',
  Domain: DOMAIN,
  DomainFqdn: DOMAIN,
  DomainOu: DOMAIN,
  DomainAuthSecretArn: DOMAIN,
  DomainDnsIps: DOMAIN,
  DomainIAMRoleName: DOMAIN,
  EnableCustomerOwnedIp: 'Gatehouse listens where Listen says',
  CustomIamInstanceProfile: 'there is no RDS Custom behind Gatehouse',
};

export const CREATE_STANDARD: StandardParameters = {
  ignored: IGNORED_INFRASTRUCTURE,
  refused: {
    ...REFUSED_COMMON,
    Tags: 'Gatehouse DB instances have no tags (a policy condition on them would never match)',
    DBClusterIdentifier: 'Gatehouse has no DB clusters',
    DBSystemId: 'there is no RDS Custom behind Gatehouse',
    Timezone: 'Gatehouse does not configure the backend database',
  },
};

export const MODIFY_STANDARD: StandardParameters = {
  ignored: [
    ...IGNORED_INFRASTRUCTURE,
    'ApplyImmediately',
    'AllowMajorVersionUpgrade',
    'UseDefaultProcessorFeatures',
  ],
  refused: {
    ...REFUSED_COMMON,
    RotateMasterUserPassword: CREDENTIALS,
    NewDBInstanceIdentifier:
      'Gatehouse cannot rename a DB instance: create one with the new name and delete this one',
    Engine: 'the engine of a Gatehouse DB instance is fixed when it is created',
    CloudwatchLogsExportConfiguration:
      'Gatehouse has no CloudWatch Logs export: its audit trail is LookupEvents',
  },
};

export const DELETE_STANDARD: StandardParameters = {
  // Gatehouse never touches the database's data when it deregisters an instance: there is nothing to snapshot.
  ignored: ['SkipFinalSnapshot', 'FinalDBSnapshotIdentifier', 'DeleteAutomatedBackups'],
  refused: {},
};

export const DESCRIBE_STANDARD: StandardParameters = { ignored: [], refused: {} };

export function invalidValue(reason: string): GatehouseError {
  return new GatehouseError('GH_RDS_INVALID_PARAMETER_VALUE', { reason });
}

/**
 * Refuses the standard parameters Gatehouse will not ignore and any parameter it does not know; returns the
 * parameters without the ignored ones (which the audit event still records, from the request itself).
 */
export function screenParameters(
  action: string,
  params: ParamMap,
  known: readonly string[],
  standard: StandardParameters,
): ParamMap {
  const ignored = new Set(standard.ignored);
  const accepted = new Set(known);
  const kept: ParamMap = {};
  for (const [name, value] of Object.entries(params)) {
    if (Object.hasOwn(standard.refused, name)) {
      throw new GatehouseError('GH_RDS_UNSUPPORTED_PARAMETER', {
        parameter: name,
        reason: standard.refused[name] as string,
      });
    }
    if (ignored.has(name)) continue;
    if (!accepted.has(name)) {
      throw invalidValue(
        `${name} is not a ${action} parameter Gatehouse supports (docs/rds-api.md lists them)`,
      );
    }
    kept[name] = value;
  }
  return kept;
}
