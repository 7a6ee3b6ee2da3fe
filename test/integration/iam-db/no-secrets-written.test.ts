// No secret is written anywhere Gatehouse writes: after password logins (right and wrong), a rotation, token
// logins (valid and tampered), management calls with a secret access key and an STS session, the log lines (debug
// and up), the audit events and every row of every state-store table are searched for each secret, as text, hex
// and base64. Sealed secrets (backend secrets, access key secrets) must only exist in their sealed form.
import { randomBytes } from 'node:crypto';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendSecretAad } from '../../../src/control-plane/db-users.js';
import { CONNECT_ANYWHERE } from '../../support/gateway.js';
import { tryLogin } from '../../support/pg-login.js';
import { type IamDbGateway, startIamDbGateway } from './support/iam-db-harness.js';

describe('no secret is written to logs, audit events or the store', () => {
  let h: IamDbGateway;
  let port: number;
  const secrets = new Map<string, string>();

  /** Every string of every table in the store's public schema, one row per line, as PostgreSQL prints it. */
  async function storeText(): Promise<string> {
    const pool = h.t.gateway.store.pool;
    const tables = await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    expect(tables.rows.length).toBeGreaterThan(10);
    const parts: string[] = [];
    for (const { table_name } of tables.rows) {
      const rows = await pool.query(`SELECT t::text AS row FROM ${pg.escapeIdentifier(table_name)} t`);
      for (const r of rows.rows as { row: string }[]) parts.push(`${table_name}: ${r.row}`);
    }
    return parts.join('\n');
  }

  const forms = (secret: string) => [
    secret,
    Buffer.from(secret).toString('hex'),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ];

  beforeAll(async () => {
    h = await startIamDbGateway();
    port = await h.t.createInstance('vault', { iam: true });
    const password = `pw-${randomBytes(12).toString('hex')}`;
    await h.t.createUser('vault', 'alice', password);
    await h.t.createIamDbUser('vault', 'app_iam');
    const key = await h.t.createIamPrincipal('carol', CONNECT_ANYWHERE);
    secrets.set('password', password);
    secrets.set('secret access key', key.secretAccessKey);

    const login = async (user: string, pass: string) => {
      const r = await tryLogin({ port, user, password: pass, database: 'app', ca: h.ca });
      return r.message === undefined ? 'ok' : r.message;
    };
    expect(await login('alice', password)).toBe('ok');
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    secrets.set('wrong password', wrong);
    expect(await login('alice', wrong)).toMatch(/password authentication failed/);

    const rotated = `pw-${randomBytes(12).toString('hex')}`;
    secrets.set('rotated password', rotated);
    await h.t.gateway.controlPlane.rotatePassword({
      instance: 'vault',
      username: 'alice',
      password: rotated,
      graceSeconds: 0,
    });
    expect(await login('alice', rotated)).toBe('ok');

    const token = await new Signer({
      hostname: 'localhost',
      port,
      username: 'app_iam',
      region: h.region,
      credentials: key,
    }).getAuthToken();
    secrets.set('token', token);
    const signature = /X-Amz-Signature=([0-9a-f]{64})/.exec(token)?.[1] as string;
    secrets.set('token signature', signature);
    expect(await login('app_iam', token)).toBe('ok');
    const tampered = token.replace(
      /X-Amz-Signature=[0-9a-f]/,
      (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`,
    );
    secrets.set('tampered token signature', /X-Amz-Signature=([0-9a-f]{64})/.exec(tampered)?.[1] as string);
    expect(await login('app_iam', tampered)).toMatch(/signature does not match/);

    // Management calls signed with the secret key; an STS session's secret and token.
    expect((await h.sts(key).send(new GetCallerIdentityCommand({}))).Arn).toMatch(/user\/carol$/);

    // The backend secrets Gatehouse holds for alice and app_iam, unsealed here only to search for them.
    const rows = await h.t.gateway.store.pool.query<{ username: string; backend_secret: Buffer }>(
      "SELECT u.username, u.backend_secret FROM gh_db_users u JOIN gh_instances i ON i.id = u.instance_id WHERE i.identifier = 'vault'",
    );
    expect(rows.rows).toHaveLength(2);
    for (const r of rows.rows) {
      const plain = h.t.gateway.box.open(
        r.backend_secret,
        backendSecretAad({ identifier: 'vault' }, r.username),
      );
      secrets.set(`backend secret of ${r.username}`, plain.toString('utf8'));
    }
  });
  afterAll(async () => h?.t.stop());

  it('the scenario produced what is searched: log lines, audit events of every kind it caused, store rows', async () => {
    expect(h.logLines.length).toBeGreaterThanOrEqual(10);
    expect(h.logLines.some((l) => l.includes('session started'))).toBe(true);
    const kinds = new Set(h.events.map((e) => e.type));
    expect(kinds).toContain('db.connect');
    expect(kinds).toContain('db.disconnect');
    expect((await storeText()).length).toBeGreaterThan(1000);
  });

  it('no secret, in any encoding, in the log lines, the audit events or the store', async () => {
    const places = {
      logs: h.logLines.join('\n'),
      audit: JSON.stringify(h.events),
      store: await storeText(),
    };
    const found: string[] = [];
    for (const [what, secret] of secrets) {
      expect(secret.length, what).toBeGreaterThanOrEqual(20);
      for (const form of forms(secret)) {
        for (const [where, text] of Object.entries(places)) {
          if (text.includes(form)) found.push(`${what} in ${where}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('the search would find a secret that was written (the check can fail)', async () => {
    const leaked = `leak-${randomBytes(12).toString('hex')}`;
    await h.t.gateway.store.pool.query(
      "UPDATE gh_instances SET endpoint_aliases = array_append(endpoint_aliases, $1) WHERE identifier = 'vault'",
      [leaked],
    );
    expect((await storeText()).includes(leaked)).toBe(true);
    await h.t.gateway.store.pool.query(
      "UPDATE gh_instances SET endpoint_aliases = array_remove(endpoint_aliases, $1) WHERE identifier = 'vault'",
      [leaked],
    );
  });
});
