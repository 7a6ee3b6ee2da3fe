// The one place src/iam imports the policy evaluator from (src/policy), so the IAM code sees a single seam.

export type {
  AuthzRequest,
  ContextValue,
  Decision,
  PolicyDocument,
  RequestPrincipal,
} from '../policy/index.js';
export {
  type CompiledPolicy,
  compilePolicy,
  type EvaluateInput,
  evaluate,
  parsePolicyDocument,
  policySize,
  policySizeError,
} from '../policy/index.js';

import type { Decision, EvaluateInput } from '../policy/index.js';

/** The evaluator as injected into STS and authorization helpers (src/policy evaluate in production). */
export type EvaluateFn = (input: EvaluateInput) => Decision;
