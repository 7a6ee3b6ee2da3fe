// Protocol version negotiation at the gateway: 3.0, 3.2 (long cancel keys), greasing with 3.9999 and `_pq_.`
// options (NegotiateProtocolVersion, PG doc 55.2.1), refusal of other majors, and startup-parameter forwarding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import {
  firstError,
  RawPgConnection,
  type StartupOptions,
  type StartupResult,
  simpleQuery,
  startup,
  verifiedTls,
} from '../../support/raw-pg-client.js';

const V3_0 = 196608; // 3 << 16
const V3_2 = 196610; // 3 << 16 | 2
const V3_9999 = (3 << 16) | 9999;

describe('protocol versions at the PostgreSQL front end', () => {
  let t: TestGateway;
  let port: number;
  let password: string;
  const open: RawPgConnection[] = [];

  beforeAll(async () => {
    t = await startTestGateway();
    port = await t.createInstance('proto');
    password = await t.createUser('proto', 'alice');
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await t?.stop();
  });

  /** Plaintext session (the common case for protocol tests; TLS has its own file). */
  async function login(
    o: Omit<StartupOptions, 'password'>,
  ): Promise<{ conn: RawPgConnection; r: StartupResult }> {
    const conn = await RawPgConnection.connect(port);
    open.push(conn);
    const r = await startup(conn, { password, database: 'app', ...o });
    return { conn, r };
  }

  async function loginTls(
    o: Omit<StartupOptions, 'password'>,
  ): Promise<{ conn: RawPgConnection; r: StartupResult }> {
    const conn = await RawPgConnection.connect(port);
    open.push(conn);
    expect(await conn.requestSsl()).toBe('S');
    await conn.startTls(verifiedTls(t.caFile));
    const r = await startup(conn, { password, database: 'app', ...o });
    return { conn, r };
  }

  it('a protocol 3.2 client logs in over TLS, gets a 32-byte cancel key and runs a query', async () => {
    const { conn, r } = await loginTls({ user: 'alice', version: V3_2 });
    expect(r.error).toBeNull();
    expect(r.ready).toBe(true);
    expect(r.negotiate).toBeNull(); // 3.2 is spoken as asked: no NegotiateProtocolVersion
    expect(r.mechanism).toBe('SCRAM-SHA-256-PLUS');
    expect(r.backendKey?.secretKey.length).toBe(32);
    expect(r.backendKey?.processId).toBeGreaterThan(0);
    const q = await simpleQuery(conn, 'select current_user, name from items');
    expect(q).toEqual({ rows: [['alice', 'espresso']], error: null });
  });

  it('a protocol 3.0 client gets a 4-byte cancel key (3.0 clients reject longer keys)', async () => {
    const { conn, r } = await login({ user: 'alice', version: V3_0 });
    expect(r.error).toBeNull();
    expect(r.negotiate).toBeNull();
    expect(r.backendKey?.secretKey.length).toBe(4);
    expect((await simpleQuery(conn, 'select 1')).rows).toEqual([['1']]);
  });

  it('a client greasing with 3.9999 and two _pq_ options is negotiated down to 3.2 naming exactly those options, then logs in', async () => {
    const { conn, r } = await login({
      user: 'alice',
      version: V3_9999,
      parameters: [
        ['_pq_.test_option', '1'],
        ['_pq_.other', 'x'],
      ],
    });
    expect(r.error).toBeNull();
    expect(r.negotiate?.version).toBe(V3_2);
    expect([...(r.negotiate?.unrecognised ?? [])].sort()).toEqual(['_pq_.other', '_pq_.test_option']);
    // NegotiateProtocolVersion comes before any authentication request, as PostgreSQL sends it.
    expect(r.messages[0]?.type).toBe('v');
    expect(r.backendKey?.secretKey.length).toBe(32); // the session really speaks 3.2
    expect((await simpleQuery(conn, 'select name from items')).rows).toEqual([['espresso']]);
  });

  it('a 3.0 client with one _pq_ option gets NegotiateProtocolVersion 3.0 naming that option and still logs in', async () => {
    const { conn, r } = await login({ user: 'alice', version: V3_0, parameters: [['_pq_.only_this', 'on']] });
    expect(r.error).toBeNull();
    expect(r.negotiate).toEqual({ version: V3_0, unrecognised: ['_pq_.only_this'] });
    expect(r.backendKey?.secretKey.length).toBe(4);
    expect((await simpleQuery(conn, 'select 2')).rows).toEqual([['2']]);
  });

  it.each([
    ['2.0', 2 << 16],
    ['4.0', 4 << 16],
    ['1.0', 1 << 16],
  ])(
    'protocol %s (v3-shaped startup body) is refused with SQLSTATE 0A000 before authentication',
    async (_name, version) => {
      const { r } = await login({ user: 'alice', version });
      expect(r.error?.get('S')).toBe('FATAL');
      expect(r.error?.get('C')).toBe('0A000');
      expect(r.error?.get('M')).toMatch(/^unsupported frontend protocol .*\(request id [0-9a-f]{16}\)$/);
      expect(r.messages.map((m) => m.type)).toEqual(['E']); // no authentication request was ever sent
    },
  );

  // PostgreSQL checks the major version before parsing parameters (ProcessStartupPacket), so a real v2 client is
  // told "unsupported frontend protocol" (0A000) rather than that its (v2-layout) packet is malformed.
  it('a genuine protocol 2.0 startup packet (fixed 296-byte layout) is refused with 0A000, not a parse error', async () => {
    // Protocol 2 StartupPacket: version, database[64], user[32], options[64], unused[64], tty[64] (PG 7.3 docs).
    const packet = Buffer.alloc(296);
    packet.writeInt32BE(296, 0);
    packet.writeInt32BE(2 << 16, 4);
    packet.write('app', 8);
    packet.write('alice', 72);
    const conn = await RawPgConnection.connect(port);
    open.push(conn);
    conn.write(packet);
    const error = firstError(await conn.drain());
    expect(error?.get('S')).toBe('FATAL');
    expect(error?.get('C')).toBe('0A000');
  });

  it('a startup without a user parameter is refused with SQLSTATE 28000', async () => {
    const { r } = await login({ version: V3_0 });
    expect(r.error?.get('C')).toBe('28000');
    expect(r.error?.get('M')).toMatch(/no PostgreSQL user name specified/);
  });

  it('startup parameters (application_name, search_path, DateStyle) reach the backend session', async () => {
    const { conn, r } = await login({
      user: 'alice',
      parameters: [
        ['application_name', 'gh-protocol-test'],
        ['search_path', 'gh_missing_schema, public'],
        ['DateStyle', 'SQL, DMY'],
      ],
    });
    expect(r.error).toBeNull();
    // The backend reports the values it adopted (ParameterStatus is relayed verbatim) … application_name is the
    // client's with the audit request id appended (identity propagation, docs/audit.md).
    const app = r.parameters.get('application_name');
    expect(app).toMatch(/^gh-protocol-test \[gh:[0-9a-f]{16}\]$/);
    expect(r.parameters.get('DateStyle')).toBe('SQL, DMY');
    // … and the session really runs with them.
    expect((await simpleQuery(conn, "select date '2024-03-01'::text")).rows).toEqual([['01/03/2024']]);
    expect((await simpleQuery(conn, 'show application_name')).rows).toEqual([[app]]);
    expect((await simpleQuery(conn, 'show search_path')).rows).toEqual([['gh_missing_schema, public']]);
    expect((await simpleQuery(conn, 'show DateStyle')).rows).toEqual([['SQL, DMY']]);
  });
});
