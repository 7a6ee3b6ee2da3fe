import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../src/core/errors.js';
import { loadMasterKey, loadMasterKeyDetailed } from '../../../src/core/master-key.js';
import { createSecretBox } from '../../../src/core/secret-box.js';
import { verifyMasterKey } from '../../../src/store/meta-repo.js';
import { migrate } from '../../../src/store/migrate.js';
import { openStore, type Store } from '../../../src/store/pool.js';
import { startEmbeddedPostgres, type TestPostgres } from '../../support/embedded-pg.js';

/** The GatehouseError a promise rejects with (failing the test if it resolves or throws something else). */
async function caught(p: Promise<unknown>): Promise<GatehouseError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GatehouseError);
  return e as GatehouseError;
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'gh-mk-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('loadMasterKey', () => {
  const key = randomBytes(32);

  it('takes GATEHOUSE_MASTER_KEY in base64, base64url or hex over any key file', async () => {
    const keyFile = join(await tempDir(), 'master.key');
    await writeFile(keyFile, randomBytes(32).toString('base64'));
    for (const encoded of [
      key.toString('base64'),
      key.toString('base64url'),
      key.toString('hex'),
      ` ${key.toString('hex')}\n`,
    ]) {
      const got = await loadMasterKey({ env: { GATEHOUSE_MASTER_KEY: encoded }, keyFile });
      expect(got.equals(key)).toBe(true);
    }
  });

  it('an env key that is not exactly 32 bytes of base64 or hex is GH_MASTER_KEY_INVALID, never a fallback', async () => {
    const keyFile = join(await tempDir(), 'master.key');
    await writeFile(keyFile, key.toString('base64'));
    for (const bad of [
      '',
      'not a key!',
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('hex'),
      'ab'.repeat(31),
    ]) {
      expect((await caught(loadMasterKey({ env: { GATEHOUSE_MASTER_KEY: bad }, keyFile }))).code).toBe(
        'GH_MASTER_KEY_INVALID',
      );
    }
  });

  it('creates a 0600 key file in a 0700 directory when asked, and never overwrites it', async () => {
    const dir = join(await tempDir(), 'nested', 'home');
    const keyFile = join(dir, 'master.key');
    const first = await loadMasterKeyDetailed({ env: {}, keyFile, create: true });
    expect(first.source).toBe('created');
    expect(first.key.length).toBe(32);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const written = await readFile(keyFile, 'utf8');
    expect(Buffer.from(written.trim(), 'base64').equals(first.key)).toBe(true);

    const second = await loadMasterKeyDetailed({ env: {}, keyFile, create: true });
    expect(second.source).toBe('file');
    expect(second.key.equals(first.key)).toBe(true);
    expect(await readFile(keyFile, 'utf8')).toBe(written);
  });

  it('a missing key file without create is GH_MASTER_KEY_MISSING naming the path', async () => {
    const keyFile = join(await tempDir(), 'absent.key');
    const e = await caught(loadMasterKey({ env: {}, keyFile }));
    expect(e.code).toBe('GH_MASTER_KEY_MISSING');
    expect(e.message).toContain(keyFile);
    await expect(stat(keyFile)).rejects.toThrow();
  });

  it('a malformed key file is GH_MASTER_KEY_INVALID and is left as it was', async () => {
    const keyFile = join(await tempDir(), 'master.key');
    await writeFile(keyFile, 'short', { mode: 0o600 });
    expect((await caught(loadMasterKey({ env: {}, keyFile, create: true }))).code).toBe(
      'GH_MASTER_KEY_INVALID',
    );
    expect(await readFile(keyFile, 'utf8')).toBe('short');
  });

  it('a key file readable by group or others still loads, with a warning', async () => {
    const keyFile = join(await tempDir(), 'master.key');
    await writeFile(keyFile, key.toString('hex'));
    await chmod(keyFile, 0o644);
    const loaded = await loadMasterKeyDetailed({ env: {}, keyFile });
    expect(loaded.key.equals(key)).toBe(true);
    expect(loaded.warnings.join()).toMatch(/0644.*chmod 600/);
    await chmod(keyFile, 0o600);
    expect((await loadMasterKeyDetailed({ env: {}, keyFile })).warnings).toEqual([]);
  });
});

describe('verifyMasterKey', () => {
  let server: TestPostgres;
  let store: Store;
  beforeAll(async () => {
    server = await startEmbeddedPostgres({ name: 'master-key' });
    store = await openStore(server.url);
    await migrate(store);
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  async function checkRow(): Promise<unknown> {
    const res = await store.pool.query("SELECT value FROM gh_meta WHERE key = 'master_key_check'");
    return res.rows[0]?.value;
  }

  it('records a canary on first run, accepts the same key later, and refuses another key without touching the row', async () => {
    const rightKey = randomBytes(32);
    const right = createSecretBox(rightKey);
    await verifyMasterKey(store, right);
    const row = await checkRow();
    expect(row).toMatchObject({ keyId: right.keyId, canary: expect.any(String) });

    // A later start with the same key (a new box, as after a restart) passes and rewrites nothing.
    await verifyMasterKey(store, createSecretBox(Buffer.from(rightKey)));
    expect(await checkRow()).toEqual(row);
    const wrong = createSecretBox(randomBytes(32));
    const e = await caught(verifyMasterKey(store, wrong));
    expect(e.code).toBe('GH_MASTER_KEY_WRONG');
    expect(e.params).toEqual({ keyId: right.keyId, actualKeyId: wrong.keyId });
    expect(await checkRow()).toEqual(row);
  });

  it('a canary that was tampered with is refused even under the key id of the right key', async () => {
    const box = createSecretBox(randomBytes(32));
    await store.pool.query("DELETE FROM gh_meta WHERE key = 'master_key_check'");
    await verifyMasterKey(store, box);
    const forged = {
      keyId: box.keyId,
      canary: createSecretBox(randomBytes(32)).seal('gatehouse-master-key-check').toString('base64'),
    };
    await store.pool.query("UPDATE gh_meta SET value = $1 WHERE key = 'master_key_check'", [
      JSON.stringify(forged),
    ]);
    expect((await caught(verifyMasterKey(store, box))).code).toBe('GH_MASTER_KEY_WRONG');
    expect(await checkRow()).toEqual(forged);
  });
});
