// Builds the CloudTrail-shaped `api.call` event of one management call (pure): who called (userIdentity from the
// key's principal ARN), what was asked and answered, with every secret hidden and every value bounded.
import type { ManagementEvent, ManagementIdentity } from '../core/audit.js';
import {
  capString,
  DEFAULT_REDACTION_LIMITS,
  hideEmbeddedSecrets,
  type RedactionLimits,
  redactForAudit,
  UNVERIFIED_REDACTION_LIMITS,
} from './audit-redaction.js';

const USER_ARN = /^arn:aws:iam::(\d{12}):user\//;
const ASSUMED_ROLE_ARN = /^arn:aws:sts::(\d{12}):assumed-role\//;
const ROOT_ARN = /^arn:aws:iam::(\d{12}):root$/;
const ANY_ACCOUNT_ARN = /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/;
/** Access key ids are letters and digits (AWS: 16-128); anything else a client claims is not recorded. */
const ACCESS_KEY_ID = /^[A-Za-z0-9]{1,128}$/;

/**
 * CloudTrail's userIdentity. `principalArn` only once the signature verified (then `accessKeyId` is the key that
 * signed); before that the type is Unknown and `accessKeyId` is the one the request named, if well-formed.
 */
export function identityOf(
  principalArn: string | undefined,
  accessKeyId: string | undefined,
): ManagementIdentity {
  const key = accessKeyId !== undefined && ACCESS_KEY_ID.test(accessKeyId) ? { accessKeyId } : {};
  if (principalArn === undefined) return { type: 'Unknown', ...key };
  const typed: [ManagementIdentity['type'], RegExp][] = [
    ['IAMUser', USER_ARN],
    ['AssumedRole', ASSUMED_ROLE_ARN],
    ['Root', ROOT_ARN],
  ];
  for (const [type, pattern] of typed) {
    const m = pattern.exec(principalArn);
    if (m) return { type, arn: principalArn, accountId: m[1] as string, ...key };
  }
  const account = ANY_ACCOUNT_ARN.exec(principalArn)?.[1];
  return { type: 'Unknown', arn: principalArn, ...(account ? { accountId: account } : {}), ...key };
}

/** STS Get* actions that mint credentials: their response is recorded (secrets hidden), as CloudTrail does. */
const MINTING_GETS: ReadonlySet<string> = new Set(['GetSessionToken', 'GetFederationToken']);

/**
 * Read-only calls (Get*, List*, Describe*, Simulate*, Lookup*): CloudTrail records their responseElements as null
 * (a LookupEvents answer holds whole events: recording it would nest the trail in itself).
 */
export function isReadOnlyAction(eventName: string): boolean {
  return /^(Get|List|Describe|Simulate|Lookup)[A-Z]/.test(eventName) && !MINTING_GETS.has(eventName);
}

export const USER_AGENT_MAX = 512;
export const EVENT_NAME_MAX = 128;
export const ERROR_MESSAGE_MAX = 2048;

/** What the server knows of one finished call. */
export interface ManagementCall {
  readonly at: Date;
  readonly requestId: string;
  readonly eventSource: string;
  readonly eventName: string;
  /** Set only once the request's signature verified. */
  readonly principalArn?: string;
  /** The verified key, or the one the request named. */
  readonly accessKeyId?: string;
  readonly sourceIp: string;
  readonly userAgent?: string | string[];
  /** Decoded request parameters (JSON body, Query parameters), not yet redacted. */
  readonly parameters: unknown;
  /** The successful call's result, not yet redacted. */
  readonly response?: unknown;
  /** The AWS error code and message the caller got. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** `limits` bound a verified caller's parameters; an unverified one's get UNVERIFIED_REDACTION_LIMITS. */
export function createManagementEvent(
  call: ManagementCall,
  limits: RedactionLimits = DEFAULT_REDACTION_LIMITS,
): ManagementEvent {
  const agent = Array.isArray(call.userAgent) ? call.userAgent.join(', ') : call.userAgent;
  const eventName = capString(call.eventName, EVENT_NAME_MAX);
  const recordResponse = call.error === undefined && !isReadOnlyAction(eventName);
  return {
    type: 'api.call',
    at: call.at.toISOString(),
    requestId: call.requestId,
    eventSource: call.eventSource,
    eventName,
    userIdentity: identityOf(call.principalArn, call.accessKeyId),
    sourceIPAddress: call.sourceIp,
    ...(agent !== undefined && agent !== '' ? { userAgent: capString(agent, USER_AGENT_MAX) } : {}),
    requestParameters: redactForAudit(
      call.parameters,
      call.principalArn === undefined ? UNVERIFIED_REDACTION_LIMITS : limits,
    ),
    responseElements: recordResponse ? redactForAudit(call.response, limits) : null,
    // The message is what the caller read; a `password=…` in it (defence in depth) is still not for the trail.
    ...(call.error !== undefined
      ? {
          errorCode: capString(call.error.code, EVENT_NAME_MAX),
          errorMessage: capString(hideEmbeddedSecrets(call.error.message), ERROR_MESSAGE_MAX),
        }
      : {}),
  };
}
