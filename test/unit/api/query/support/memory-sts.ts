// In-memory STS (temporary ASIA keys with a session token), a recording simulator and a recording authorizer.
import { randomBytes } from 'node:crypto';
import type {
  AssumeRoleInput,
  AssumeRoleOutput,
  AuthorizeContext,
  CallerIdentity,
  EvaluationResult,
  QueryAuthorize,
  Simulate,
  SimulateInput,
  StsService,
} from '../../../../../src/api/query/types.js';
import type { Clock } from '../../../../../src/core/clock.js';
import { GatehouseError } from '../../../../../src/core/errors.js';
import { newAccessKeyId, newSecretAccessKey } from '../../../../../src/core/ids.js';
import type { Caller } from '../../../../../src/iam/types.js';
import { ACCOUNT, type MemoryIam } from './memory-iam.js';
import { type SessionKeys, tokenHash } from './session-keys.js';

export class MemorySts implements StsService {
  readonly assumed: AssumeRoleInput[] = [];

  constructor(
    private readonly iam: MemoryIam,
    private readonly keys: SessionKeys,
    private readonly clock: Clock,
  ) {}

  async assumeRole(p: AssumeRoleInput, caller: Caller): Promise<AssumeRoleOutput> {
    this.assumed.push(p);
    const role = [...this.iam.roles.values()].find((r) => r.Arn === p.RoleArn);
    if (!role) throw new GatehouseError('GH_STS_ACCESS_DENIED', { caller: caller.arn, role: p.RoleArn });
    const accessKeyId = newAccessKeyId('ASIA');
    const secretAccessKey = newSecretAccessKey();
    const token = randomBytes(48).toString('base64');
    const expiresAt = new Date(this.clock.now().getTime() + (p.DurationSeconds ?? 3600) * 1000);
    const arn = `arn:aws:sts::${ACCOUNT}:assumed-role/${role.RoleName}/${p.RoleSessionName}`;
    this.keys.add({
      accessKeyId,
      secretAccessKey,
      principalArn: arn,
      sessionTokenHash: tokenHash(token),
      expiresAt,
    });
    return {
      Credentials: {
        AccessKeyId: accessKeyId,
        SecretAccessKey: secretAccessKey,
        SessionToken: token,
        Expiration: expiresAt,
      },
      AssumedRoleUser: { AssumedRoleId: `${role.RoleId}:${p.RoleSessionName}`, Arn: arn },
      ...(p.Policy !== undefined ? { PackedPolicySize: 6 } : {}),
      ...(p.SourceIdentity !== undefined ? { SourceIdentity: p.SourceIdentity } : {}),
    };
  }

  async getCallerIdentity(caller: Caller): Promise<CallerIdentity> {
    return { UserId: caller.userId, Account: caller.accountId, Arn: caller.arn };
  }
}

/** Answers `allowed` for actions in `allow`, `implicitDeny` otherwise, and remembers every input. */
export class RecordingSimulator {
  readonly inputs: SimulateInput[] = [];
  allow = new Set<string>();

  readonly simulate: Simulate = async (input) => {
    this.inputs.push(input);
    const resources = input.resourceArns ?? ['*'];
    return input.actionNames.flatMap((action) =>
      resources.map(
        (resource): EvaluationResult => ({
          EvalActionName: action,
          EvalResourceName: resource,
          EvalDecision: this.allow.has(action) ? 'allowed' : 'implicitDeny',
          MatchedStatements: this.allow.has(action)
            ? [
                {
                  SourcePolicyId: 'PolicyInputList.1',
                  StartPosition: { Line: 1, Column: 2 },
                  EndPosition: { Line: 3, Column: 40 },
                },
              ]
            : [],
          MissingContextValues: this.allow.has(action) ? [] : ['aws:SourceIp'],
        }),
      ),
    );
  };
}

export interface AuthorizeCall {
  caller: Caller;
  action: string;
  resource: string;
  context: AuthorizeContext;
}

/** Allows everything except `deny` entries ("iam:CreateUser" or "iam:CreateUser RESOURCE"); records calls. */
export class RecordingAuthorizer {
  readonly calls: AuthorizeCall[] = [];
  readonly deny = new Set<string>();

  readonly authorize: QueryAuthorize = (caller, action, resource, context) => {
    this.calls.push({ caller, action, resource, context });
    return !this.deny.has(action) && !this.deny.has(`${action} ${resource}`) && !this.deny.has('*');
  };

  last(): AuthorizeCall | undefined {
    return this.calls[this.calls.length - 1];
  }
}
