// `gatehouse audit …`: the audit trail through the API (lookup-events, explain, tail, export: CloudTrail's
// LookupEvents) and, read straight from the store, its verification (audit-verify.ts).
import { once } from 'node:events';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { encodeLookupToken, LOOKUP_ATTRIBUTE_KEYS, type LookupAttributeKey } from '../control-plane/audit.js';
import { entryOf, type StoredEvent, type TrailEntry } from '../core/audit-chain.js';
import { ERRORS, GatehouseError } from '../core/errors.js';
import type { AuditEventView } from '../core/types.js';
import { type ApiClient, createApiClient } from './api-client.js';
import { chosenOutput, countArg, secondsArg, timeArg } from './audit-args.js';
import { registerAuditKeys } from './audit-verify.js';
import { resolveClientConfig } from './client-config.js';
import { type CliIo, clientFor, globalsOf, printResult } from './context.js';
import { parseShorthand, ShorthandSyntaxError } from './iam-shorthand.js';
import { collectPages, paginationOf } from './paginate.js';

interface LookupAttribute {
  AttributeKey: LookupAttributeKey;
  AttributeValue: string;
}

interface FilterFlags {
  startTime?: string;
  endTime?: string;
  lookupAttributes?: LookupAttribute[];
  eventName?: string;
  username?: string;
  principal?: string;
  accessKeyId?: string;
  resource?: string;
  sourceIp?: string;
  outcome?: string;
  requestId?: string;
}

/** The convenience flags: each one a LookupAttributes entry. */
const FILTER_FLAGS: ReadonlyArray<{
  flag: string;
  prop: keyof FilterFlags;
  key: LookupAttributeKey;
  help: string;
}> = [
  {
    flag: '--event-name <name>',
    prop: 'eventName',
    key: 'EventName',
    help: 'only this event: db.connect, db.disconnect, db.statement, db.session.revoked, alert, or an API action (CreateUser)',
  },
  {
    flag: '--username <name>',
    prop: 'username',
    key: 'Username',
    help: 'database user, or IAM user / role session name',
  },
  { flag: '--principal <arn>', prop: 'principal', key: 'Principal', help: 'IAM principal ARN' },
  { flag: '--access-key-id <id>', prop: 'accessKeyId', key: 'AccessKeyId', help: 'access key id' },
  { flag: '--resource <instance>', prop: 'resource', key: 'ResourceName', help: 'DB instance identifier' },
  { flag: '--source-ip <ip>', prop: 'sourceIp', key: 'SourceIPAddress', help: 'client IP address' },
  {
    flag: '--outcome <outcome>',
    prop: 'outcome',
    key: 'Outcome',
    help: 'success, failure or abandoned (logins and API calls); a disconnect reason; revoked',
  },
  { flag: '--request-id <id>', prop: 'requestId', key: 'RequestId', help: 'request id a client was told' },
];

/** A page as big as LookupEvents allows, for commands that read everything. */
const FULL_PAGE = 1000;

const ATTRIBUTE_FORM = `expected AttributeKey=KEY,AttributeValue=VALUE (KEY one of ${LOOKUP_ATTRIBUTE_KEYS.join(', ')})`;

function attributeOf(value: unknown): LookupAttribute {
  const o = value as Record<string, unknown> | null;
  const keys = o && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o).sort() : [];
  if (
    keys.join(',') !== 'AttributeKey,AttributeValue' ||
    typeof o?.['AttributeKey'] !== 'string' ||
    typeof o['AttributeValue'] !== 'string'
  ) {
    throw new InvalidArgumentError(ATTRIBUTE_FORM);
  }
  const key = o['AttributeKey'];
  if (!(LOOKUP_ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
    throw new InvalidArgumentError(`unknown AttributeKey "${key}": ${ATTRIBUTE_FORM}`);
  }
  return { AttributeKey: key as LookupAttributeKey, AttributeValue: o['AttributeValue'] };
}

/** `--lookup-attributes AttributeKey=Username,AttributeValue=alice` (or its JSON form), repeatable. */
function collectAttributes(text: string, previous: LookupAttribute[] = []): LookupAttribute[] {
  const trimmed = text.trim();
  let parsed: unknown;
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw new InvalidArgumentError(`not valid JSON: ${(e as Error).message}`);
    }
  } else {
    try {
      parsed = parseShorthand(trimmed);
    } catch (e) {
      if (e instanceof ShorthandSyntaxError) throw new InvalidArgumentError(e.message);
      throw e;
    }
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return [...previous, ...list.map(attributeOf)];
}

function addFilterOptions(cmd: Command, times: boolean): Command {
  if (times) {
    cmd
      .option('--start-time <time>', 'only events at or after this time: ISO 8601 or epoch seconds', timeArg)
      .option('--end-time <time>', 'only events at or before this time: ISO 8601 or epoch seconds', timeArg);
  }
  cmd.option(
    '--lookup-attributes <attribute>',
    `AttributeKey=KEY,AttributeValue=VALUE: events must have it; repeatable, and all must match (CloudTrail takes one). KEY: ${LOOKUP_ATTRIBUTE_KEYS.join(', ')}`,
    collectAttributes,
  );
  for (const f of FILTER_FLAGS) cmd.option(f.flag, f.help);
  return cmd;
}

/** StartTime, EndTime and LookupAttributes of the flags given. */
function filterParams(f: FilterFlags): Record<string, unknown> {
  const attributes: LookupAttribute[] = [...(f.lookupAttributes ?? [])];
  for (const flag of FILTER_FLAGS) {
    const value = f[flag.prop];
    if (typeof value !== 'string') continue;
    if (attributes.some((a) => a.AttributeKey === flag.key)) {
      throw new Error(
        `${flag.flag.split(' ')[0]} and --lookup-attributes both set ${flag.key}: give it once`,
      );
    }
    attributes.push({ AttributeKey: flag.key, AttributeValue: value });
  }
  return {
    ...(f.startTime !== undefined ? { StartTime: f.startTime } : {}),
    ...(f.endTime !== undefined ? { EndTime: f.endTime } : {}),
    ...(attributes.length > 0 ? { LookupAttributes: attributes } : {}),
  };
}

interface LookupAnswer {
  events: AuditEventView[];
  nextToken: string | undefined;
}

async function lookup(client: ApiClient, params: Record<string, unknown>): Promise<LookupAnswer> {
  const r = await client.call('LookupEvents', params);
  return {
    events: Array.isArray(r['Events']) ? (r['Events'] as AuditEventView[]) : [],
    nextToken: typeof r['NextToken'] === 'string' ? r['NextToken'] : undefined,
  };
}

/** Every matching event after `after` (exclusive), oldest first, a page at a time. */
async function* forwardPages(
  client: ApiClient,
  params: Record<string, unknown>,
  after?: bigint,
): AsyncGenerator<AuditEventView[]> {
  let token = after !== undefined ? encodeLookupToken(after) : undefined;
  for (;;) {
    const page = await lookup(client, {
      ...params,
      Direction: 'forward',
      MaxResults: FULL_PAGE,
      ...(token !== undefined ? { NextToken: token } : {}),
    });
    if (page.events.length > 0) yield page.events;
    if (page.nextToken === undefined) return;
    token = page.nextToken;
  }
}

async function write(io: CliIo, text: string): Promise<void> {
  if (!io.stdout.write(text)) await once(io.stdout, 'drain');
}

function storedOf(e: AuditEventView): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(e.CloudTrailEvent);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function columnsOf(stored: Record<string, unknown>): Partial<TrailEntry> {
  try {
    return entryOf(stored as unknown as StoredEvent) ?? {};
  } catch {
    return {};
  }
}

/** One event as a flat row, for `--output table`. */
function tableRow(e: AuditEventView): Record<string, string> {
  const c = columnsOf(storedOf(e));
  return {
    EventTime: e.EventTime,
    EventName: e.EventName,
    Outcome: c.outcome ?? '',
    Username: e.Username ?? '',
    Resource: c.resource ?? '',
    SourceIP: c.sourceIp ?? '',
    ErrorCode: c.errorCode ?? '',
    RequestId: c.requestId ?? '',
    Seq: e.Seq,
  };
}

/** One event on one line: time, name, then key=value facts (for `tail`). */
function eventLine(e: AuditEventView): string {
  const c = columnsOf(storedOf(e));
  const facts: Array<[string, string | null | undefined]> = [
    ['outcome', c.outcome],
    ['user', e.Username],
    ['instance', c.resource],
    ['source', c.sourceIp],
    ['code', c.errorCode],
    ['principal', c.principal],
    ['request', c.requestId],
    ['seq', e.Seq],
  ];
  const shown = facts.filter(([, v]) => v !== null && v !== undefined && v !== '');
  return `${e.EventTime} ${e.EventName} ${shown.map(([k, v]) => `${k}=${v}`).join(' ')}\n`;
}

/** What an event's error code means, when it is a Gatehouse code. */
function codeDescription(stored: Record<string, unknown>): string | undefined {
  const code = stored['code'];
  return typeof code === 'string' && Object.hasOwn(ERRORS, code)
    ? ERRORS[code as keyof typeof ERRORS].description
    : undefined;
}

/** The fields `explain` shows first, in this order; the rest follow as recorded. */
const EXPLAIN_ORDER = [
  'outcome',
  'code',
  'reason',
  'errorCode',
  'errorMessage',
  'instance',
  'dbUser',
  'database',
  'method',
  'principalArn',
  'accessKeyId',
  'userIdentity',
  'source',
  'sourceIPAddress',
];
const EXPLAIN_SKIP = new Set(['type', 'at', 'requestId', 'eventId', 'eventName']);

function explainText(requestId: string, events: AuditEventView[]): string {
  const out = [`request ${requestId}: ${events.length} event${events.length === 1 ? '' : 's'}`];
  for (const e of events) {
    const stored = storedOf(e);
    out.push('', `${e.EventTime}  ${e.EventName}  (seq ${e.Seq}, event ${e.EventId})`);
    const keys = [
      ...EXPLAIN_ORDER.filter((k) => k in stored),
      ...Object.keys(stored).filter((k) => !EXPLAIN_ORDER.includes(k) && !EXPLAIN_SKIP.has(k)),
    ];
    const width = Math.max(...keys.map((k) => k.length), 'meaning'.length);
    for (const k of keys) {
      const v = stored[k];
      out.push(`  ${k.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}`);
      if (k === 'code') {
        const meaning = codeDescription(stored);
        if (meaning !== undefined) out.push(`  ${'meaning'.padEnd(width)}  ${meaning}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** Resolves on the first SIGINT or SIGTERM; `dispose` removes the handlers. */
function stopSignal(io: CliIo): { stopped: Promise<void>; isStopped(): boolean; dispose(): void } {
  let stopped = false;
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  const handler = (): void => {
    stopped = true;
    resolve();
  };
  io.signals.on('SIGINT', handler);
  io.signals.on('SIGTERM', handler);
  return {
    stopped: promise,
    isStopped: () => stopped,
    dispose() {
      io.signals.off('SIGINT', handler);
      io.signals.off('SIGTERM', handler);
    },
  };
}

function sleepUnless(ms: number, stop: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
    stop,
  ]).finally(() => clearTimeout(timer));
}

type LookupFlags = FilterFlags & { maxResults?: number; nextToken?: string };
type TailFlags = FilterFlags & { follow?: boolean; intervalSeconds: number; maxResults: number };
type ExportFlags = FilterFlags & { format: string };

export function registerAudit(program: Command, io: CliIo): void {
  const audit = program
    .command('audit')
    .description('look up, follow, export and verify the audit trail (CloudTrail-style)');

  addFilterOptions(
    audit
      .command('lookup-events')
      .description(
        'events of the audit trail, newest first (CloudTrail LookupEvents): logins, disconnects, revoked ' +
          'sessions, alerts and management API calls; every page unless --max-items, --no-paginate, or the ' +
          "API's own --max-results / --next-token (one page) say otherwise",
      ),
    true,
  )
    .option('--max-results <n>', 'one page of this many events, 1-1000 (the API default: 50)', countArg(1000))
    .option('--next-token <token>', 'the one page after a previous page (its NextToken)')
    .action(async (f: LookupFlags, cmd: Command) => {
      const filter = filterParams(f);
      const client = clientFor(cmd, io);
      const paging = paginationOf(cmd);
      // The API's own paging flags mean one page, as the AWS CLI turns its paginator off for them.
      const onePage = f.maxResults !== undefined || f.nextToken !== undefined;
      if (onePage && (paging.maxItems !== undefined || paging.startingToken !== undefined)) {
        throw new GatehouseError('GH_CLI_INVALID_PARAMETER', {
          option: f.maxResults !== undefined ? '--max-results' : '--next-token',
          reason: 'asks for one page: it cannot be combined with --max-items or --starting-token',
        });
      }
      const result =
        onePage || !paging.paginate
          ? await client.call('LookupEvents', {
              ...filter,
              ...(f.maxResults !== undefined ? { MaxResults: f.maxResults } : {}),
              ...(f.nextToken !== undefined ? { NextToken: f.nextToken } : {}),
            })
          : await collectPages(
              {
                tokenKey: 'NextToken',
                resultKeys: ['Events'],
                pagingKeys: ['NextToken'],
                next: (page) => (typeof page['NextToken'] === 'string' ? page['NextToken'] : undefined),
                fetch: (token) =>
                  client.call('LookupEvents', {
                    ...filter,
                    MaxResults: FULL_PAGE,
                    ...(token !== undefined ? { NextToken: token } : {}),
                  }),
              },
              paging,
            );
      const globals = globalsOf(cmd);
      // The table shows one flat row per event; a --query sees the answer as the API gave it.
      const shown =
        globals.output === 'table' && globals.query === undefined
          ? {
              Events: ((result['Events'] as AuditEventView[] | undefined) ?? []).map(tableRow),
              ...(result['NextToken'] !== undefined ? { NextToken: result['NextToken'] } : {}),
            }
          : result;
      printResult(cmd, io, shown, 'LookupEvents');
    });

  audit
    .command('explain')
    .description(
      'why a request went the way it did: every event with this request id (the one a refused client was ' +
        'told), with the refusal reason and what its error code means',
    )
    .argument('<request-id>', 'the request id, e.g. from "password authentication failed … (request id …)"')
    .action(async (requestId: string, _f: object, cmd: Command) => {
      const client = clientFor(cmd, io);
      const params = { LookupAttributes: [{ AttributeKey: 'RequestId', AttributeValue: requestId }] };
      const events: AuditEventView[] = [];
      for await (const page of forwardPages(client, params)) events.push(...page);
      if (events.length === 0) throw new Error(`no event with request id ${requestId} in the audit trail`);
      if (chosenOutput(cmd) === 'json' || globalsOf(cmd).query !== undefined) {
        const detailed = events.map((e) => {
          const stored = storedOf(e);
          const meaning = codeDescription(stored);
          return {
            Seq: e.Seq,
            Event: stored,
            ...(meaning !== undefined ? { CodeDescription: meaning } : {}),
          };
        });
        printResult(cmd, io, { RequestId: requestId, Events: detailed }, 'Explain');
      } else {
        io.stdout.write(explainText(requestId, events));
      }
    });

  addFilterOptions(
    audit
      .command('tail')
      .description(
        'print the newest events, oldest of them first, one line each (--output json: the stored events as ' +
          'JSON lines); with --follow, keep printing new ones until interrupted (its own polling calls, ' +
          'LookupEvents made with the same access key, are not printed)',
      ),
    false,
  )
    .option('--max-results <n>', 'how many of the newest events to print first, 1-1000', countArg(1000), 20)
    .option('-f, --follow', 'keep polling for new events (stop with Ctrl-C)')
    .option('--interval-seconds <seconds>', 'how often --follow polls', secondsArg, 2)
    .action(async (f: TailFlags, cmd: Command) => {
      const config = resolveClientConfig(globalsOf(cmd), io.env);
      const client = createApiClient(config);
      const filter = filterParams(f);
      const json = chosenOutput(cmd) === 'json';
      // Every poll is itself a management call on the trail: without this, following an unfiltered trail
      // would print one line per poll, forever.
      const ownPoll = (e: AuditEventView) =>
        e.EventName === 'LookupEvents' && e.AccessKeyId === config.credentials.accessKeyId;
      const print = (e: AuditEventView) => write(io, json ? `${e.CloudTrailEvent}\n` : eventLine(e));
      const signal = f.follow ? stopSignal(io) : null;
      try {
        const newest = await lookup(client, { ...filter, MaxResults: f.maxResults });
        let cursor: bigint | undefined;
        for (const e of [...newest.events].reverse()) {
          await print(e);
          cursor = BigInt(e.Seq);
        }
        if (!signal) return;
        // No event yet: follow from the start of the trail (nothing in it matches, so nothing old is printed).
        cursor ??= 0n;
        while (!signal.isStopped()) {
          await sleepUnless(f.intervalSeconds * 1000, signal.stopped);
          if (signal.isStopped()) break;
          for await (const page of forwardPages(client, filter, cursor)) {
            for (const e of page) {
              if (!ownPoll(e)) await print(e);
              cursor = BigInt(e.Seq);
            }
          }
        }
      } finally {
        signal?.dispose();
      }
    });

  addFilterOptions(
    audit
      .command('export')
      .description(
        'every matching event, oldest first, one stored event (JSON) per line: the trail as it was when the ' +
          'export started',
      ),
    true,
  )
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl']).default('jsonl'))
    .action(async (f: ExportFlags, cmd: Command) => {
      const client = clientFor(cmd, io);
      const filter = filterParams(f);
      // The newest matching event now bounds the export: later ones (its own LookupEvents calls among them)
      // are not part of it.
      const newest = (await lookup(client, { ...filter, MaxResults: 1 })).events[0];
      if (!newest) return;
      const last = BigInt(newest.Seq);
      for await (const page of forwardPages(client, filter)) {
        for (const e of page) {
          if (BigInt(e.Seq) > last) return;
          await write(io, `${e.CloudTrailEvent}\n`);
        }
      }
    });

  registerAuditKeys(audit, io);
}
