// A backend that accepts TCP and never answers: logins get GH_BACKEND_TIMEOUT (08001, "did not answer within N ms")
// at the backend connect deadline, told apart from a refused TCP connection and from a backend that said no.
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendEndpoint } from '../../../src/core/backend-tls.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { sqlstateOf } from '../../../src/engines/postgres/error-wire.js';
import { connectUpstream } from '../../../src/engines/postgres/upstream.js';
import { createErrorResponse } from '../../../src/protocol/postgres/index.js';
import { findFreePort } from '../../../src/store/embedded.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { tryLogin } from '../../support/pg-login.js';
import { conninfo, runPsql } from '../../support/psql.js';
import { requireBinary } from '../../support/require-binary.js';

const psql = requireBinary('psql');
const TIMEOUT_SECONDS = 1;
const HUNG = new RegExp(
  `^the backend of instance "stuck" did not answer within ${TIMEOUT_SECONDS * 1000} ms \\(request id [0-9a-f]{16}\\)$`,
);

/**
 * A loopback TCP server. `forward` relays to a real PostgreSQL (so the instance and its user can be created);
 * `hang` accepts and never writes a byte. `accepted` counts the connections it took in `hang` mode.
 */
interface StallingBackend {
  readonly port: number;
  mode: 'forward' | 'hang' | 'refuse57P03';
  readonly accepted: number;
  close(): Promise<void>;
}

async function startStallingBackend(targetPort: number | null): Promise<StallingBackend> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const state: { mode: StallingBackend['mode'] } = { mode: targetPort === null ? 'hang' : 'forward' };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (state.mode === 'forward' && targetPort !== null) {
      const upstream = connect({ host: '127.0.0.1', port: targetPort });
      sockets.add(upstream);
      upstream.on('error', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
      return;
    }
    if (state.mode === 'refuse57P03') {
      // Answers the startup with PostgreSQL's "starting up" refusal, as a real backend does.
      socket.once('data', () =>
        socket.end(
          createErrorResponse({
            severity: 'FATAL',
            code: '57P03',
            message: 'the database system is starting up',
          }),
        ),
      );
      return;
    }
    accepted++;
    socket.resume(); // read and discard; never write
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    port: address.port,
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    get accepted() {
      return accepted;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a hung backend behind the gateway', () => {
  let t: TestGateway;
  let backend: StallingBackend;
  let port: number;
  let ca: string;
  let password: string;

  beforeAll(async () => {
    t = await startTestGateway({ backendConnectTimeoutSeconds: TIMEOUT_SECONDS });
    ca = readFileSync(t.caFile, 'utf8');
    backend = await startStallingBackend(t.postgres.port);
    const url = new URL(t.postgres.adminUrl('app'));
    url.port = String(backend.port);
    port = await t.createInstance('stuck', { backendUrl: `${url.toString()}?sslmode=disable` });
    password = await t.createUser('stuck', 'hank');
  });
  afterAll(async () => {
    await backend?.close();
    await t?.stop();
  });

  const login = () => tryLogin({ port, user: 'hank', password, database: 'app', ca });

  it('a login gets 08001 "did not answer within N ms" at the backend deadline, not "refused" (node-postgres and psql)', async () => {
    // Control: through the same relay the login works, so what follows is the backend's silence.
    expect(await login()).toMatchObject({ user: 'hank' });
    backend.mode = 'hang';
    const acceptedBefore = backend.accepted;

    const stalled = await login();
    expect(backend.accepted).toBeGreaterThan(acceptedBefore); // the backend did accept TCP
    expect(stalled).toMatchObject({ code: '08001' });
    expect(stalled.message).toMatch(HUNG);
    // The deadline applied, and it is the backend's one, well inside the 10 s authentication deadline.
    expect(stalled.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_SECONDS * 1000 - 50);
    expect(stalled.elapsedMs).toBeLessThan(10_000);

    if (psql) {
      const info = conninfo({
        host: 'localhost',
        port,
        user: 'hank',
        dbname: 'app',
        sslmode: 'verify-full',
        sslrootcert: t.caFile,
      });
      const r = await runPsql(info, 'select 1', { bin: psql, password, timeoutMs: 30_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /FATAL: {2}the backend of instance "stuck" did not answer within 1000 ms \(request id [0-9a-f]{16}\)/,
      );
    }
    backend.mode = 'forward';
    expect(await login()).toMatchObject({ user: 'hank' });
  });
});

describe('connectUpstream tells a silent backend from an unreachable and a refusing one', () => {
  let silent: StallingBackend;
  beforeAll(async () => {
    silent = await startStallingBackend(null);
  });
  afterAll(async () => {
    await silent?.close();
  });

  const request = (port: number, sslMode: BackendEndpoint['sslMode']) => ({
    instance: 'x',
    backend: { host: '127.0.0.1', port, sslMode, sslRootCert: undefined },
    user: 'u',
    password: 'p',
    database: 'd',
    parameters: [],
    timeoutMs: 300,
  });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('connected');
      },
      (e: unknown) => {
        expect(e).toBeInstanceOf(GatehouseError);
        const g = e as GatehouseError;
        return { code: g.code, sqlstate: sqlstateOf(g.code), message: g.message };
      },
    );

  it('silent after TCP, before or during the SSLRequest: GH_BACKEND_TIMEOUT naming the deadline', async () => {
    silent.mode = 'hang';
    for (const sslMode of ['disable', 'require'] as const) {
      expect(await failure(connectUpstream(request(silent.port, sslMode)))).toEqual({
        code: 'GH_BACKEND_TIMEOUT',
        sqlstate: '08001',
        message: 'the backend of instance "x" did not answer within 300 ms',
      });
    }
  });

  it('nothing listening: GH_BACKEND_UNREACHABLE (08006)', async () => {
    const closed = await findFreePort();
    expect(await failure(connectUpstream(request(closed, 'disable')))).toMatchObject({
      code: 'GH_BACKEND_UNREACHABLE',
      sqlstate: '08006',
    });
  });

  it('answered with a refusal: GH_BACKEND_REFUSED (57P03)', async () => {
    silent.mode = 'refuse57P03';
    expect(await failure(connectUpstream(request(silent.port, 'disable')))).toMatchObject({
      code: 'GH_BACKEND_REFUSED',
      sqlstate: '57P03',
    });
  });
});
