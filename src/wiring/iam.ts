// Wires the IAM plane into the API: the IAM/STS services, the management-API authoriser and policy simulation.

import type { QueryAuthorize, StsService as QueryStsService, Simulate } from '../api/query/types.js';
import type { Authorize } from '../api/server.js';
import type { ConnectAuthzRequest, ConnectDecision } from '../auth/iam-token/verify.js';
import type { Account } from '../core/account.js';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import type { SecretBox } from '../core/secret-box.js';
import { authorizePrincipal, type CompiledPrincipal, compilePrincipal } from '../iam/principal-authorize.js';
import { createPrincipalCache, type LoadedPrincipal } from '../iam/principal-policies.js';
import { createIamService } from '../iam/service.js';
import { createStsService } from '../iam/sts.js';
import type { IamService } from '../iam/types.js';
import {
  type CompiledPolicy,
  compilePolicy,
  contextKeysOf,
  evaluate,
  parsePolicyDocument,
} from '../policy/index.js';
import type { Store } from '../store/pool.js';
import { contextFromEntries, typedContext } from './context-values.js';

export interface IamWiring {
  readonly iam: IamService;
  readonly sts: QueryStsService;
  readonly simulate: Simulate;
  readonly authorizeQuery: QueryAuthorize;
  /** Authoriser for the JSON /v1 management actions (rds:…, gatehouse:…). */
  readonly authorizeJson: Authorize;
  /** rds-db:connect for the principal of an access key (IAM database authentication). */
  authorizeConnect(request: ConnectAuthzRequest): Promise<ConnectDecision>;
  /** Drop cached principals (on NOTIFY 'iam' from any node). */
  invalidate(): void;
  /** The principal cache's lookups and invalidations since start (metrics). */
  cacheStats(): { readonly hits: number; readonly loads: number; readonly invalidations: number };
}

/** JSON action -> IAM permission; the resource is the instance ARN (`*` for the actions below). */
const JSON_PERMISSIONS: Record<string, string> = {
  CreateDBInstance: 'rds:CreateDBInstance',
  DescribeDBInstances: 'rds:DescribeDBInstances',
  ModifyDBInstance: 'rds:ModifyDBInstance',
  DeleteDBInstance: 'rds:DeleteDBInstance',
  CreateDBUser: 'gatehouse:CreateDBUser',
  ListDBUsers: 'gatehouse:ListDBUsers',
  DeleteDBUser: 'gatehouse:DeleteDBUser',
  RotateDBUserPassword: 'gatehouse:RotateDBUserPassword',
  LookupEvents: 'cloudtrail:LookupEvents',
};

/** Actions with no resource-level permission (as in AWS): authorised on resource `*`. */
const JSON_ANY_RESOURCE: ReadonlySet<string> = new Set(['LookupEvents']);

export function createIamWiring(deps: {
  store: Store;
  box: SecretBox;
  clock: Clock;
  account: Account;
  notify(): Promise<void>;
}): IamWiring {
  const { store, box, clock, account } = deps;
  const cache = createPrincipalCache(store);
  const compiled = new WeakMap<LoadedPrincipal, CompiledPrincipal>();
  const principal = async (key: string): Promise<CompiledPrincipal | null> => {
    const loaded = await cache.load(key);
    if (!loaded) return null;
    let c = compiled.get(loaded);
    if (!c) {
      c = compilePrincipal(loaded);
      compiled.set(loaded, c);
    }
    return c;
  };
  const iam = createIamService({ store, box, clock, account, notify: () => deps.notify() });
  const sts = createStsService({ store, box, clock, account, principals: cache });

  const allowed = async (
    key: string,
    action: string,
    resource: string,
    facts: Record<string, string | readonly string[]>,
  ) => {
    const p = await principal(key);
    if (!p) return false;
    return (
      authorizePrincipal(p, { action, resource, context: typedContext(facts) }, evaluate).decision ===
      'allowed'
    );
  };

  const baseFacts = (): Record<string, string> => {
    const now = clock.now();
    return {
      'aws:CurrentTime': now.toISOString(),
      'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
      'aws:SecureTransport': 'true',
    };
  };

  return {
    iam,
    sts: {
      assumeRole: (p, caller) => sts.assumeRole(p, caller, evaluate, typedContext(baseFacts())),
      getCallerIdentity: async (caller) => sts.getCallerIdentity(caller),
    },
    simulate: (input) => simulate(input, principal, account),
    authorizeQuery: (caller, action, resource, context) =>
      allowed(caller.accessKeyId, action, resource, context),
    authorizeJson: async ({ principalArn, accessKeyId, action, params }) => {
      const permission = JSON_PERMISSIONS[action] ?? `gatehouse:${action}`;
      const id = typeof params['DBInstanceIdentifier'] === 'string' ? params['DBInstanceIdentifier'] : '*';
      const resource = JSON_ANY_RESOURCE.has(action)
        ? '*'
        : `arn:aws:rds:${account.region}:${account.accountId}:db:${id}`;
      if (!(await allowed(accessKeyId, permission, resource, baseFacts()))) {
        throw new GatehouseError('GH_API_ACCESS_DENIED', {
          principal: principalArn,
          action: permission,
          resource,
        });
      }
    },
    async authorizeConnect({ accessKeyId, resource, facts }) {
      // Keyed by access key: an ASIA key loads its own session (with any session policy), an AKIA key its user.
      const p = await principal(accessKeyId);
      if (!p) return { decision: 'noPrincipal', reason: `no principal owns ${accessKeyId}` };
      return connectDecision(p, resource, facts);
    },
    invalidate: () => cache.invalidate(),
    cacheStats: () => cache.stats,
  };
}

/** rds-db:connect for a compiled principal (exported for the bench, which measures exactly this path). */
export function connectDecision(
  p: CompiledPrincipal,
  resource: string,
  facts: Readonly<Record<string, string>>,
): ConnectDecision {
  const d = authorizePrincipal(
    p,
    { action: 'rds-db:connect', resource, context: typedContext(facts) },
    evaluate,
  );
  // The explanation is for refusals (operator log); an allowed connection does not pay for it (an allowed
  // decision builds its reason only when read).
  if (d.decision === 'allowed') return d;
  const matched = d.matched.map((m) => `${m.policy}${m.sid ? ` (${m.sid})` : ''}`).join(', ');
  return { decision: d.decision, reason: matched ? `${d.reason}; matched ${matched}` : d.reason };
}

function compileInputs(docs: readonly string[]): CompiledPolicy[] {
  return docs.map((json, i) => {
    const parsed = parsePolicyDocument(json, 'identity');
    if (!parsed.ok) {
      const reason = parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
      throw new GatehouseError('GH_IAM_MALFORMED_POLICY', { reason: `PolicyInputList.${i + 1}: ${reason}` });
    }
    return compilePolicy(parsed.policy, { name: `PolicyInputList.${i + 1}`, kind: 'identity' });
  });
}

/** iam:Simulate{Principal,Custom}Policy: every action x resource, with matched statements and missing keys. */
async function simulate(
  input: Parameters<Simulate>[0],
  principal: (key: string) => Promise<CompiledPrincipal | null>,
  account: Account,
): ReturnType<Simulate> {
  const extra = compileInputs(input.policyInputList ?? []);
  let source: CompiledPrincipal | null = null;
  if (input.policySourceArn !== undefined) {
    source = await principal(input.policySourceArn);
    if (!source) {
      throw new GatehouseError('GH_IAM_NO_SUCH_ENTITY', {
        reason: `The entity ${input.policySourceArn} cannot be found or is not a user or role.`,
      });
    }
  }
  const identity = [...(source?.identity ?? []), ...extra];
  const boundary = source?.boundary ?? null;
  const context = contextFromEntries(input.contextEntries);
  const provided = new Set(Object.keys(context).map((k) => k.toLowerCase()));
  const missing = contextKeysOf([...identity, ...(boundary ?? [])]).filter(
    (k) => !provided.has(k.toLowerCase()),
  );
  const requestPrincipal = source?.principal ?? {
    arn: `arn:aws:iam::${account.accountId}:root`,
    accountId: account.accountId,
  };
  const resources = input.resourceArns?.length ? input.resourceArns : ['*'];
  return input.actionNames.flatMap((action) =>
    resources.map((resource) => {
      const d = evaluate({
        identity,
        boundary,
        request: { action, resource, principal: requestPrincipal, context },
      });
      return {
        EvalActionName: action,
        EvalResourceName: resource,
        EvalDecision: d.decision,
        MatchedStatements: d.matched.map((m) => ({
          SourcePolicyId: m.policy,
          SourcePolicyType: 'IAM Policy',
        })),
        MissingContextValues: missing,
      };
    }),
  );
}
