// TLS negotiation at the PostgreSQL front end: SSLRequest, GSSENCRequest fallback, direct TLS (PG17 ALPN),
// buffer stuffing (CVE-2021-23214), minimum TLS version and the served certificate.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSSLRequest, createStartupMessage } from '../../../src/protocol/postgres/index.js';
import { ensureCertificates } from '../../../src/tls/ca.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import {
  firstError,
  RawPgConnection,
  type StartupResult,
  simpleQuery,
  startup,
  verifiedTls,
} from '../../support/raw-pg-client.js';

const REQUEST_ID = /\(request id [0-9a-f]{16}\)$/;

describe('TLS negotiation', () => {
  let t: TestGateway;
  let port: number;
  let password: string;
  let otherCaDir: string;
  let otherCaFile: string;
  const open: RawPgConnection[] = [];

  beforeAll(async () => {
    t = await startTestGateway();
    port = await t.createInstance('tlsneg');
    password = await t.createUser('tlsneg', 'alice');
    otherCaDir = await mkdtemp(join(tmpdir(), 'gatehouse-other-ca-'));
    otherCaFile = (await ensureCertificates(otherCaDir)).caFile;
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await t?.stop();
    if (otherCaDir) await rm(otherCaDir, { recursive: true, force: true });
  });

  const connect = async (): Promise<RawPgConnection> => {
    const c = await RawPgConnection.connect(port);
    open.push(c);
    return c;
  };

  async function expectWorkingSession(conn: RawPgConnection, r: StartupResult): Promise<void> {
    expect(r.error).toBeNull();
    expect(r.ready).toBe(true);
    expect(r.mechanism).toBe('SCRAM-SHA-256-PLUS'); // channel-bound to the TLS session we negotiated
    const q = await simpleQuery(conn, 'select current_user, name from items');
    expect(q).toEqual({ rows: [['alice', 'espresso']], error: null });
  }

  it('plaintext sent in the same write as the SSLRequest is refused and the connection closed (CVE-2021-23214)', async () => {
    const conn = await connect();
    const stuffed = createStartupMessage([
      ['user', 'alice'],
      ['database', 'app'],
    ]);
    conn.write(Buffer.concat([createSSLRequest(), stuffed]));
    const messages = await conn.drain(5000); // returns only once the server has closed
    expect(messages.map((m) => m.type)).toEqual(['E']); // no 'S': the handshake never starts
    const error = firstError(messages);
    expect(error?.get('C')).toBe('08P01');
    expect(error?.get('M')).toMatch(/^received unencrypted data after SSL request/);
    expect(error?.get('M')).toMatch(REQUEST_ID);
    expect(conn.isClosed).toBe(true);
  });

  it('a GSSENCRequest is answered N, then SSLRequest gets S and TLS, and the login works (psql with a Kerberos cache)', async () => {
    const conn = await connect();
    expect(await conn.requestGssenc()).toBe('N');
    expect(await conn.requestSsl()).toBe('S');
    const secure = await conn.startTls(verifiedTls(t.caFile));
    expect(secure.authorized).toBe(true);
    await expectWorkingSession(conn, await startup(conn, { user: 'alice', database: 'app', password }));
  });

  it('an SSLRequest inside an established TLS session is refused with 08P01', async () => {
    const conn = await connect();
    expect(await conn.requestSsl()).toBe('S');
    await conn.startTls(verifiedTls(t.caFile));
    conn.write(createSSLRequest());
    const error = firstError(await conn.drain(5000));
    expect(error?.get('S')).toBe('FATAL');
    expect(error?.get('C')).toBe('08P01');
    expect(error?.get('M')).toMatch(/SSL request inside SSL/);
  });

  it('direct TLS with ALPN "postgresql" (PG17 sslnegotiation=direct) logs in without an SSLRequest', async () => {
    const conn = await RawPgConnection.connectDirectTls(
      port,
      verifiedTls(t.caFile, { ALPNProtocols: ['postgresql'] }),
    );
    open.push(conn);
    const secure = conn.socket as TLSSocket;
    expect(secure.authorized).toBe(true);
    expect(secure.alpnProtocol).toBe('postgresql');
    await expectWorkingSession(conn, await startup(conn, { user: 'alice', database: 'app', password }));
  });

  it.each([
    ['no ALPN', undefined],
    ['only http/1.1', ['http/1.1']],
  ])('direct TLS with %s is refused before any authentication', async (_name, alpn) => {
    let conn: RawPgConnection;
    try {
      conn = await RawPgConnection.connectDirectTls(
        port,
        verifiedTls(t.caFile, alpn ? { ALPNProtocols: alpn } : {}),
      );
    } catch (e) {
      // Refusing in the handshake (no_application_protocol alert, as PostgreSQL 17 does) is equally fine.
      expect((e as NodeJS.ErrnoException).code).toMatch(/ALERT_NO_APPLICATION_PROTOCOL/);
      return;
    }
    open.push(conn);
    const r = await startup(conn, { user: 'alice', database: 'app', password });
    expect(r.ready).toBe(false);
    expect(r.messages.map((m) => m.type)).toEqual(['E']); // no authentication request was ever sent
    expect(r.error?.get('C')).toBe('08P01');
    expect(r.error?.get('M')).toMatch(/ALPN/);
  });

  it('TLS 1.1 is refused by the server while TLS 1.2 from the same client succeeds (minimum version 1.2)', async () => {
    // SECLEVEL=0 lets this client's OpenSSL offer TLS 1.0/1.1 at all, so a refusal must come from the gateway.
    const legacy = { minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
    const old = await connect();
    expect(await old.requestSsl()).toBe('S');
    const refused = await old.startTls(verifiedTls(t.caFile, { ...legacy, maxVersion: 'TLSv1.1' })).then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(refused?.code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'); // the server's protocol_version alert

    const modern = await connect();
    expect(await modern.requestSsl()).toBe('S');
    const secure = await modern.startTls(verifiedTls(t.caFile, { ...legacy, maxVersion: 'TLSv1.2' }));
    expect(secure.getProtocol()).toBe('TLSv1.2');
  });

  it('the served certificate chains to ca.pem and names localhost and 127.0.0.1', async () => {
    const conn = await connect();
    expect(await conn.requestSsl()).toBe('S');
    const secure = await conn.startTls(verifiedTls(t.caFile));
    expect(secure.authorized).toBe(true);
    const cert = secure.getPeerCertificate();
    const sans = (cert.subjectaltname ?? '').split(', ');
    expect(sans).toContain('DNS:localhost');
    expect(sans).toContain('IP Address:127.0.0.1');
    // The hostname checks sslmode=verify-full does, for both names.
    expect(checkServerIdentity('localhost', cert)).toBeUndefined();
    expect(checkServerIdentity('127.0.0.1', cert)).toBeUndefined();
    expect(checkServerIdentity('gatehouse.example', cert)).toBeInstanceOf(Error);
  });

  it('the served certificate does not verify against an unrelated CA', async () => {
    const conn = await connect();
    expect(await conn.requestSsl()).toBe('S');
    const otherCa = await readFile(otherCaFile, 'utf8');
    const failure = await conn.startTls({ ca: otherCa, servername: 'localhost' }).then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(failure?.code).toMatch(/CERT|SIGNATURE|ISSUER/);
  });
});
