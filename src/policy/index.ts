// Public surface of the IAM policy module: parse/validate, size quotas, compile, evaluate.
export { type CompiledPolicy, type CompiledStatement, compilePolicy, type PolicyMeta } from './compile.js';
export { contextKeysOf, type EvaluateInput, evaluate } from './evaluate.js';
export { parsePolicyDocument } from './parse.js';
export { POLICY_SIZE_LIMITS, policySize, policySizeError } from './size.js';
export type * from './types.js';
