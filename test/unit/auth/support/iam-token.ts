// Fixtures for the IAM auth token verifier tests: keys, signers (rds-signer, raw SigV4 presign), an in-memory
// verifier whose authorizeConnect records its requests, token surgery, and the refusal/no-secret assertions.
import { createHash } from 'node:crypto';
import { formatUrl } from '@aws-sdk/core/util';
import { Signer } from '@aws-sdk/rds-signer';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { expect, vi } from 'vitest';
import {
  type ConnectAuthzRequest,
  type ConnectDecision,
  createTokenVerifier,
  type TokenCheck,
  type TokenVerifier,
} from '../../../../src/auth/iam-token/verify.js';
import { ManualClock } from '../../../../src/core/clock.js';
import { type ErrorCode, GatehouseError } from '../../../../src/core/errors.js';
import type { AccessKeyRecord } from '../../../../src/core/types.js';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const HOST = 'db.example.internal';
export const PORT = 5433;
export const ENDPOINT = `${HOST}:${PORT}`;
export const DBI = 'db-ABCDEFGHIJKLMNOPQRSTUVWXY0';
export const USER = 'app_user';
/** Signing time of the fixture tokens (whole seconds: X-Amz-Date has no finer grain). */
export const AT = new Date('2026-11-28T12:34:56Z');

export interface Creds {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export const LONG_TERM: Creds = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
export const ALICE = 'arn:aws:iam::123456789012:user/alice';

/** Temporary credentials: the session token has characters that must be percent-encoded (+ / =). */
export const TEMPORARY: Required<Creds> = {
  accessKeyId: 'ASIAQ3EGUAXHZEXAMPLE',
  secretAccessKey: 'tK9z/3pQ+x7Vb1mN8sR2eW4yU6iO0aS5dF7gH9jL',
  sessionToken:
    'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+session/token=with+padding==AbCdEfGhIjKlMnOp',
};
export const SESSION_ARN = 'arn:aws:sts::123456789012:assumed-role/app-role/deploy-7';
export const SESSION_ISSUED = new Date(AT.getTime() - 10 * 60_000);
export const SESSION_EXPIRES = new Date(AT.getTime() + 60 * 60_000);

export function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function longTermRecord(over: Partial<AccessKeyRecord> = {}): AccessKeyRecord {
  return {
    accessKeyId: LONG_TERM.accessKeyId,
    secretAccessKey: LONG_TERM.secretAccessKey,
    status: 'Active',
    principalArn: ALICE,
    userId: 'AIDAEXAMPLEALICE00001',
    ...over,
  };
}

export function temporaryRecord(over: Partial<AccessKeyRecord> = {}): AccessKeyRecord {
  return {
    accessKeyId: TEMPORARY.accessKeyId,
    secretAccessKey: TEMPORARY.secretAccessKey,
    status: 'Active',
    principalArn: SESSION_ARN,
    userId: 'AROAEXAMPLEAPPROLE001:deploy-7',
    sessionTokenHash: sha256(TEMPORARY.sessionToken),
    expiresAt: SESSION_EXPIRES,
    issuedAt: SESSION_ISSUED,
    ...over,
  };
}

export interface SignInput {
  hostname?: string;
  port?: number;
  username?: string;
  region?: string;
  credentials?: Creds;
  at?: Date;
}

/** A token exactly as `new Signer(…).getAuthToken()` mints it at `at` (the signer reads the clock). */
export async function rdsSignerToken(o: SignInput = {}): Promise<string> {
  vi.useFakeTimers({ now: o.at ?? AT, toFake: ['Date'] });
  try {
    return await new Signer({
      hostname: o.hostname ?? HOST,
      port: o.port ?? PORT,
      username: o.username ?? USER,
      region: o.region ?? REGION,
      credentials: o.credentials ?? LONG_TERM,
    }).getAuthToken();
  } finally {
    vi.useRealTimers();
  }
}

export interface PresignInput extends SignInput {
  service?: string;
  expiresIn?: number;
  /** Extra signed headers (not x-amz-*, which the signer would hoist into the query). */
  headers?: Record<string, string>;
  action?: string;
}

/** A token presigned directly with @smithy/signature-v4: free to choose what rds-signer fixes. */
export async function presignToken(o: PresignInput = {}): Promise<string> {
  const hostname = o.hostname ?? HOST;
  const port = o.port ?? PORT;
  const signer = new SignatureV4({
    service: o.service ?? 'rds-db',
    region: o.region ?? REGION,
    credentials: o.credentials ?? LONG_TERM,
    sha256: Sha256,
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    port,
    query: { Action: o.action ?? 'connect', DBUser: o.username ?? USER },
    headers: { host: `${hostname}:${port}`, ...o.headers },
  });
  const presigned = await signer.presign(request, {
    expiresIn: o.expiresIn ?? 900,
    signingDate: o.at ?? AT,
  });
  return formatUrl(presigned).replace('https://', '');
}

// --- token surgery (on the raw text, so nothing is re-encoded behind the test's back) ---

export function splitToken(token: string): { prefix: string; params: string[] } {
  const q = token.indexOf('/?');
  return { prefix: token.slice(0, q + 2), params: token.slice(q + 2).split('&') };
}

export function reorder(token: string, order: (params: string[]) => string[]): string {
  const { prefix, params } = splitToken(token);
  return prefix + order(params).join('&');
}

/** Replace the raw (already encoded) value of one parameter. */
export function withParam(token: string, name: string, rawValue: string): string {
  const { prefix, params } = splitToken(token);
  const i = params.findIndex((p) => p.startsWith(`${name}=`));
  if (i < 0) throw new Error(`no ${name} in ${token}`);
  params[i] = `${name}=${rawValue}`;
  return prefix + params.join('&');
}

export function withoutParam(token: string, name: string): string {
  const { prefix, params } = splitToken(token);
  return prefix + params.filter((p) => !p.startsWith(`${name}=`)).join('&');
}

export function rawParam(token: string, name: string): string {
  const p = splitToken(token).params.find((x) => x.startsWith(`${name}=`));
  if (p === undefined) throw new Error(`no ${name} in ${token}`);
  return p.slice(name.length + 1);
}

export function signatureOf(token: string): string {
  return rawParam(token, 'X-Amz-Signature');
}

/** Deterministic PRNG (mulberry32) so shuffles are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

// --- the verifier under test, with in-memory deps ---

export interface Harness {
  readonly verifier: TokenVerifier;
  readonly keys: Map<string, AccessKeyRecord>;
  readonly requests: ConnectAuthzRequest[];
  readonly uses: { accessKeyId: string; service: string; at: Date }[];
  readonly clock: ManualClock;
  /** The policy answer; replace to change it. */
  decide: (request: ConnectAuthzRequest) => ConnectDecision | Promise<ConnectDecision>;
  /** The fixture check (user, endpoint, DBI, source) with overrides. */
  check(token: string, over?: Partial<TokenCheck>): TokenCheck;
  verify(token: string, over?: Partial<TokenCheck>): ReturnType<TokenVerifier['verify']>;
}

export function harness(
  o: { now?: Date; records?: AccessKeyRecord[]; region?: string; accountId?: string } = {},
): Harness {
  const keys = new Map<string, AccessKeyRecord>();
  for (const r of o.records ?? [longTermRecord(), temporaryRecord()]) keys.set(r.accessKeyId, r);
  const requests: ConnectAuthzRequest[] = [];
  const uses: Harness['uses'] = [];
  const clock = new ManualClock(o.now ?? AT);
  const h: Harness = {
    keys,
    requests,
    uses,
    clock,
    decide: () => ({ decision: 'allowed', reason: 'allowed by the test' }),
    verifier: createTokenVerifier({
      keys: {
        findAccessKey: async (id) => keys.get(id) ?? null,
        recordUse: (accessKeyId, service, at) => {
          uses.push({ accessKeyId, service, at });
        },
      },
      authorizeConnect: async (request) => {
        requests.push(request);
        return h.decide(request);
      },
      clock,
      region: o.region ?? REGION,
      accountId: o.accountId ?? ACCOUNT,
    }),
    check: (token, over = {}) => ({
      token,
      user: USER,
      endpoints: [ENDPOINT],
      dbiResourceId: DBI,
      sourceIp: '::ffff:10.1.2.3',
      secureTransport: true,
      ...over,
    }),
    verify: (token, over) => h.verifier.verify(h.check(token, over)),
  };
  return h;
}

// --- refusals ---

/** The GatehouseError a promise rejects with; fails the test if it resolves or throws anything else. */
export async function refusal(p: Promise<unknown>): Promise<GatehouseError> {
  let result: unknown;
  try {
    result = await p;
  } catch (e) {
    if (e instanceof GatehouseError) return e;
    throw new Error(`expected a GatehouseError, got ${String(e)}`, { cause: e });
  }
  throw new Error(`expected a refusal, but the token was accepted: ${JSON.stringify(result)}`);
}

export interface Secrets {
  readonly secretAccessKey?: string;
  readonly signature?: string;
  readonly sessionToken?: string;
}

/**
 * Neither the client message nor the operator detail nor the audit facts carry a secret: the fixture secrets
 * and session token always, plus the given ones (a test's own secret, the full signature of its token).
 */
export function expectNoSecrets(err: GatehouseError, s: Secrets = {}): void {
  const texts = [err.message, err.detail ?? '', JSON.stringify(err.params), JSON.stringify(err.audit ?? {})];
  const tokens = [TEMPORARY.sessionToken, s.sessionToken].filter((x): x is string => x !== undefined);
  const needles = [
    LONG_TERM.secretAccessKey,
    TEMPORARY.secretAccessKey,
    s.secretAccessKey,
    s.signature,
    ...tokens,
    ...tokens.map(encodeURIComponent),
  ].filter((x): x is string => x !== undefined && x !== '');
  for (const text of texts) {
    for (const needle of needles) expect(text, `${err.code} leaks a secret`).not.toContain(needle);
  }
}

/** Refused with exactly this code and client message, with no secret in it. */
export async function expectRefused(
  p: Promise<unknown>,
  code: ErrorCode,
  message: string,
  secrets: Secrets = {},
): Promise<GatehouseError> {
  const err = await refusal(p);
  expect({ code: err.code, message: err.message }).toEqual({ code, message });
  expectNoSecrets(err, secrets);
  return err;
}
