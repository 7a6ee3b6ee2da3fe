// Password rotation with a grace period, judged by the gateway's injected clock (no sleeping).
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';

const INSTANCE = 'rotation';
const HOUR_MS = 3_600_000;

describe('password rotation through the gateway', () => {
  let t: TestGateway;
  let port: number;
  let ca: string;

  beforeAll(async () => {
    t = await startTestGateway();
    port = await t.createInstance(INSTANCE);
    ca = readFileSync(t.caFile, 'utf8');
  });
  afterEach(() => {
    if (t) t.clock.offsetMs = 0;
  });
  afterAll(async () => t?.stop());

  /** 'ok' when the login works and runs as `user`, otherwise the SQLSTATE (or message) of the refusal. */
  async function login(user: string, password: string): Promise<string> {
    const client = new pg.Client({
      host: 'localhost',
      port,
      user,
      password,
      database: 'app',
      ssl: { ca, servername: 'localhost' },
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ u: string }>('select current_user AS u');
      return rows[0]?.u === user ? 'ok' : `wrong user ${rows[0]?.u}`;
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code === '28P01')
        expect(err.message).toMatch(`password authentication failed for user "${user}"`);
      return err.code ?? err.message;
    } finally {
      await client.end().catch(() => {});
    }
  }

  const rotate = (username: string, password: string, graceSeconds: number) =>
    t.gateway.controlPlane.rotatePassword({ instance: INSTANCE, username, password, graceSeconds });

  const at = (offsetMs: number) => {
    t.clock.offsetMs = offsetMs;
  };

  it('during the grace period both the old and the new password log in', async () => {
    await t.createUser(INSTANCE, 'rita', 'password-A-rita');
    await rotate('rita', 'password-B-rita', 3600);
    expect(await login('rita', 'password-A-rita')).toBe('ok');
    expect(await login('rita', 'password-B-rita')).toBe('ok');
    expect(await login('rita', 'password-C-rita')).toBe('28P01');
  });

  it('once the grace period has passed the old password is refused with 28P01 and the new one works', async () => {
    await t.createUser(INSTANCE, 'otto', 'password-A-otto');
    await rotate('otto', 'password-B-otto', 3600);
    at(HOUR_MS - 120_000); // just inside the grace period
    expect(await login('otto', 'password-A-otto')).toBe('ok');
    at(2 * HOUR_MS);
    expect(await login('otto', 'password-A-otto')).toBe('28P01');
    expect(await login('otto', 'password-B-otto')).toBe('ok');
  });

  it('PreviousPasswordValidUntil is shown during a 15 s grace and no longer once it has passed', async () => {
    await t.createUser(INSTANCE, 'gus', 'password-A-gus');
    const rotated = await rotate('gus', 'password-B-gus', 15);
    const until = rotated.user.PreviousPasswordValidUntil;
    expect(Date.parse(until ?? '') - Date.now()).toBeGreaterThan(10_000);
    const listed = async () =>
      (await t.gateway.controlPlane.listDbUsers(INSTANCE)).find((u) => u.Username === 'gus');
    expect((await listed())?.PreviousPasswordValidUntil).toBe(until);
    at(14_000); // just inside
    expect((await listed())?.PreviousPasswordValidUntil).toBe(until);
    at(16_000); // the grace window has ended: the old password is refused, and not shown either
    expect(await login('gus', 'password-A-gus')).toBe('28P01');
    expect((await listed())?.PreviousPasswordValidUntil).toBeUndefined();
    expect(await login('gus', 'password-B-gus')).toBe('ok');
  });

  it('a rotation with graceSeconds 0 refuses the old password immediately', async () => {
    await t.createUser(INSTANCE, 'zara', 'password-A-zara');
    const result = await rotate('zara', 'password-B-zara', 0);
    expect(result.user.PreviousPasswordValidUntil).toBeUndefined();
    expect(await login('zara', 'password-A-zara')).toBe('28P01');
    expect(await login('zara', 'password-B-zara')).toBe('ok');
  });

  // db-users.ts: "the previous one keeps working for graceSeconds"; rotatePasswordRows caps older graced
  // passwords at the new grace end but never extends them. So a second rotation inside a grace period leaves
  // THREE passwords valid for a while (not only the newest two), each ending at its own time.
  it('a second rotation during a grace period keeps each older password until its own grace end', async () => {
    const start = Date.now();
    await t.createUser(INSTANCE, 'nina', 'password-A-nina');
    await rotate('nina', 'password-B-nina', 3600); // A valid until ~+1 h
    const second = await rotate('nina', 'password-C-nina', 7200); // B valid until ~+2 h, A unchanged
    const previousUntil = Date.parse(second.user.PreviousPasswordValidUntil ?? '');
    expect(previousUntil - start).toBeGreaterThanOrEqual(2 * HOUR_MS - 1000);
    expect(previousUntil - Date.now()).toBeLessThanOrEqual(2 * HOUR_MS + 1000);

    expect(await login('nina', 'password-A-nina')).toBe('ok');
    expect(await login('nina', 'password-B-nina')).toBe('ok');
    expect(await login('nina', 'password-C-nina')).toBe('ok');

    at(1.5 * HOUR_MS);
    expect(await login('nina', 'password-A-nina')).toBe('28P01');
    expect(await login('nina', 'password-B-nina')).toBe('ok');
    expect(await login('nina', 'password-C-nina')).toBe('ok');

    at(2.5 * HOUR_MS);
    expect(await login('nina', 'password-B-nina')).toBe('28P01');
    expect(await login('nina', 'password-C-nina')).toBe('ok');
  });

  it('a later rotation with a shorter grace shortens the grace of every older password', async () => {
    await t.createUser(INSTANCE, 'kurt', 'password-A-kurt');
    await rotate('kurt', 'password-B-kurt', 7200); // A until ~+2 h
    await rotate('kurt', 'password-C-kurt', 600); // A and B capped at ~+10 min
    expect(await login('kurt', 'password-A-kurt')).toBe('ok');
    at(30 * 60_000);
    expect(await login('kurt', 'password-A-kurt')).toBe('28P01');
    expect(await login('kurt', 'password-B-kurt')).toBe('28P01');
    expect(await login('kurt', 'password-C-kurt')).toBe('ok');
  });

  it('a rotation with graceSeconds 0 during a grace period ends every older password at once', async () => {
    await t.createUser(INSTANCE, 'lena', 'password-A-lena');
    await rotate('lena', 'password-B-lena', 3600);
    await rotate('lena', 'password-C-lena', 0);
    expect(await login('lena', 'password-A-lena')).toBe('28P01');
    expect(await login('lena', 'password-B-lena')).toBe('28P01');
    expect(await login('lena', 'password-C-lena')).toBe('ok');
  });
});
