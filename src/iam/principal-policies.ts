// Authorization inputs of a principal: its identity policies (inline, attached, via groups), boundary, session policy and tags.
import type { Store } from '../store/pool.js';
import { parseAssumedRoleArn, parseIamArn } from './arns.js';
import { parseStoredDocument } from './policy-documents.js';
import type { PolicyDocument, RequestPrincipal } from './policy-engine.js';
import {
  loadRoleSources,
  loadUserSources,
  type PolicySource,
  type PrincipalSources,
} from './principal-sources.js';

/** One identity policy, parsed. `source` says where it came from (for explanations). */
export interface PrincipalPolicy {
  readonly name: string;
  /** Managed policies only. */
  readonly arn?: string;
  /** `user`, `group:NAME`, `role` or `session`. */
  readonly source: string;
  readonly document: PolicyDocument;
}

export interface LoadedPrincipal {
  /** Inline and attached managed (default version) policies of the user and its groups, or of the role. */
  readonly identity: readonly PrincipalPolicy[];
  /** The permissions boundary's default version, or null when none is set. */
  readonly boundary: PolicyDocument | null;
  readonly boundaryArn: string | null;
  /** The request principal the evaluator matches and substitutes (aws:username, aws:userid, tags). */
  readonly principal: RequestPrincipal & { userid: string; tags: Record<string, string> };
  /** Assumed-role sessions: the session; `policy` is the AssumeRole Policy parameter, which limits the session further. */
  readonly session?: {
    readonly roleArn: string;
    readonly roleName: string;
    readonly sessionName: string;
    readonly expiresAt?: Date;
    readonly policy: PolicyDocument | null;
  };
}

const KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{16}$/;

function toPolicies(sources: readonly PolicySource[]): PrincipalPolicy[] {
  return sources.map((s) => ({
    name: s.name,
    ...(s.arn !== undefined && { arn: s.arn }),
    source: s.source,
    document: parseStoredDocument(s.document, 'identity', `${s.source}/${s.name}`),
  }));
}

function build(src: PrincipalSources, accountId: string): LoadedPrincipal {
  const tags = Object.fromEntries(src.tags.map((t) => [t.key, t.value]));
  const loaded: LoadedPrincipal = {
    identity: toPolicies(src.policies),
    boundary: src.boundary
      ? parseStoredDocument(src.boundary.document, 'identity', `boundary ${src.boundary.arn}`)
      : null,
    boundaryArn: src.boundary?.arn ?? null,
    principal: {
      arn: src.arn,
      accountId,
      ...(src.username !== undefined && { username: src.username }),
      userid: src.userid,
      tags,
    },
    ...(src.session && {
      session: {
        roleArn: src.session.roleArn,
        roleName: src.session.roleName,
        sessionName: src.session.sessionName,
        ...(src.session.expiresAt && { expiresAt: src.session.expiresAt }),
        policy:
          src.session.policy === null
            ? null
            : parseStoredDocument(src.session.policy, 'identity', 'session policy'),
      },
    }),
  };
  return loaded;
}

/**
 * `arnOrAccessKey`: a user ARN, a role ARN, an assumed-role ARN (no session policy: pass the ASIA key id
 * to include it), an AKIA key id (its user) or an ASIA key id (its session). Null when unknown.
 */
export async function loadPrincipal(
  store: Pick<Store, 'pool'>,
  arnOrAccessKey: string,
): Promise<LoadedPrincipal | null> {
  const db = store.pool;
  let src: PrincipalSources | null = null;
  let accountId: string | undefined;
  if (KEY_ID.test(arnOrAccessKey)) {
    src = arnOrAccessKey.startsWith('ASIA')
      ? await loadRoleSources(db, { sessionKeyId: arnOrAccessKey })
      : await loadUserSources(db, { accessKeyId: arnOrAccessKey });
  } else {
    const iam = parseIamArn(arnOrAccessKey);
    const assumed = parseAssumedRoleArn(arnOrAccessKey);
    if (iam?.type === 'user') src = await loadUserSources(db, { arn: arnOrAccessKey });
    else if (iam?.type === 'role') src = await loadRoleSources(db, { roleArn: arnOrAccessKey });
    else if (assumed) src = await loadRoleSources(db, { assumed });
    accountId = iam?.accountId ?? assumed?.accountId;
  }
  if (!src) return null;
  return build(src, accountId ?? src.accountId);
}

export interface PrincipalCache {
  /** loadPrincipal through the cache; unknown principals are not cached. */
  load(arnOrAccessKey: string): Promise<LoadedPrincipal | null>;
  /** Forget everything: call on NOTIFY 'iam' (and 'resync'), since any change may affect any principal. */
  invalidate(): void;
  readonly size: number;
  /** Since start: lookups answered from the cache, loads from the store, invalidations (for the metrics). */
  readonly stats: { readonly hits: number; readonly loads: number; readonly invalidations: number };
}

/**
 * Keyed by what was asked for (principal ARN, or ASIA key id for sessions, whose session policies
 * differ under one ARN). A load that overlaps an invalidate() is returned but not stored, so a
 * change committed during the load cannot be masked by the older answer.
 */
export function createPrincipalCache(
  store: Pick<Store, 'pool'>,
  options: { maxEntries?: number } = {},
): PrincipalCache {
  const max = options.maxEntries ?? 10_000;
  const entries = new Map<string, Promise<LoadedPrincipal | null>>();
  let generation = 0;
  const stats = { hits: 0, loads: 0, invalidations: 0 };
  return {
    async load(key) {
      const hit = entries.get(key);
      if (hit) {
        stats.hits++;
        return hit;
      }
      stats.loads++;
      const started = generation;
      const pending = loadPrincipal(store, key);
      if (entries.size >= max) entries.clear();
      entries.set(key, pending);
      try {
        const value = await pending;
        if (value === null || generation !== started) {
          if (entries.get(key) === pending) entries.delete(key);
        }
        return value;
      } catch (e) {
        if (entries.get(key) === pending) entries.delete(key);
        throw e;
      }
    },
    invalidate() {
      generation++;
      stats.invalidations++;
      entries.clear();
    },
    get size() {
      return entries.size;
    },
    get stats() {
      return { ...stats };
    },
  };
}
