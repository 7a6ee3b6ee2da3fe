// Conformance of the evaluator with AWS IAM semantics, driven by the case tables in cases/*.ts (each case
// parses its policies from JSON, compiles and evaluates them, and checks the decision and deciding Sids).
import { describe, expect, it } from 'vitest';
import { type CompiledPolicy, compilePolicy, evaluate } from '../../../src/policy/evaluate.js';
import { parsePolicyDocument } from '../../../src/policy/parse.js';
import type { PolicyKind } from '../../../src/policy/types.js';
import { arnCases } from './cases/arn.js';
import { boolBinaryIpCases } from './cases/bool-binary-ip.js';
import { boundaryResourceCases } from './cases/boundaries-resource.js';
import { ALICE, type PolicyCase, type PolicyInput, plain } from './cases/case.js';
import { elementCases } from './cases/elements.js';
import { numericDateCases } from './cases/numeric-date.js';
import { rdsCases } from './cases/rds.js';
import { setCases } from './cases/sets.js';
import { stringCases } from './cases/strings.js';
import { variableCases } from './cases/variables.js';

const TABLES: Record<string, PolicyCase[]> = {
  strings: stringCases,
  'numeric and date': numericDateCases,
  'bool, binary, ip': boolBinaryIpCases,
  arn: arnCases,
  'set operators, IfExists, Null': setCases,
  'policy variables': variableCases,
  'statement elements': elementCases,
  'boundaries and resource policies': boundaryResourceCases,
  'RDS IAM policies': rdsCases,
};

function compileAll(inputs: PolicyInput[], kind: PolicyKind, prefix: string): CompiledPolicy[] {
  return inputs.map((input, i) => {
    const json = typeof input === 'string' ? input : JSON.stringify(input);
    const parsed = parsePolicyDocument(json, kind);
    if (!parsed.ok) throw new Error(`${prefix}${i} does not parse: ${JSON.stringify(parsed.errors)}`);
    return compilePolicy(parsed.policy, { name: `${prefix}${i}`, kind });
  });
}

/** Compiles the case once and evaluates it three times: the first sight and the memoised path must agree. */
function run(c: PolicyCase) {
  const { principal, context, ...rest } = c.request;
  const input = {
    identity: compileAll(c.identity ?? [], 'identity', 'identity'),
    ...(c.resource ? { resource: compileAll(c.resource, c.resourceKind ?? 'resource', 'resource') } : {}),
    ...(c.boundary !== undefined
      ? { boundary: c.boundary === null ? null : compileAll(c.boundary, 'identity', 'boundary') }
      : {}),
    request: {
      ...rest,
      context: context ?? {},
      ...(principal === null ? {} : { principal: principal ?? ALICE }),
    },
  };
  const first = evaluate(input);
  for (let i = 0; i < 2; i++) expect(plain(evaluate(input))).toEqual(plain(first));
  return first;
}

describe('IAM conformance', () => {
  const all = Object.values(TABLES).flat();

  it('has at least 150 cases with unique names', () => {
    expect(all.length).toBeGreaterThanOrEqual(150);
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
  });

  for (const [table, cases] of Object.entries(TABLES)) {
    describe(table, () => {
      for (const c of cases) {
        it(c.name, () => {
          const decision = run(c);
          expect(decision.decision, decision.reason).toBe(c.expect);
          const sids = decision.matched.map((m) => m.sid ?? '').filter((s) => s !== '');
          expect([...sids].sort()).toEqual([...(c.sids ?? [])].sort());
          if (c.expect === 'implicitDeny') expect(decision.matched).toEqual([]);
          expect(decision.reason.length).toBeGreaterThan(0);
        });
      }
    });
  }
});
