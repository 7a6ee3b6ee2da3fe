// Runs one IAM or STS operation through the AWS SDK for a command and prints the result like the AWS CLI.
import type { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { createIamClient, createStsClient, sdkCliError } from './aws-sdk-client.js';
import { type ClientConfig, resolveClientConfig } from './client-config.js';
import { type CliIo, globalsOf, printResult } from './context.js';
import { awsCliResult } from './iam-output.js';
import { collectPages, DEFAULT_PAGINATION, type PaginationOptions, paginationOf } from './paginate.js';

/** The pagination members of IAM list and simulate results (Marker / IsTruncated). */
export interface ListPage {
  IsTruncated?: boolean | undefined;
  Marker?: string | undefined;
}

async function run<C extends { destroy(): void }>(
  cmd: Command,
  io: CliIo,
  operation: string,
  create: (config: ClientConfig) => C,
  send: (client: C) => Promise<object>,
  decodePolicies: boolean,
): Promise<void> {
  const globals = globalsOf(cmd);
  const config = resolveClientConfig(globals, io.env);
  const client = create(config);
  let result: object;
  try {
    result = await send(client);
  } catch (e) {
    throw sdkCliError(e, operation, config.endpoint);
  } finally {
    // Closes the keep-alive sockets, which would otherwise hold the process open.
    client.destroy();
  }
  const out = awsCliResult(result, { decodePolicies });
  // Like the AWS CLI, an operation without output (DeleteUser, TagUser, …) prints nothing.
  if (Object.keys(out).length === 0) return;
  printResult(cmd, io, out, operation);
}

/** `operation` is the API name (GetUser): it titles table output and names the call in errors. */
export function iamCall(
  cmd: Command,
  io: CliIo,
  operation: string,
  send: (iam: IAMClient) => Promise<object>,
): Promise<void> {
  return run(cmd, io, operation, createIamClient, send, true);
}

export function stsCall(
  cmd: Command,
  io: CliIo,
  operation: string,
  send: (sts: STSClient) => Promise<object>,
): Promise<void> {
  return run(cmd, io, operation, createStsClient, send, false);
}

/**
 * Every page of a list operation merged into one result without IsTruncated/Marker, which is what the AWS CLI
 * prints by default (it follows the markers itself); `options` carry --max-items, --starting-token and
 * --no-paginate (paginate.ts). `resultKey` may list several members (ListEntitiesForPolicy), the first counted
 * by --max-items.
 */
export function allPages(
  fetch: (marker: string | undefined) => Promise<ListPage>,
  resultKey: string | readonly string[],
  options: PaginationOptions = DEFAULT_PAGINATION,
): Promise<object> {
  return collectPages(
    {
      tokenKey: 'Marker',
      resultKeys: typeof resultKey === 'string' ? [resultKey] : resultKey,
      pagingKeys: ['IsTruncated', 'Marker'],
      next: (page) =>
        page['IsTruncated'] && typeof page['Marker'] === 'string' ? page['Marker'] : undefined,
      fetch: async (marker) => (await fetch(marker)) as Record<string, unknown>,
    },
    options,
  );
}

/**
 * A paginated IAM list operation, all pages printed as one result; the command's --max-items /
 * --starting-token and the global --no-paginate apply when the command has them (paginate.ts lists them).
 */
export function iamListAll(
  cmd: Command,
  io: CliIo,
  operation: string,
  resultKey: string | readonly string[],
  fetch: (iam: IAMClient, marker: string | undefined) => Promise<ListPage>,
): Promise<void> {
  const options = paginationOf(cmd);
  return iamCall(cmd, io, operation, (iam) => allPages((marker) => fetch(iam, marker), resultKey, options));
}
