// The engine seam is real: a third engine defined in test/ (a server-first line protocol, see
// test/support/toy-engine.ts) and registered with one line gets login, refusals, audit, relay and revocation
// from the core without a line of PostgreSQL code.
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAuthToken } from '../../../src/auth/iam-token/generate.js';
import type { AuditEvent } from '../../../src/core/audit.js';
import { findFreePort } from '../../../src/store/embedded.js';
import { waitFor } from '../../support/eventually.js';
import {
  type AccessKeyPair,
  CONNECT_ANYWHERE,
  startTestGateway,
  type TestGateway,
} from '../../support/gateway.js';
import { LineReader, startEchoBackend, type ToyAccounts, toyEngine } from '../../support/toy-engine.js';

const TOY_SOURCE = new URL('../../support/toy-engine.ts', import.meta.url);

/** A toy client: reads the greeting, optionally upgrades to TLS, then speaks lines. */
class ToyClient {
  private constructor(
    private readonly reader: LineReader,
    readonly greeting: string,
  ) {}

  static async connect(port: number, options: { tls: boolean; ca?: string }): Promise<ToyClient> {
    const raw = netConnect({ host: '127.0.0.1', port });
    const reader = new LineReader(raw);
    const greeting = await reader.line(); // the server speaks first
    if (!options.tls) return new ToyClient(reader, greeting);
    raw.write('STARTTLS\n');
    expect(await reader.line()).toBe('GO');
    reader.detach();
    const secure = tlsConnect({ socket: raw, ca: options.ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    reader.attach(secure);
    return new ToyClient(reader, greeting);
  }

  send(line: string): void {
    this.reader.socket.write(`${line}\n`);
  }

  line(): Promise<string> {
    return this.reader.line();
  }

  /** Lines until the server closes. */
  async rest(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const next = await this.reader.line().catch(() => null);
      if (next === null) return lines;
      lines.push(next);
    }
  }

  get socket(): Socket {
    return this.reader.socket;
  }
}

describe('a toy third engine registered with one line', () => {
  const events: AuditEvent[] = [];
  const accounts: ToyAccounts = new Map();
  let t: TestGateway;
  let backend: Server;
  let port: number;
  let ca: string;
  let key: AccessKeyPair;

  const token = (user: string, k: AccessKeyPair = key) =>
    generateAuthToken({
      hostname: 'localhost',
      port,
      username: user,
      region: t.gateway.account.region,
      credentials: k,
    });

  /** Log in over TLS; returns the client and the server's answer to the secret. */
  async function login(user: string, secret: string, tls = true) {
    const client = await ToyClient.connect(port, { tls, ca });
    client.send(`LOGIN ${user} echo`);
    const asked = await client.line();
    if (asked !== 'SECRET?') return { client, answer: asked };
    client.send(`SECRET ${secret}`);
    return { client, answer: await client.line() };
  }

  beforeAll(async () => {
    const echo = await startEchoBackend(accounts);
    backend = echo.server;
    t = await startTestGateway({
      engines: [toyEngine(accounts)],
      audit: { emit: (e) => void events.push(e) },
    });
    port = await findFreePort();
    ca = readFileSync(t.caFile, 'utf8');
    await t.gateway.controlPlane.createInstance({
      identifier: 'toy1',
      engine: 'toy',
      backendUrl: `toy://admin@127.0.0.1:${echo.port}/echo`,
      listen: `127.0.0.1:${port}`,
      enableIamDatabaseAuthentication: true,
      endpointAliases: [`localhost:${port}`],
    });
    await t.gateway.controlPlane.createDbUser({ instance: 'toy1', username: 'robot', auth: 'iam' });
    key = await t.createIamPrincipal('tess', CONNECT_ANYWHERE);
  });
  afterAll(async () => {
    await t?.stop();
    backend?.close();
  });

  it('is built from engines/common alone: the toy imports no PostgreSQL engine or protocol code', () => {
    const imports = [...readFileSync(TOY_SOURCE, 'utf8').matchAll(/from '([^']+)'/g)].map(
      (m) => m[1] as string,
    );
    const project = imports.filter((s) => s.startsWith('.'));
    expect(project.length).toBeGreaterThan(3);
    expect(project.filter((s) => /engines\/(?!common\/)|protocol\//.test(s))).toEqual([]);
  });

  it('provisions the backend through the engine’s own provisioner', () => {
    expect(accounts.get('robot')).toMatch(/^.{20,}$/); // Gatehouse's secret for robot, never the client's
  });

  it('logs in with an IAM token over TLS, server first, and relays to the backend', async () => {
    const before = events.length;
    const { client, answer } = await login('robot', await token('robot'));
    expect(client.greeting).toMatch(/^TOY 1 [0-9a-f]{16}$/);
    expect(answer).toBe('WELCOME iam');
    client.send('hello there');
    expect(await client.line()).toBe('ECHO hello there');
    client.socket.end();
    expect(events.slice(before).filter((e) => e.type === 'db.connect')).toEqual([
      expect.objectContaining({
        type: 'db.connect',
        instance: 'toy1',
        dbUser: 'robot',
        database: 'echo',
        method: 'iam',
        principalArn: expect.stringMatching(/:user\/tess$/),
        accessKeyId: key.accessKeyId,
        tls: true,
        outcome: 'success',
      }),
    ]);
    // The core, not the engine, records how the session ended, under the same request id.
    const connected = events.slice(before).find((e) => e.type === 'db.connect');
    const ended = await waitFor(() => events.slice(before).find((e) => e.type === 'db.disconnect'), {
      timeoutMs: 5000,
      what: 'the db.disconnect event of the session',
    });
    expect(ended).toEqual(
      expect.objectContaining({
        requestId: connected?.requestId,
        instance: 'toy1',
        dbUser: 'robot',
        database: 'echo',
        method: 'iam',
        principalArn: expect.stringMatching(/:user\/tess$/),
        reason: 'client-quit',
      }),
    );
    if (ended.type !== 'db.disconnect') throw new Error('unreachable');
    expect(ended.bytesToClient).toBeGreaterThan('ECHO hello there\n'.length);
    expect(ended.bytesFromClient).toBeGreaterThan('hello there\n'.length);
  });

  it('refuses a token outside TLS in its own framing, with the code and a request id, and audits it', async () => {
    const before = events.length;
    const client = await ToyClient.connect(port, { tls: false });
    client.send('LOGIN robot echo');
    const lines = await client.rest();
    expect(lines).toEqual([
      expect.stringMatching(/^ERROR GH_IAM_TLS_REQUIRED .*\(request id [0-9a-f]{16}\)$/),
    ]);
    expect(events.slice(before)).toEqual([
      expect.objectContaining({
        dbUser: 'robot',
        outcome: 'failure',
        code: 'GH_IAM_TLS_REQUIRED',
        tls: false,
      }),
    ]);
  });

  it('refuses a wrong token with the verifier’s code', async () => {
    const { client, answer } = await login(
      'robot',
      'localhost:1/?Action=connect&DBUser=robot&X-Amz-Signature=00',
    );
    expect(answer).toMatch(/^ERROR GH_IAM_\w+ /);
    client.socket.destroy();
  });

  it('an unknown user is asked for a secret like any user, then refused as a wrong password (no SASL here)', async () => {
    const before = events.length;
    const { client, answer } = await login('nobody', 'whatever');
    expect(answer).toMatch(/^ERROR GH_IAM_USER_NOT_ENABLED .*\(request id [0-9a-f]{16}\)$/);
    client.socket.destroy();
    expect(events.slice(before)).toEqual([
      expect.objectContaining({
        dbUser: 'nobody',
        method: 'none',
        outcome: 'failure',
        code: 'GH_IAM_USER_NOT_ENABLED',
      }),
    ]);
  });

  it('the core never asks for a cleartext secret outside TLS, whatever the method', async () => {
    const client = await ToyClient.connect(port, { tls: false });
    client.send('LOGIN nobody echo');
    expect(await client.rest()).toEqual([expect.stringMatching(/^ERROR GH_CLEARTEXT_REQUIRES_TLS /)]);
  });

  it('ends an open session at a line boundary when its access key is deactivated', async () => {
    const { client, answer } = await login('robot', await token('robot'));
    expect(answer).toBe('WELCOME iam');
    client.send('still here');
    expect(await client.line()).toBe('ECHO still here');
    const admin = {
      arn: `arn:aws:iam::${t.gateway.account.accountId}:user/admin`,
      accountId: t.gateway.account.accountId,
      userId: 'AIDAADMIN',
      accessKeyId: t.gateway.bootstrapKey?.accessKeyId ?? '',
    };
    await t.gateway.iam.iam.updateAccessKey(
      { UserName: 'tess', AccessKeyId: key.accessKeyId, Status: 'Inactive' },
      admin,
    );
    const lines = await client.rest();
    expect(lines).toEqual([
      expect.stringMatching(/^ERROR GH_IAM_SESSION_REVOKED .*was revoked.*\(request id [0-9a-f]{16}\)$/),
    ]);
    await waitFor(() => t.gateway.iamSessions.size === 0, {
      timeoutMs: 5000,
      what: 'the live session to be forgotten',
    });
    expect(events.filter((e) => e.type === 'db.session.revoked')).toEqual([
      expect.objectContaining({ instance: 'toy1', dbUser: 'robot', code: 'GH_IAM_SESSION_REVOKED' }),
    ]);
    const revoked = events.find((e) => e.type === 'db.session.revoked');
    await waitFor(
      () => events.find((e) => e.type === 'db.disconnect' && e.requestId === revoked?.requestId),
      { timeoutMs: 5000, what: 'the db.disconnect event of the revoked session' },
    );
    expect(events.find((e) => e.type === 'db.disconnect' && e.requestId === revoked?.requestId)).toEqual(
      expect.objectContaining({ reason: 'revoked', dbUser: 'robot' }),
    );
    // The detectors read the same trail and raise their alert into it.
    expect(events.filter((e) => e.type === 'alert')).toContainEqual(
      expect.objectContaining({
        detector: 'session-revoked',
        subject: expect.stringMatching(/^principal arn:aws:iam::\d{12}:user\/tess$/),
        requestId: revoked?.requestId,
      }),
    );
  });
});
