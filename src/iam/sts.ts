// STS: AssumeRole (trust policy and caller's identity policies must both allow) and GetCallerIdentity.
import { randomBytes } from 'node:crypto';
import type { Account } from '../core/account.js';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import { newAccessKeyId, newSecretAccessKey } from '../core/ids.js';
import type { SecretBox } from '../core/secret-box.js';
import { findRoleByArn, type IamRoleRow } from '../store/iam-roles-repo.js';
import { deleteSessionsExpiredBefore, insertSessionRow } from '../store/iam-sessions-repo.js';
import type { Store } from '../store/pool.js';
import { assumedRoleArn, parseAssumedRoleArn, parseIamArn } from './arns.js';
import { accessKeyAad, hashSessionToken } from './credential-lookup.js';
import { checkPolicyDocument, parseStoredDocument } from './policy-documents.js';
import { type AuthzRequest, type ContextValue, compilePolicy, type EvaluateFn } from './policy-engine.js';
import { authorizePrincipal, compilePrincipal } from './principal-authorize.js';
import { loadPrincipal, type PrincipalCache } from './principal-policies.js';
import type { Caller } from './types.js';
import { checkIntRange, checkName, NAME_LIMITS, validationError } from './validate.js';

export { createCredentialLookup } from './credential-lookup.js';

export interface AssumeRoleParams {
  RoleArn: string;
  RoleSessionName: string;
  DurationSeconds?: number;
  /** An inline session policy: the session gets at most what both it and the role allow. */
  Policy?: string;
}

export interface AssumeRoleResult {
  Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
  AssumedRoleUser: { AssumedRoleId: string; Arn: string };
  PackedPolicySize?: number;
}

export interface StsService {
  assumeRole(
    p: AssumeRoleParams,
    caller: Caller,
    evaluateFn: EvaluateFn,
    context?: Record<string, ContextValue>,
  ): Promise<AssumeRoleResult>;
  getCallerIdentity(caller: Caller): { UserId: string; Account: string; Arn: string };
}

export interface StsDeps {
  readonly store: Store;
  readonly box: SecretBox;
  readonly clock: Clock;
  readonly account: Account;
  /** When given, the caller's policies come through this cache (invalidated on NOTIFY 'iam'). */
  readonly principals?: PrincipalCache;
}

/** AssumeRole DurationSeconds: 15 minutes up to the role's MaxSessionDuration; 1 hour when chaining roles. */
export const ASSUME_ROLE_DURATION = { min: 900, default: 3600, chainedMax: 3600 } as const;
/** AssumeRole Policy: plaintext session policy of at most 2048 characters. */
const SESSION_POLICY_MAX = 2048;
const EXPIRED_SESSION_RETENTION_MS = 24 * 3600 * 1000;

function denied(caller: Caller, roleArn: string, detail: string): GatehouseError {
  return new GatehouseError('GH_STS_ACCESS_DENIED', { caller: caller.arn, role: roleArn }, { detail });
}

function checkDuration(p: AssumeRoleParams, role: IamRoleRow, caller: Caller): number {
  if (p.DurationSeconds === undefined) return Math.min(ASSUME_ROLE_DURATION.default, role.maxSessionDuration);
  checkIntRange('durationSeconds', p.DurationSeconds, ASSUME_ROLE_DURATION.min, 43200);
  if (p.DurationSeconds > role.maxSessionDuration) {
    throw new GatehouseError('GH_IAM_VALIDATION', {
      reason: `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
    });
  }
  if (parseAssumedRoleArn(caller.arn) && p.DurationSeconds > ASSUME_ROLE_DURATION.chainedMax) {
    throw new GatehouseError('GH_IAM_VALIDATION', {
      reason:
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    });
  }
  return p.DurationSeconds;
}

function checkSessionPolicy(policy: string | undefined): string | null {
  if (policy === undefined) return null;
  if (policy.length > SESSION_POLICY_MAX) {
    throw validationError(
      'policy',
      `${policy.length} characters`,
      `have length less than or equal to ${SESSION_POLICY_MAX}`,
    );
  }
  return checkPolicyDocument(policy, { kind: 'managed' });
}

export function createStsService(deps: StsDeps): StsService {
  const { store, box, clock, account } = deps;
  const load = (key: string) => (deps.principals ? deps.principals.load(key) : loadPrincipal(store, key));

  async function authorize(
    role: IamRoleRow,
    caller: Caller,
    evaluateFn: EvaluateFn,
    sessionName: string,
    context: Record<string, ContextValue>,
  ): Promise<void> {
    // Sessions are loaded by key id so a chained call is limited by the caller's own session policy too.
    const loaded = await load(caller.accessKeyId.startsWith('ASIA') ? caller.accessKeyId : caller.arn);
    if (!loaded) throw denied(caller, role.arn, `caller ${caller.arn} has no IAM identity in the store`);
    const principal = compilePrincipal(loaded);
    const now = clock.now();
    const request: Omit<AuthzRequest, 'principal'> = {
      action: 'sts:AssumeRole',
      resource: role.arn,
      context: {
        'aws:CurrentTime': { type: 'date', values: [now.toISOString()] },
        'aws:EpochTime': { type: 'number', values: [String(Math.floor(now.getTime() / 1000))] },
        'sts:RoleSessionName': { type: 'string', values: [sessionName] },
        ...(loaded.session && { 'aws:PrincipalArn': { type: 'arn', values: [loaded.session.roleArn] } }),
        ...context,
      },
    };
    const identity = authorizePrincipal(principal, request, evaluateFn);
    if (identity.decision !== 'allowed') {
      throw denied(
        caller,
        role.arn,
        `the caller's identity policies do not allow sts:AssumeRole on the role: ${identity.reason}`,
      );
    }
    const trustName = `trust policy of ${role.name}`;
    const trust = compilePolicy(parseStoredDocument(role.trustPolicy, 'trust', trustName), {
      name: trustName,
      arn: role.arn,
      kind: 'trust',
    });
    const combined = authorizePrincipal(principal, request, evaluateFn, [trust]);
    if (combined.decision === 'explicitDeny') {
      const inTrust = combined.matched.some((m) => m.policy === trustName);
      throw denied(
        caller,
        role.arn,
        `${inTrust ? 'the role trust policy' : "the caller's policies"} explicitly deny: ${combined.reason}`,
      );
    }
    if (
      combined.decision !== 'allowed' ||
      !combined.matched.some((m) => m.policy === trustName && m.effect === 'Allow')
    ) {
      throw denied(caller, role.arn, `the role's trust policy does not allow ${caller.arn} to assume it`);
    }
  }

  return {
    async assumeRole(p, caller, evaluateFn, context = {}) {
      const sessionName = checkName('roleSessionName', p.RoleSessionName, NAME_LIMITS.session, 2);
      const parsed = typeof p.RoleArn === 'string' ? parseIamArn(p.RoleArn) : null;
      if (parsed?.type !== 'role') {
        throw validationError('roleArn', p.RoleArn, 'be a role ARN (arn:aws:iam::ACCOUNT:role/NAME)');
      }
      const sessionPolicy = checkSessionPolicy(p.Policy);
      // AWS answers AccessDenied, not NoSuchEntity, for a role that does not exist: nothing is revealed.
      const role = parsed.accountId === account.accountId ? await findRoleByArn(store.pool, p.RoleArn) : null;
      if (!role) throw denied(caller, p.RoleArn, `no role ${p.RoleArn} in account ${account.accountId}`);
      const duration = checkDuration(p, role, caller);
      await authorize(role, caller, evaluateFn, sessionName, context);

      const accessKeyId = newAccessKeyId('ASIA');
      const secretAccessKey = newSecretAccessKey();
      const sessionToken = randomBytes(96).toString('base64');
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + duration * 1000);
      await insertSessionRow(store.pool, {
        accessKeyId,
        secret: box.seal(secretAccessKey, accessKeyAad(accessKeyId)),
        tokenHash: hashSessionToken(sessionToken),
        roleArn: role.arn,
        roleId: role.roleId,
        sessionName,
        sessionPolicy,
        sourceArn: caller.arn,
        expiresAt,
        createdAt: now,
      });
      // Housekeeping: a day after expiry a session is only clutter (until then it still reads as "expired").
      await deleteSessionsExpiredBefore(store.pool, new Date(now.getTime() - EXPIRED_SESSION_RETENTION_MS));
      const result: AssumeRoleResult = {
        Credentials: {
          AccessKeyId: accessKeyId,
          SecretAccessKey: secretAccessKey,
          SessionToken: sessionToken,
          Expiration: expiresAt.toISOString(),
        },
        AssumedRoleUser: {
          AssumedRoleId: `${role.roleId}:${sessionName}`,
          Arn: assumedRoleArn(account.accountId, role.name, sessionName),
        },
      };
      // PackedPolicySize: percentage of the allowed session-policy size used (AWS reports it when Policy is given).
      if (sessionPolicy !== null)
        result.PackedPolicySize = Math.ceil((sessionPolicy.length / SESSION_POLICY_MAX) * 100);
      return result;
    },

    getCallerIdentity(caller) {
      return { UserId: caller.userId, Account: caller.accountId, Arn: caller.arn };
    },
  };
}
