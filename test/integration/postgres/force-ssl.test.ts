// force_ssl: plaintext logins are refused with 28000 naming the instance; TLS works; changes apply without restart.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { conninfo, runPsql } from '../../support/psql.js';
import { requireBinary } from '../../support/require-binary.js';

const psql = requireBinary('psql');
const INSTANCE = 'secure';

/** The client-facing GH_SSL_REQUIRED text, with its request id. */
const SSL_REQUIRED = new RegExp(`^instance "${INSTANCE}" requires TLS: .*\\(request id [0-9a-f]{16}\\)$`);

describe('force_ssl through the gateway', () => {
  let t: TestGateway;
  let port: number;
  let password: string;
  let ca: string;

  beforeAll(async () => {
    t = await startTestGateway();
    port = await t.createInstance(INSTANCE, { forceSsl: true });
    password = await t.createUser(INSTANCE, 'sam');
    ca = readFileSync(t.caFile, 'utf8');
  });
  afterAll(async () => t?.stop());

  /** 'ok' when the login works as sam, else the refusal; `tls` false sends the startup in plaintext. */
  async function pgLogin(tls: boolean): Promise<{ code?: string; message: string }> {
    const client = new pg.Client({
      host: 'localhost',
      port,
      user: 'sam',
      password,
      database: 'app',
      ssl: tls ? { ca, servername: 'localhost' } : false,
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ u: string }>('select current_user AS u');
      return { message: rows[0]?.u === 'sam' ? 'ok' : `wrong user ${rows[0]?.u}` };
    } catch (e) {
      const err = e as Error & { code?: string };
      return { ...(err.code ? { code: err.code } : {}), message: err.message };
    } finally {
      await client.end().catch(() => {});
    }
  }

  const psqlLogin = (sslmode: 'disable' | 'verify-full') =>
    runPsql(
      conninfo({ host: 'localhost', port, user: 'sam', dbname: 'app', sslmode, sslrootcert: t.caFile }),
      'select current_user',
      { bin: psql!, password },
    );

  it('node-postgres without TLS is refused with 28000 and a message naming the instance', async () => {
    const r = await pgLogin(false);
    expect(r.code).toBe('28000');
    expect(r.message).toMatch(SSL_REQUIRED);
  });

  it.skipIf(!psql)('psql with sslmode=disable is refused with a message naming the instance', async () => {
    const r = await psqlLogin('disable');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/FATAL: {2}instance "secure" requires TLS: .*\(request id [0-9a-f]{16}\)/);
  });

  it('the same user logs in over verified TLS (node-postgres and psql)', async () => {
    expect(await pgLogin(true)).toEqual({ message: 'ok' });
    if (psql) {
      const r = await psqlLogin('verify-full');
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('sam');
    }
  });

  it('turning force_ssl off and on again applies to new connections without a restart', async () => {
    try {
      const off = await t.gateway.controlPlane.modifyInstance({ identifier: INSTANCE, forceSsl: false });
      expect(off.ForceSsl).toBe(false);
      expect(await pgLogin(false)).toEqual({ message: 'ok' });
      if (psql) expect((await psqlLogin('disable')).stdout.trim()).toBe('sam');

      await t.gateway.controlPlane.modifyInstance({ identifier: INSTANCE, forceSsl: true });
      const refused = await pgLogin(false);
      expect(refused.code).toBe('28000');
      expect(refused.message).toMatch(SSL_REQUIRED);
      expect(await pgLogin(true)).toEqual({ message: 'ok' });
    } finally {
      await t.gateway.controlPlane.modifyInstance({ identifier: INSTANCE, forceSsl: true });
    }
  });
});
