// Renders command results (--output json|table|text) and errors the way the AWS CLI does.
import { GatehouseError } from '../core/errors.js';
import { ApiError } from './api-client.js';
import { formatTable } from './output-table.js';
import { formatText } from './output-text.js';

export const OUTPUT_FORMATS = ['json', 'table', 'text'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `title` is the API action name, shown as the heading of a table. */
export function formatOutput(value: unknown, format: OutputFormat, title: string): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(value, null, 2)}\n`;
    case 'table':
      return formatTable(value, title);
    case 'text':
      return formatText(value);
  }
}

/** One line for stderr: `gatehouse: <message> [<code>]`. */
export function formatCliError(e: unknown): string {
  if (e instanceof ApiError) return `gatehouse: ${e.message} [${e.gatehouseCode}]\n`;
  if (e instanceof GatehouseError) return `gatehouse: ${e.clientMessage()} [${e.code}]\n`;
  return `gatehouse: ${e instanceof Error ? e.message : String(e)}\n`;
}
