// Where an instance listens and which backend database it fronts when the caller gives RDS's parameters (Port,
// DBPortNumber, DBName) instead of Gatehouse's Listen and BackendUrl (docs/rds-api.md "Port, backend and DBName").

import { createServer } from 'node:net';
import { GatehouseError } from '../core/errors.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import type { BackendProvisioner, BackendTarget } from '../provisioning/provisioner.js';
import { listInstances } from '../store/instances-repo.js';
import { storeDatabaseName } from '../store/meta-repo.js';
import type { ControlContext } from './context.js';

/** RDS's default port per engine: where an instance created without Port or Listen starts looking. */
export const ENGINE_DEFAULT_PORTS: Readonly<Record<string, number>> = {
  postgres: 5432,
  mysql: 3306,
  mariadb: 3306,
};
/** How many ports from the engine's default are tried (5432-5531 for postgres). */
export const AUTO_PORT_SPAN = 100;
const DEFAULT_LISTEN_HOST = '127.0.0.1';

// RDS's DBName rule (PostgreSQL): begins with a letter, then letters, digits or underscores; 63 at most.
const DB_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

function validation(reason: string): GatehouseError {
  return new GatehouseError('GH_API_VALIDATION', { reason });
}

function conflict(reason: string): GatehouseError {
  return new GatehouseError('GH_INSTANCE_PARAMETER_CONFLICT', { reason });
}

function checkPort(port: number, field: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw validation(`${field} must be 1-65535`);
}

/** Listen's port when Listen is well-formed (its own check reports it otherwise). */
function portOf(listen: string): number | undefined {
  const { port } = parseHostPort(listen);
  return Number.isInteger(port) ? port : undefined;
}

/** Whether a listener could bind host:port now; only "in use" (or "not allowed") counts as no. */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      resolve(e.code !== 'EADDRINUSE' && e.code !== 'EACCES'),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * The first port from the engine's RDS default that no instance uses (on any host) and that can be bound on
 * `host` now: 5432 on a server with nothing there, the next free one on a laptop running PostgreSQL.
 */
async function firstFreePort(ctx: ControlContext, engine: string, host: string): Promise<number> {
  const first = ENGINE_DEFAULT_PORTS[engine] ?? 5432;
  const used = new Set((await listInstances(ctx.store.pool)).map((r) => r.listenPort));
  for (let port = first; port < first + AUTO_PORT_SPAN; port++) {
    if (!used.has(port) && (await bindable(host, port))) return port;
  }
  throw conflict(
    `no free port in ${first}-${first + AUTO_PORT_SPAN - 1} on ${host} for the instance's listener: pass Port (aws rds create-db-instance --port N)`,
  );
}

/** CreateDBInstance's listen address: Listen as given; else the default listen host with Port or a free port. */
export async function createListen(
  ctx: ControlContext,
  input: {
    readonly engine: string;
    readonly listen?: string | undefined;
    readonly port?: number | undefined;
  },
): Promise<string> {
  if (input.port !== undefined) checkPort(input.port, 'Port');
  if (input.listen !== undefined) {
    const given = portOf(input.listen);
    if (input.port !== undefined && given !== undefined && given !== input.port) {
      throw conflict(
        `Port ${input.port} and Listen ${input.listen} name different ports: give one of them, or the same port in both`,
      );
    }
    return input.listen;
  }
  const host = ctx.instanceDefaults?.listenHost ?? DEFAULT_LISTEN_HOST;
  return formatHostPort(host, input.port ?? (await firstFreePort(ctx, input.engine, host)));
}

/** ModifyDBInstance's new listen address, if any: Listen as given, or DBPortNumber on the current host. */
export function modifyListen(
  current: { readonly listenHost: string },
  input: { readonly listen?: string | undefined; readonly port?: number | undefined },
): string | undefined {
  if (input.port === undefined) return input.listen;
  checkPort(input.port, 'DBPortNumber');
  if (input.listen !== undefined) {
    const given = portOf(input.listen);
    if (given !== undefined && given !== input.port) {
      throw conflict(
        `DBPortNumber ${input.port} and Listen ${input.listen} name different ports: give one of them, or the same port in both`,
      );
    }
    return input.listen;
  }
  return formatHostPort(current.listenHost, input.port);
}

/** The backend an instance is created on: the admin connection, and the database to create on it first. */
export interface CreateBackend {
  /** The instance's backend URL (with its password, if any): the admin URL naming the instance's database. */
  readonly url: string;
  readonly target: BackendTarget;
  /** The admin connection DBName is created through, when DBName names another database than the URL. */
  readonly create?: { readonly admin: BackendTarget; readonly database: string };
  /** Whether it is the gateway's default backend (whose admin password the caller need not know). */
  readonly isDefault: boolean;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/**
 * BackendUrl, or the gateway's default backend (rds.defaultBackendUrl); DBName replaces the URL's database (the
 * URL's own database, `postgres` when it names none, without DBName).
 */
export function createBackend(
  ctx: ControlContext,
  provisioner: BackendProvisioner,
  input: { readonly backendUrl?: string | undefined; readonly dbName?: string | undefined },
): CreateBackend {
  if (input.dbName !== undefined && !DB_NAME.test(input.dbName)) {
    throw validation('DBName must be 1-63 letters, digits or underscores, starting with a letter');
  }
  const base = input.backendUrl ?? ctx.instanceDefaults?.backendUrl;
  if (base === undefined) {
    throw new GatehouseError('GH_NO_DEFAULT_BACKEND', {
      reason:
        'this gateway has no default backend. Pass BackendUrl (postgres://ADMIN[:PASSWORD]@HOST:PORT/DB, e.g. with gatehouse rds create-db-instance --backend-url), or set rds.defaultBackendUrl in the gateway config to such an admin URL; DBName then picks the database on it (docs/rds-api.md)',
    });
  }
  let admin: BackendTarget;
  try {
    admin = provisioner.parseBackendUrl(base);
  } catch (e) {
    if (input.backendUrl !== undefined) throw e;
    throw new GatehouseError(
      'GH_NO_DEFAULT_BACKEND',
      {
        reason: `the gateway's default backend (rds.defaultBackendUrl) is not a ${provisioner.engine} backend: pass BackendUrl`,
      },
      { cause: e },
    );
  }
  const isDefault = input.backendUrl === undefined;
  if (input.dbName === undefined || input.dbName === admin.database)
    return { url: base, target: admin, isDefault };
  const url = withDatabase(base, input.dbName);
  return {
    url,
    target: provisioner.parseBackendUrl(url),
    create: { admin, database: input.dbName },
    isDefault,
  };
}

/**
 * The default backend lets a caller allowed rds:CreateDBInstance reach databases without knowing the admin
 * password; `gatehouse up` keeps the gateway's own store on that server. An instance in front of the store's
 * database (by name: conservative when the default backend is another server) would hand its IAM policies and
 * audit trail to whoever may create database users, so it is refused.
 */
export async function checkNotStore(ctx: ControlContext, backend: CreateBackend): Promise<void> {
  if (!backend.isDefault) return;
  if ((await storeDatabaseName(ctx.store.pool)) === backend.target.database) {
    throw validation(
      `DBName: ${backend.target.database} is the database of the gateway's own state store; choose another name`,
    );
  }
}

/** RDS creates the database DBName names: here once, through the admin connection (nothing if it exists). */
export async function ensureBackendDatabase(
  provisioner: BackendProvisioner,
  instance: string,
  backend: CreateBackend,
): Promise<void> {
  if (!backend.create) return;
  const session = await provisioner.connect(instance, backend.create.admin);
  try {
    if (!session.ensureDatabase) {
      throw validation(
        `DBName: Gatehouse cannot create ${provisioner.engine} databases; name an existing database in BackendUrl`,
      );
    }
    await session.ensureDatabase(backend.create.database).catch((e: unknown) => {
      throw new GatehouseError(
        'GH_BACKEND_PROVISION_FAILED',
        { instance, reason: `cannot create database ${backend.create?.database}: ${(e as Error).message}` },
        { cause: e },
      );
    });
  } finally {
    await session.close().catch(() => {});
  }
}
