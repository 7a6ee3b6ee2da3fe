// `--query`: a JMESPath expression applied to a command's result before it is formatted, as the AWS CLI does.
import { compile, type JSONValue, search } from '@jmespath-community/jmespath';
import { GatehouseError } from '../core/errors.js';

function queryError(expression: string, e: unknown): GatehouseError {
  const reason = e instanceof Error ? e.message : String(e);
  return new GatehouseError('GH_CLI_INVALID_QUERY', { expression, reason }, { cause: e });
}

/** Parses the expression; throws GH_CLI_INVALID_QUERY (with the parser's message) when it does not parse. */
export function checkQuery(expression: string): void {
  try {
    compile(expression);
  } catch (e) {
    throw queryError(expression, e);
  }
}

/**
 * The result narrowed by the expression, or unchanged without one. A function error found only while searching
 * (an unknown function, an argument of the wrong type) is GH_CLI_INVALID_QUERY too.
 */
export function applyQuery(value: unknown, expression: string | undefined): unknown {
  if (expression === undefined) return value;
  try {
    // JSON-shaped already: command results are parsed JSON or SDK output converted by awsCliResult.
    return search(value as JSONValue, expression);
  } catch (e) {
    throw queryError(expression, e);
  }
}
