// Gateway -> backend TLS per instance (sslmode/sslrootcert), proven from the backend's side: pg_stat_ssl and hostssl-only pg_hba.
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGatehouseError } from '../../../src/core/errors.js';
import { findFreePort } from '../../../src/store/embedded.js';
import { postgresOsUser } from '../../../src/store/embedded-process.js';
import { ensureCertificates, type TlsMaterial } from '../../../src/tls/ca.js';
import { startEmbeddedPostgres, type TestPostgres } from '../../support/embedded-pg.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { sendCancel } from '../../support/send-cancel.js';
import { waitForSleep } from '../../support/wait-for-sleep.js';

/** Functional bound: failures and cancels must come long before a client would give up (not a perf assertion). */
const PROMPT_MS = 10_000;
const PASSWORD = 'correct horse battery staple';
/** The backend certificate names localhost/127.0.0.1 only; the backend also listens here, where the name mismatches. */
const UNNAMED_HOST = '127.0.0.2';
/**
 * Role logins must use TLS (hostssl); only the superuser may use plaintext, for the test's own setup
 * and for the sslmode=disable instance's provisioning. First matching line wins (PostgreSQL docs, "The pg_hba.conf File").
 */
const HBA = [
  'hostssl all all 127.0.0.0/8 scram-sha-256',
  'host all postgres 127.0.0.0/8 scram-sha-256',
  '',
].join('\n');

interface LogLine {
  readonly msg?: string;
  readonly requestId?: string;
  readonly code?: string;
  readonly detail?: string;
  /** Audit events share requestId and code with the operator line; these tests look at the latter. */
  readonly audit?: boolean;
}

type Params = Record<string, string>;

/** Process warnings seen while this file runs: Node emits DEP0123 once per process, so collect from the start. */
const warnings: Array<Error & { code?: string }> = [];
const onWarning = (w: Error & { code?: string }): void => void warnings.push(w);
process.on('warning', onWarning);

/** node-postgres keeps the BackendKeyData it received on the client (not in its typings). */
interface KeyedClient {
  readonly processID: number;
  readonly secretKey: number;
}

/**
 * Certificate and key where the server's OS user can read them: as root PostgreSQL runs as `postgres`,
 * and it refuses a key not owned by itself (or root) with mode 0600/0640.
 */
async function serverFiles(
  tls: TlsMaterial,
  dir: string,
): Promise<{ cert: string; key: string; hba: string }> {
  await mkdir(dir, { mode: 0o700 });
  const files = {
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
    hba: join(dir, 'pg_hba.conf'),
  };
  await copyFile(tls.certFile, files.cert);
  await copyFile(tls.keyFile, files.key); // copyFile keeps the source's 0600
  await writeFile(files.hba, HBA, { mode: 0o600 });
  const owner = await postgresOsUser();
  if (owner) for (const f of [dir, ...Object.values(files)]) await chown(f, owner.uid, owner.gid);
  return files;
}

describe('TLS from the gateway to the backend', () => {
  const logs: LogLine[] = [];
  let t: TestGateway;
  let backend: TestPostgres;
  let backendAdmin: pg.Client;
  let dir: string;
  let goodCa: string;
  let otherCa: string;
  let gatewayCa: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-backend-tls-'));
    await chmod(dir, 0o711); // the server's OS user must pass through to its own subdirectory
    const [tls, other] = await Promise.all([
      ensureCertificates(join(dir, 'backend-ca')),
      ensureCertificates(join(dir, 'unrelated-ca')),
    ]);
    goodCa = tls.caFile;
    otherCa = other.caFile;
    const files = await serverFiles(tls, join(dir, 'server'));
    const logger = pino(
      { level: 'info' },
      { write: (l: string) => void logs.push(JSON.parse(l) as LogLine) },
    );
    [t, backend] = await Promise.all([
      startTestGateway({ logger }),
      startEmbeddedPostgres({
        name: 'backend-tls',
        postgresFlags: [
          ...['-c', 'ssl=on', '-c', `ssl_cert_file=${files.cert}`, '-c', `ssl_key_file=${files.key}`],
          ...['-c', `hba_file=${files.hba}`, '-c', `listen_addresses=127.0.0.1,${UNNAMED_HOST}`],
        ],
      }),
    ]);
    gatewayCa = await readFile(t.caFile, 'utf8');
    backendAdmin = new pg.Client({ connectionString: backend.adminUrl('postgres') }); // plaintext superuser
    await backendAdmin.connect();
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await backendAdmin?.end().catch(() => {});
    await backend?.stop();
    await t?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The TLS backend's admin URL with these query parameters (and optionally another host). */
  function tlsBackendUrl(params: Params, host = '127.0.0.1'): string {
    const url = new URL(backend.adminUrl('postgres'));
    url.hostname = host;
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }

  /** Register an instance and one user on it (role names are per backend: one user per instance). */
  async function register(identifier: string, backendUrl: string): Promise<{ port: number; user: string }> {
    const port = await findFreePort();
    await t.gateway.controlPlane.createInstance({
      identifier,
      engine: 'postgres',
      backendUrl,
      listen: `127.0.0.1:${port}`,
      forceSsl: false,
    });
    const user = `u_${identifier.replace(/-/g, '_')}`;
    await t.gateway.controlPlane.createDbUser({
      instance: identifier,
      username: user,
      auth: 'password',
      password: PASSWORD,
    });
    return { port, user };
  }

  /** A client session through the gateway (TLS to the gateway itself, verified against its CA). */
  async function open(port: number, user: string, applicationName = 'gh-backend-tls'): Promise<pg.Client> {
    const client = new pg.Client({
      host: 'localhost',
      port,
      user,
      password: PASSWORD,
      database: 'postgres',
      application_name: applicationName,
      ssl: { ca: gatewayCa, servername: 'localhost' },
    });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    return client;
  }

  /** Whether the backend session behind this gateway session is encrypted, as the backend itself reports. */
  async function backendSsl(port: number, user: string): Promise<boolean | undefined> {
    const client = await open(port, user);
    try {
      const { rows } = await client.query<{ ssl: boolean }>(
        'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
      );
      return rows[0]?.ssl;
    } finally {
      await client.end();
    }
  }

  async function failedLogin(port: number, user: string) {
    const started = Date.now();
    try {
      const client = await open(port, user);
      await client.end();
      throw new Error('login unexpectedly succeeded');
    } catch (e) {
      const err = e as Error & { code?: string };
      const requestId = /\(request id ([0-9a-f]{16})\)$/.exec(err.message)?.[1];
      return { code: err.code, message: err.message, requestId, elapsedMs: Date.now() - started };
    }
  }

  async function provisionError(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
    const e = await promise.then(
      () => new Error('createInstance unexpectedly succeeded'),
      (x: unknown) => x,
    );
    if (!isGatehouseError(e)) throw e;
    return { code: e.code, message: e.message };
  }

  it('sslmode=require: the backend session of a gateway login is encrypted (pg_stat_ssl, both sides)', async () => {
    const { port, user } = await register('tls-require', tlsBackendUrl({ sslmode: 'require' }));
    const client = await open(port, user, 'gh-require');
    try {
      const own = await client.query<{ ssl: boolean; version: string | null }>(
        'select ssl, version from pg_stat_ssl where pid = pg_backend_pid()',
      );
      expect(own.rows[0]?.ssl).toBe(true);
      expect(own.rows[0]?.version).toMatch(/^TLSv1\.[23]$/);
      const seen = await backendAdmin.query<{ ssl: boolean }>(
        `select s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid)
          where a.usename = $1 and starts_with(a.application_name, 'gh-require [gh:')`,
        [user],
      );
      expect(seen.rows).toEqual([{ ssl: true }]);
    } finally {
      await client.end();
    }
  });

  it('sslmode=verify-full and verify-ca with the backend CA as sslrootcert log in over TLS', async () => {
    const full = await register(
      'tls-verify-full',
      tlsBackendUrl({ sslmode: 'verify-full', sslrootcert: goodCa }),
    );
    expect(await backendSsl(full.port, full.user)).toBe(true);
    const ca = await register('tls-verify-ca', tlsBackendUrl({ sslmode: 'verify-ca', sslrootcert: goodCa }));
    expect(await backendSsl(ca.port, ca.user)).toBe(true);
  });

  it('verify-ca accepts a trusted certificate that does not name the host; verify-full refuses it', async () => {
    // The certificate names 127.0.0.1 and localhost, not 127.0.0.2: only the chain is checked by verify-ca.
    const ca = await register(
      'tls-ca-unnamed',
      tlsBackendUrl({ sslmode: 'verify-ca', sslrootcert: goodCa }, UNNAMED_HOST),
    );
    expect(await backendSsl(ca.port, ca.user)).toBe(true);
    const full = await provisionError(
      register(
        'tls-full-unnamed',
        tlsBackendUrl({ sslmode: 'verify-full', sslrootcert: goodCa }, UNNAMED_HOST),
      ),
    );
    expect(full.code).toBe('GH_BACKEND_PROVISION_FAILED');
    expect(full.message).toMatch(/127\.0\.0\.2/);
  });

  it('verify-full against an unrelated CA (or the system CAs) is refused when the instance is registered', async () => {
    for (const [identifier, params] of [
      ['tls-wrong-ca', { sslmode: 'verify-full', sslrootcert: otherCa }],
      ['tls-system-ca', { sslmode: 'verify-full' }],
    ] as const) {
      const e = await provisionError(register(identifier, tlsBackendUrl(params)));
      expect(e.code).toBe('GH_BACKEND_PROVISION_FAILED');
      expect(e.message).toMatch(/certificate/i);
      // Nothing was stored: the identifier is still free.
      await expect(t.gateway.controlPlane.describeInstances(identifier)).rejects.toMatchObject({
        code: 'GH_INSTANCE_NOT_FOUND',
      });
    }
  });

  it('a backend certificate that stops verifying (CA file replaced) fails logins quickly with 08006', async () => {
    const caFile = join(dir, 'rotating-ca.pem');
    await copyFile(goodCa, caFile);
    const { port, user } = await register(
      'tls-rotated',
      tlsBackendUrl({ sslmode: 'verify-full', sslrootcert: caFile }),
    );
    expect(await backendSsl(port, user)).toBe(true); // control: the same login works with the right CA

    await copyFile(otherCa, caFile); // the gateway reads sslrootcert per connection
    const refused = await failedLogin(port, user);
    expect(refused.code).toBe('08006');
    expect(refused.message).toMatch(
      /^could not connect to the backend of instance "tls-rotated" \(request id [0-9a-f]{16}\)$/,
    );
    expect(refused.elapsedMs).toBeLessThan(PROMPT_MS);
    const logged = logs.find(
      (l) => !l.audit && l.requestId === refused.requestId && l.code === 'GH_BACKEND_UNREACHABLE',
    );
    expect(logged?.detail).toMatch(/certificate/i);

    await copyFile(goodCa, caFile);
    expect(await backendSsl(port, user)).toBe(true);
  });

  it('sslmode=disable against a hostssl-only backend: 57P03 for the client, the backend reason only in the log', async () => {
    // Provisioning works: the superuser may use plaintext. Role logins may not.
    const { port, user } = await register('tls-disable', tlsBackendUrl({ sslmode: 'disable' }));
    const refused = await failedLogin(port, user);
    expect(refused.code).toBe('57P03');
    expect(refused.message).toMatch(
      /^the backend of instance "tls-disable" refused the connection \(request id [0-9a-f]{16}\)$/,
    );
    expect(refused.elapsedMs).toBeLessThan(PROMPT_MS);
    const logged = logs.find(
      (l) => !l.audit && l.requestId === refused.requestId && l.code === 'GH_BACKEND_REFUSED',
    );
    expect(logged?.detail).toMatch(/^28000 no pg_hba\.conf entry .*no encryption/);
  });

  it('sslmode=prefer (the default) uses TLS when the backend offers it and plaintext when it does not', async () => {
    const tlsOffered = await register('tls-prefer', tlsBackendUrl({}));
    expect(await backendSsl(tlsOffered.port, tlsOffered.user)).toBe(true);
    // The gateway's own store cluster has ssl=off: it answers the SSLRequest with N.
    const plain = await register('tls-prefer-plain', t.postgres.adminUrl('postgres'));
    expect(await backendSsl(plain.port, plain.user)).toBe(false);
    const explicit = await register('tls-prefer-plain2', `${t.postgres.adminUrl('postgres')}?sslmode=prefer`);
    expect(await backendSsl(explicit.port, explicit.user)).toBe(false);
  });

  it('sslmode=require against a backend without TLS is refused when the instance is registered', async () => {
    const e = await provisionError(
      register('tls-require-plain', `${t.postgres.adminUrl('postgres')}?sslmode=require`),
    );
    expect(e.code).toBe('GH_BACKEND_PROVISION_FAILED');
    expect(e.message).toMatch(/SSL/);
  });

  /** Cancel a running pg_sleep(30) with a raw CancelRequest carrying the key the gateway gave the client. */
  async function cancelSleep(port: number, user: string, admin: pg.Client, applicationName: string) {
    const client = await open(port, user, applicationName);
    try {
      const started = Date.now();
      const query = client.query('select pg_sleep(30)').then(
        () => null,
        (e: Error & { code?: string }) => e,
      );
      await waitForSleep(admin, applicationName);
      const { processID, secretKey } = client as unknown as KeyedClient;
      const key = Buffer.alloc(4); // protocol 3.0: a 4-byte secret, which pg-protocol reads as an int32
      key.writeInt32BE(secretKey);
      expect(await sendCancel(port, processID, key)).toHaveLength(0);
      const error = await query;
      const elapsedMs = Date.now() - started;
      // The session survives a cancelled statement.
      const after = (await client.query<{ one: number }>('select 1 AS one')).rows;
      return { code: error?.code, elapsedMs, after };
    } finally {
      await client.end();
    }
  }

  it('a CancelRequest reaches a TLS backend (verify-full): pg_sleep(30) ends promptly with 57014', async () => {
    const { port, user } = await register(
      'tls-cancel',
      tlsBackendUrl({ sslmode: 'verify-full', sslrootcert: goodCa }),
    );
    const r = await cancelSleep(port, user, backendAdmin, 'gh-tls-cancel');
    expect(r.code).toBe('57014');
    expect(r.elapsedMs).toBeLessThan(PROMPT_MS);
    expect(r.after).toEqual([{ one: 1 }]);
  });

  it('a CancelRequest reaches a backend without TLS under sslmode=prefer (SSLRequest answered N)', async () => {
    const { port, user } = await register('tls-cancel-plain', t.postgres.adminUrl('postgres'));
    const admin = new pg.Client({ connectionString: t.postgres.adminUrl('postgres') });
    await admin.connect();
    try {
      const r = await cancelSleep(port, user, admin, 'gh-plain-cancel');
      expect(r.code).toBe('57014');
      expect(r.elapsedMs).toBeLessThan(PROMPT_MS);
      expect(r.after).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
    }
  });

  // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName"; Node prints DEP0123
  // when asked to, and will ignore it in future. The certificate's IP SANs are still checked via `host`.
  it('verify-full to an IP-literal backend never sets an IP as TLS ServerName (no DEP0123)', async () => {
    const { port, user } = await register(
      'tls-sni',
      tlsBackendUrl({ sslmode: 'verify-full', sslrootcert: goodCa }),
    );
    expect(await backendSsl(port, user)).toBe(true);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(warnings.filter((w) => w.code === 'DEP0123').map((w) => w.message)).toEqual([]);
  });
});
