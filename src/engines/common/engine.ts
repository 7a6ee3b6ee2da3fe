// The engine seam: what every engine gets from the core, what it gives back, and the registry keyed by the
// instance row's `engine`. Adding an engine is one folder exporting an EngineDefinition and one registry line.
import type { Server, Socket } from 'node:net';
import type { LiveIamSessions } from '../../auth/iam-token/live-sessions.js';
import type { AuditSink } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import type { GatehouseError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { RefusalLog } from '../../core/refusal-log.js';
import type { DbEngine } from '../../core/types.js';
import type { BackendProvisioner } from '../../provisioning/provisioner.js';
import type { AuthMethods } from './auth-method.js';
import type { InstanceSettings } from './instance.js';
import type { EngineLimits, TlsSettings } from './limits.js';
import type { LoginDirectory } from './login.js';
import type { BackendLogin, WireSession } from './wire.js';

/** What the core hands every engine. Auth methods come as one registry, so this does not grow per method. */
export interface EngineDeps {
  readonly logins: LoginDirectory;
  readonly methods: AuthMethods;
  readonly tls: TlsSettings | null;
  readonly limits: EngineLimits;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Open revocable sessions, re-checked when IAM changes (on every node). */
  readonly liveSessions: LiveIamSessions;
  readonly audit: AuditSink;
  /** Rate-limits refusal log lines per source and code (audit events are never limited). */
  readonly refusalLog: RefusalLog;
}

/**
 * One wire protocol, as an engine implements it: a session adapter per accepted socket, and how to refuse a
 * socket at once (before anything is read) when pre-authentication caps are exceeded and too many refusals
 * are already being negotiated.
 */
export interface WireProtocol {
  accept(socket: Socket, instance: InstanceSettings): WireSession<BackendLogin>;
  refuseAtAccept(socket: Socket, error: GatehouseError): void;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** The flag a port-in-use error names (`up` says --pg-port). */
  readonly flag?: string;
  /** A listening socket handed over by a predecessor process (rolling restart): listened on, never bound anew. */
  readonly handle?: object;
}

export interface EngineListener {
  readonly host: string;
  readonly port: number;
  update(instance: InstanceSettings): void;
  /** The listening socket, to hand to a successor process (rolling restart). */
  readonly server: Server;
  /** Stop accepting: close this process's listening socket (a successor's copy of it stays open). */
  stopAccepting(): Promise<void>;
  /**
   * Shutdown: end each relaying session with `error` as soon as it is idle (one that starts relaying from now on:
   * once idle after its first request). Sessions in a transaction or running a statement keep going.
   */
  drain(error: GatehouseError): void;
  /** Shutdown's deadline: end every relaying session with `error` now (at a message boundary). */
  endAll(error: GatehouseError): void;
  /** Resolves once every connection of this listener is closed. */
  gone(): Promise<void>;
  /** Tear everything down at once. */
  close(): Promise<void>;
  readonly activeSessions: number;
  /** Connections before authentication, and refused ones still negotiating TLS to read why. */
  readonly admission: { readonly pending: number; readonly refusing: number };
}

export interface Engine {
  readonly name: DbEngine;
  readonly provisioner: BackendProvisioner;
  listen(instance: InstanceSettings, address: ListenAddress): Promise<EngineListener>;
}

/**
 * An engine as registered: its name, how to build its wire protocol from the core's deps, and how the
 * control plane provisions its backends (login roles, secrets, the IAM role).
 */
export interface EngineDefinition {
  readonly name: DbEngine;
  createProtocol(deps: EngineDeps): WireProtocol;
  readonly provisioner: BackendProvisioner;
}

export type EngineRegistry = ReadonlyMap<DbEngine, EngineDefinition>;

/** A registry from definitions; a name registered twice is a programming error. */
export function createEngineRegistry(definitions: readonly EngineDefinition[]): EngineRegistry {
  const registry = new Map<DbEngine, EngineDefinition>();
  for (const d of definitions) {
    if (registry.has(d.name)) throw new Error(`engine "${d.name}" registered twice`);
    registry.set(d.name, d);
  }
  return registry;
}
