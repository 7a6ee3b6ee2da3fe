// Instance lifecycle: register a backend behind a gateway listener, describe, modify, delete.

import { GatehouseError } from '../core/errors.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import { newDbiResourceId } from '../core/ids.js';
import {
  type CreateInstanceInput,
  type InstanceView,
  type ModifyInstanceInput,
  STATEMENT_CLASS_SETTINGS,
  type StatementClassSetting,
} from '../core/types.js';
import type { BackendProvisioner, BackendTarget } from '../provisioning/provisioner.js';
import { listDbUsersOf } from '../store/db-users-repo.js';
import {
  deleteInstanceRow,
  findInstance,
  findInstanceByListen,
  insertInstance,
  listInstances,
  updateInstance,
} from '../store/instances-repo.js';
import { backendTargetOf, provisionerOf } from './backend-target.js';
import type { ControlContext } from './context.js';
import {
  checkNotStore,
  createBackend,
  createListen,
  ensureBackendDatabase,
  modifyListen,
} from './instance-placement.js';
import { toInstanceView } from './views.js';

// RDS identifier rules: 1-63 letters, digits or hyphens; first a letter; no trailing or double hyphen.
const IDENTIFIER = /^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-)){0,62}$/;

function validation(reason: string): GatehouseError {
  return new GatehouseError('GH_API_VALIDATION', { reason });
}

export function checkIdentifier(identifier: string): void {
  if (!IDENTIFIER.test(identifier) || identifier.endsWith('-')) {
    throw validation(
      'DBInstanceIdentifier must be 1-63 letters, digits or hyphens, start with a letter, and not end with or contain two consecutive hyphens',
    );
  }
}

function checkHostPort(value: string, field: string): { host: string; port: number } {
  if (!/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(value)) throw validation(`${field} must be HOST:PORT`);
  const hp = parseHostPort(value);
  if (hp.port < 1 || hp.port > 65535) throw validation(`${field} port must be 1-65535`);
  return hp;
}

function checkListen(listen: string): { host: string; port: number } {
  return checkHostPort(listen, 'Listen');
}

export const MAX_ENDPOINT_ALIASES = 16;

/**
 * EndpointAliases as stored: each HOST:PORT checked like Listen, the host lower-cased (DNS names compare
 * case-insensitively, so a token signed for DB.example.com matches db.example.com), duplicates dropped.
 */
export function normalizeEndpointAliases(aliases: readonly string[]): string[] {
  if (aliases.length > MAX_ENDPOINT_ALIASES)
    throw validation(`EndpointAliases: at most ${MAX_ENDPOINT_ALIASES} aliases`);
  const out: string[] = [];
  for (const alias of aliases) {
    const { host, port } = checkHostPort(alias, `EndpointAliases: "${alias}"`);
    if (host.length > 253)
      throw validation(`EndpointAliases: host of "${alias}" is longer than 253 characters`);
    const normal = formatHostPort(host.toLowerCase(), port);
    if (!out.includes(normal)) out.push(normal);
  }
  return out;
}

/**
 * AuditStatements as stored: pgaudit's class names in any case (`NONE` adds nothing, as in pgaudit.log), upper-
 * cased, de-duplicated, in pgaudit's order; `ALL` alone stands for every class (including any added later).
 */
export function normalizeStatementClasses(classes: readonly string[]): StatementClassSetting[] {
  const wanted = new Set<string>();
  for (const raw of classes) {
    const name = raw.trim().toUpperCase();
    if (name === 'NONE') continue;
    if (!(STATEMENT_CLASS_SETTINGS as readonly string[]).includes(name)) {
      throw validation(
        `AuditStatements: "${raw}" is not a statement class (expected ${STATEMENT_CLASS_SETTINGS.join(', ')} or NONE)`,
      );
    }
    wanted.add(name);
  }
  if (wanted.has('ALL')) return ['ALL'];
  return STATEMENT_CLASS_SETTINGS.filter((c) => wanted.has(c));
}

async function checkListenFree(
  ctx: ControlContext,
  host: string,
  port: number,
  self?: string,
): Promise<void> {
  const other = await findInstanceByListen(ctx.store.pool, host, port);
  if (other && other.identifier !== self) {
    throw new GatehouseError('GH_LISTEN_ADDRESS_IN_USE', {
      address: `${host}:${port}`,
      instance: other.identifier,
    });
  }
}

/** The provisioner of a registered engine; any other engine is refused, naming those registered. */
function provisionerFor(ctx: ControlContext, engine: string): BackendProvisioner {
  const provisioner = ctx.provisioners.get(engine);
  if (provisioner) return provisioner;
  const engines = [...ctx.provisioners.keys()];
  throw validation(engines.length ? `Engine must be ${engines.join(' or ')}` : 'No engine is registered');
}

export async function createInstance(ctx: ControlContext, input: CreateInstanceInput): Promise<InstanceView> {
  checkIdentifier(input.identifier);
  const provisioner = provisionerFor(ctx, input.engine);
  // BackendUrl or the default backend, DBName's database on it; Listen or the default host with Port.
  const backend = createBackend(ctx, provisioner, input);
  const target = backend.target;
  const { host, port } = checkListen(await createListen(ctx, input));
  const endpointAliases = normalizeEndpointAliases(input.endpointAliases ?? []);
  const iamAuth = input.enableIamDatabaseAuthentication ?? false;
  const auditStatements = normalizeStatementClasses(input.auditStatements ?? []);
  if (await findInstance(ctx.store.pool, input.identifier)) {
    throw new GatehouseError('GH_INSTANCE_EXISTS', { instance: input.identifier });
  }
  await checkListenFree(ctx, host, port);
  await checkNotStore(ctx, backend);
  await ensureBackendDatabase(provisioner, input.identifier, backend);
  // Prove the admin URL works before storing it, so a typo fails now and not at the first login; with IAM
  // database authentication on, also make sure the IAM role (rds_iam) exists before the store says IAM is on.
  await provisioner.checkBackend(input.identifier, target, { iamAuth });
  await installSessionIdentity(ctx, provisioner, input.identifier, target, []);
  const row = await insertInstance(ctx.store.pool, {
    identifier: input.identifier,
    engine: input.engine,
    dbiResourceId: newDbiResourceId(),
    backendUrl: provisioner.redactBackendUrl(backend.url),
    backendPassword:
      target.adminPassword === undefined ? null : ctx.box.seal(target.adminPassword, input.identifier),
    listenHost: host,
    listenPort: port,
    forceSsl: input.forceSsl ?? false,
    iamAuth,
    endpointAliases,
    iamTerminateSessions: input.terminateRevokedIamSessions ?? true,
    auditFailOpen: input.auditFailOpen ?? false,
    auditStatements,
    auditStatementLiterals: input.auditStatementLiterals ?? false,
    auditResultDigest: input.auditResultDigest ?? false,
  }).catch((e: { code?: string }) => {
    if (e.code === '23505') throw new GatehouseError('GH_INSTANCE_EXISTS', { instance: input.identifier });
    throw e;
  });
  await ctx.notifyChange('instances');
  return toInstanceView(ctx.account, row);
}

export async function describeInstances(ctx: ControlContext, identifier?: string): Promise<InstanceView[]> {
  if (identifier === undefined)
    return (await listInstances(ctx.store.pool)).map((r) => toInstanceView(ctx.account, r));
  const row = await findInstance(ctx.store.pool, identifier);
  if (!row) throw new GatehouseError('GH_INSTANCE_NOT_FOUND', { instance: identifier });
  return [toInstanceView(ctx.account, row)];
}

export async function modifyInstance(ctx: ControlContext, input: ModifyInstanceInput): Promise<InstanceView> {
  const current = await findInstance(ctx.store.pool, input.identifier);
  if (!current) throw new GatehouseError('GH_INSTANCE_NOT_FOUND', { instance: input.identifier });
  const newListen = modifyListen(current, input);
  const listen = newListen === undefined ? undefined : checkListen(newListen);
  const endpointAliases =
    input.endpointAliases === undefined ? undefined : normalizeEndpointAliases(input.endpointAliases);
  const auditStatements =
    input.auditStatements === undefined ? undefined : normalizeStatementClasses(input.auditStatements);
  if (listen) await checkListenFree(ctx, listen.host, listen.port, input.identifier);
  // rds_iam must exist when IAM is turned on, and on a new backend while IAM stays on.
  const iamAfter = input.enableIamDatabaseAuthentication ?? current.iamAuth;
  const rdsIam =
    iamAfter && (input.enableIamDatabaseAuthentication === true || input.backendUrl !== undefined);
  let backendPassword: Buffer | null | undefined;
  let backendUrl: string | undefined;
  if (input.backendUrl !== undefined) {
    const provisioner = provisionerOf(ctx, current);
    const target = provisioner.parseBackendUrl(input.backendUrl);
    backendUrl = provisioner.redactBackendUrl(input.backendUrl);
    await provisioner.checkBackend(input.identifier, target, { iamAuth: rdsIam });
    const users = (await listDbUsersOf(ctx.store.pool, current.id)).map((u) => u.username);
    await installSessionIdentity(ctx, provisioner, input.identifier, target, users);
    backendPassword =
      target.adminPassword === undefined ? null : ctx.box.seal(target.adminPassword, input.identifier);
  } else if (rdsIam) {
    const provisioner = provisionerOf(ctx, current);
    await provisioner.checkBackend(input.identifier, backendTargetOf(ctx.box, current, provisioner), {
      iamAuth: true,
    });
  }
  const row = await updateInstance(ctx.store.pool, input.identifier, {
    ...(backendUrl !== undefined ? { backendUrl, backendPassword } : {}),
    ...(listen ? { listenHost: listen.host, listenPort: listen.port } : {}),
    ...(input.forceSsl !== undefined ? { forceSsl: input.forceSsl } : {}),
    ...(input.enableIamDatabaseAuthentication !== undefined
      ? { iamAuth: input.enableIamDatabaseAuthentication }
      : {}),
    ...(endpointAliases !== undefined ? { endpointAliases } : {}),
    ...(input.terminateRevokedIamSessions !== undefined
      ? { iamTerminateSessions: input.terminateRevokedIamSessions }
      : {}),
    ...(input.auditFailOpen !== undefined ? { auditFailOpen: input.auditFailOpen } : {}),
    ...(auditStatements !== undefined ? { auditStatements } : {}),
    ...(input.auditStatementLiterals !== undefined
      ? { auditStatementLiterals: input.auditStatementLiterals }
      : {}),
    ...(input.auditResultDigest !== undefined ? { auditResultDigest: input.auditResultDigest } : {}),
  });
  if (!row) throw new GatehouseError('GH_INSTANCE_NOT_FOUND', { instance: input.identifier });
  await ctx.notifyChange('instances');
  return toInstanceView(ctx.account, row);
}

/** Deregister the instance; backend roles are left in place (the database is not Gatehouse's to empty). */
export async function deleteInstance(ctx: ControlContext, identifier: string): Promise<InstanceView> {
  const row = await deleteInstanceRow(ctx.store.pool, identifier);
  if (!row) throw new GatehouseError('GH_INSTANCE_NOT_FOUND', { instance: identifier });
  await ctx.notifyChange('instances');
  return toInstanceView(ctx.account, row);
}

/**
 * Install the backend's session-identity functions (docs/audit.md "Identity in the database"); best effort: an
 * admin without CREATE on the database leaves them out, logged, and logins work without them.
 */
async function installSessionIdentity(
  ctx: ControlContext,
  provisioner: BackendProvisioner,
  instance: string,
  target: BackendTarget,
  roles: readonly string[],
): Promise<void> {
  try {
    const admin = await provisioner.connect(instance, target);
    try {
      await admin.installSessionIdentity(roles);
    } finally {
      await admin.close().catch(() => {});
    }
  } catch (e) {
    ctx.logger.warn(
      { instance, reason: (e as Error).message },
      'session identity not installed on the backend',
    );
  }
}
