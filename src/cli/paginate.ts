// AWS CLI pagination: all pages merged by default, `--max-items` / `--starting-token` to page through the merged
// list with the CLI's own NextToken, `--no-paginate` for the server's first page as it came (botocore's
// PageIterator semantics, its token format included).
import { type Command, InvalidArgumentError } from 'commander';
import { GatehouseError } from '../core/errors.js';

/** What the user asked for: the global --no-paginate and the paginated command's own flags. */
export interface PaginationOptions {
  /** false with --no-paginate: one request, its answer printed as the server gave it. */
  paginate: boolean;
  maxItems?: number | undefined;
  startingToken?: string | undefined;
}

export const DEFAULT_PAGINATION: PaginationOptions = { paginate: true };

/** How one operation pages (a botocore paginator entry). */
export interface Pager {
  /** The request and answer member that carries the server's token: Marker (IAM) or NextToken. */
  tokenKey: string;
  /** Members listed across pages; `--max-items` counts the first. */
  resultKeys: readonly string[];
  /** Members that only describe paging (IsTruncated, Marker), left out of a merged result. */
  pagingKeys: readonly string[];
  /** The server's token for the page after this one, undefined on the last page. */
  next(page: Record<string, unknown>): string | undefined;
  fetch(token: string | undefined): Promise<Record<string, unknown>>;
}

/** The member of a truncated result holding the CLI's resume token (what --starting-token takes). */
export const NEXT_TOKEN = 'NextToken';
/** botocore's name for how many items of the token's page were already printed. */
const TRUNCATE_KEY = 'boto_truncate_amount';

interface ResumePoint {
  /** Where the page to resume in starts: the server's token, undefined for the first page. */
  token: string | undefined;
  /** Items of that page already printed. */
  skip: number;
}

function badToken(reason: string): GatehouseError {
  return new GatehouseError('GH_CLI_INVALID_PARAMETER', { option: '--starting-token', reason });
}

/** base64 of `{"<tokenKey>": …, "boto_truncate_amount": n}`, as botocore's TokenEncoder writes it. */
export function encodeStartingToken(tokenKey: string, point: ResumePoint): string {
  const body: Record<string, unknown> = { [tokenKey]: point.token ?? null };
  if (point.skip > 0) body[TRUNCATE_KEY] = point.skip;
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
}

export function decodeStartingToken(tokenKey: string, text: string): ResumePoint {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    body = undefined;
  }
  const o =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : null;
  const keys = o ? Object.keys(o).filter((k) => k !== TRUNCATE_KEY) : [];
  if (!o || keys.length !== 1 || keys[0] !== tokenKey) {
    throw badToken('not a NextToken printed by this command (pass it exactly as printed)');
  }
  const token = o[tokenKey];
  const skip = o[TRUNCATE_KEY] ?? 0;
  if ((token !== null && typeof token !== 'string') || !Number.isSafeInteger(skip) || (skip as number) < 0) {
    throw badToken('not a NextToken printed by this command (pass it exactly as printed)');
  }
  return { token: token === null ? undefined : (token as string), skip: skip as number };
}

function listOf(page: Record<string, unknown>, key: string): unknown[] {
  const v = page[key];
  return Array.isArray(v) ? v : [];
}

/** --no-paginate with --max-items or --starting-token is refused, as the AWS CLI refuses it. */
export function checkPagination(o: PaginationOptions): void {
  if (o.paginate) return;
  const given = [
    ...(o.maxItems !== undefined ? ['--max-items'] : []),
    ...(o.startingToken !== undefined ? ['--starting-token'] : []),
  ];
  if (given.length > 0) {
    throw new GatehouseError('GH_CLI_INVALID_PARAMETER', {
      option: '--no-paginate',
      reason: `cannot be combined with pagination arguments: ${given.join(', ')}`,
    });
  }
}

/**
 * The pages merged into one result: the first page's other members, each result key's items of every page, and
 * NextToken when --max-items stopped before the end. With --no-paginate, the one page as answered.
 */
export async function collectPages(pager: Pager, o: PaginationOptions): Promise<Record<string, unknown>> {
  checkPagination(o);
  if (!o.paginate) return pager.fetch(undefined);
  const start =
    o.startingToken === undefined
      ? { token: undefined, skip: 0 }
      : decodeStartingToken(pager.tokenKey, o.startingToken);
  const [primary, ...secondary] = pager.resultKeys;
  if (primary === undefined) throw new Error('a pager needs at least one result key');
  const items = new Map<string, unknown[]>(pager.resultKeys.map((k) => [k, []]));
  let first: Record<string, unknown> | undefined;
  let resume: ResumePoint | undefined;
  const seen = new Set<string>();
  for (let token = start.token, skip = start.skip; ; skip = 0) {
    const page = await pager.fetch(token);
    first ??= page;
    // The items before `skip` were printed by the call that gave this token; its secondary lists too.
    const listed = listOf(page, primary).slice(skip);
    const total = (items.get(primary) as unknown[]).length;
    if (o.maxItems !== undefined && total + listed.length > o.maxItems) {
      const keep = o.maxItems - total;
      items.get(primary)?.push(...listed.slice(0, keep));
      resume = { token, skip: skip + keep };
      if (skip === 0) for (const k of secondary) items.get(k)?.push(...listOf(page, k));
      break;
    }
    items.get(primary)?.push(...listed);
    if (skip === 0) for (const k of secondary) items.get(k)?.push(...listOf(page, k));
    const next = pager.next(page);
    // A server repeating a token would otherwise be followed forever.
    if (next === undefined || seen.has(next)) break;
    seen.add(next);
    if (o.maxItems !== undefined && total + listed.length === o.maxItems) {
      resume = { token: next, skip: 0 };
      break;
    }
    token = next;
  }
  const rest = Object.fromEntries(
    Object.entries(first ?? {}).filter(([k]) => !pager.pagingKeys.includes(k) && !items.has(k)),
  );
  return {
    ...rest,
    ...Object.fromEntries(items),
    ...(resume !== undefined ? { [NEXT_TOKEN]: encodeStartingToken(pager.tokenKey, resume) } : {}),
  };
}

/** `--max-items`: a whole number from 1. */
export function maxItemsArg(text: string): number {
  if (!/^\d{1,9}$/.test(text.trim()) || Number(text) < 1) {
    throw new InvalidArgumentError('expected a whole number from 1');
  }
  return Number(text);
}

/**
 * Commands whose operation pages, by group: the IAM ones botocore has a paginator for (listed ahead, so a command
 * registered later gets the flags too; it must page through iamListAll for them to work), and audit lookup-events.
 */
export const PAGINATED_COMMANDS: Readonly<Record<string, ReadonlySet<string>>> = {
  iam: new Set([
    'get-account-authorization-details',
    'get-group',
    'list-access-keys',
    'list-account-aliases',
    'list-attached-group-policies',
    'list-attached-role-policies',
    'list-attached-user-policies',
    'list-entities-for-policy',
    'list-group-policies',
    'list-groups',
    'list-groups-for-user',
    'list-instance-profiles',
    'list-instance-profiles-for-role',
    'list-mfa-devices',
    'list-policies',
    'list-policy-versions',
    'list-role-policies',
    'list-roles',
    'list-server-certificates',
    'list-signing-certificates',
    'list-ssh-public-keys',
    'list-user-policies',
    'list-users',
    'list-virtual-mfa-devices',
    'list-user-tags',
    'list-role-tags',
    'list-policy-tags',
    'list-instance-profile-tags',
    'list-mfa-device-tags',
    'list-open-id-connect-provider-tags',
    'list-saml-provider-tags',
    'list-server-certificate-tags',
    'simulate-custom-policy',
    'simulate-principal-policy',
  ]),
  audit: new Set(['lookup-events']),
};

export function isPaginated(cmd: Command): boolean {
  const group = cmd.parent?.name();
  return group !== undefined && (PAGINATED_COMMANDS[group]?.has(cmd.name()) ?? false);
}

/** The AWS CLI's per-command pagination flags (--no-paginate is global). */
export function addPaginationOptions(cmd: Command): void {
  cmd
    .option(
      '--max-items <n>',
      'print at most this many items, and a NextToken to continue from with --starting-token',
      maxItemsArg,
    )
    .option('--starting-token <token>', 'continue where a previous --max-items stopped (its NextToken)');
}

/** What a paginated command's flags and the global --no-paginate ask for. */
export function paginationOf(cmd: Command): PaginationOptions {
  const all = cmd.optsWithGlobals<{ paginate?: boolean; maxItems?: number; startingToken?: string }>();
  return { paginate: all.paginate !== false, maxItems: all.maxItems, startingToken: all.startingToken };
}
