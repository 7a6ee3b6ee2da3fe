import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialLookup } from '../../../src/iam/sts.js';
import { awsError, type Cluster, type Harness, startCluster, userCaller } from './harness.js';

let cluster: Cluster;
let h: Harness;
beforeAll(async () => {
  cluster = await startCluster('iam-keys');
  h = await cluster.harness();
  await h.iam.createUser({ UserName: 'erin' });
  await h.iam.createUser({ UserName: 'frank' });
});
afterAll(async () => cluster?.stop());

describe('IAM access keys', () => {
  it('creates an AKIA key with a 40-character secret shown once; listing never shows it', async () => {
    const { AccessKey } = await h.iam.createAccessKey({ UserName: 'erin' }, userCaller('x'));
    expect(AccessKey.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(AccessKey.SecretAccessKey).toHaveLength(40);
    expect(AccessKey).toMatchObject({
      UserName: 'erin',
      Status: 'Active',
      CreateDate: '2025-01-01T00:00:00.000Z',
    });
    const listed = await h.iam.listAccessKeys({ UserName: 'erin' }, userCaller('x'));
    expect(listed.AccessKeyMetadata).toEqual([
      {
        UserName: 'erin',
        AccessKeyId: AccessKey.AccessKeyId,
        Status: 'Active',
        CreateDate: AccessKey.CreateDate,
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(AccessKey.SecretAccessKey);
  });

  it('the secret is sealed at rest: the raw row holds neither it nor any part of it, and it opens only under its own key id', async () => {
    const { AccessKey } = await h.iam.createAccessKey({ UserName: 'frank' }, userCaller('x'));
    const raw = await h.store.pool.query('SELECT * FROM gh_access_keys WHERE access_key_id = $1', [
      AccessKey.AccessKeyId,
    ]);
    const row = raw.rows[0] as Record<string, unknown>;
    expect(row['principal_arn']).toBe('arn:aws:iam::123456789012:user/frank');
    const dump = JSON.stringify(row) + (row['secret'] as Buffer).toString('latin1');
    expect(dump).not.toContain(AccessKey.SecretAccessKey);
    expect(dump).not.toContain(AccessKey.SecretAccessKey.slice(0, 12));
    expect(h.box.open(row['secret'] as Buffer, `access-key:${AccessKey.AccessKeyId}`).toString()).toBe(
      AccessKey.SecretAccessKey,
    );
    expect(() => h.box.open(row['secret'] as Buffer, 'access-key:AKIAOTHEROTHEROTHER')).toThrow();

    const found = await createCredentialLookup(h.store, h.box, h.clock).findAccessKey(AccessKey.AccessKeyId);
    expect(found).toMatchObject({
      accessKeyId: AccessKey.AccessKeyId,
      secretAccessKey: AccessKey.SecretAccessKey,
      status: 'Active',
      principalArn: 'arn:aws:iam::123456789012:user/frank',
    });
    expect(found?.userId).toMatch(/^AIDA/);
    expect(found?.sessionTokenHash).toBeUndefined();
  });

  it('a third key for one user is LimitExceeded (409), and deleting one makes room again', async () => {
    await h.iam.createAccessKey({ UserName: 'erin' }, userCaller('x')); // erin now has 2
    const e = await awsError(h.iam.createAccessKey({ UserName: 'erin' }, userCaller('x')), 'LimitExceeded');
    expect(e.message).toBe('Cannot exceed quota for AccessKeysPerUser: 2');
    expect(e.spec.http).toBe(409);
    const [first] = (await h.iam.listAccessKeys({ UserName: 'erin' }, userCaller('x'))).AccessKeyMetadata;
    await h.iam.deleteAccessKey({ UserName: 'erin', AccessKeyId: first!.AccessKeyId }, userCaller('x'));
    await h.iam.createAccessKey({ UserName: 'erin' }, userCaller('x'));
    expect(
      (await h.iam.listAccessKeys({ UserName: 'erin' }, userCaller('x'))).AccessKeyMetadata,
    ).toHaveLength(2);
  });

  it('concurrent creates never exceed the quota', async () => {
    await h.iam.createUser({ UserName: 'racer' });
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => h.iam.createAccessKey({ UserName: 'racer' }, userCaller('x'))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(
      (await h.iam.listAccessKeys({ UserName: 'racer' }, userCaller('x'))).AccessKeyMetadata,
    ).toHaveLength(2);
  });

  it('UserName omitted means the calling user', async () => {
    await h.iam.createUser({ UserName: 'gina' });
    const { AccessKey } = await h.iam.createAccessKey({}, userCaller('gina'));
    expect(AccessKey.UserName).toBe('gina');
    expect(
      (await h.iam.listAccessKeys({}, userCaller('gina'))).AccessKeyMetadata.map((k) => k.AccessKeyId),
    ).toEqual([AccessKey.AccessKeyId]);
  });

  it('updateAccessKey deactivates (the lookup then reports Inactive); unknown or foreign keys are NoSuchEntity', async () => {
    const { AccessKey } = await h.iam.createAccessKey({}, userCaller('gina'));
    await h.iam.updateAccessKey(
      { AccessKeyId: AccessKey.AccessKeyId, Status: 'Inactive' },
      userCaller('gina'),
    );
    const lookup = createCredentialLookup(h.store, h.box, h.clock);
    expect((await lookup.findAccessKey(AccessKey.AccessKeyId))?.status).toBe('Inactive');
    // Another user's key cannot be touched through this user's name.
    const e = await awsError(
      h.iam.updateAccessKey(
        { UserName: 'erin', AccessKeyId: AccessKey.AccessKeyId, Status: 'Active' },
        userCaller('x'),
      ),
      'NoSuchEntity',
    );
    expect(e.message).toBe(`The Access Key with id ${AccessKey.AccessKeyId} cannot be found.`);
    await awsError(
      h.iam.deleteAccessKey({ UserName: 'erin', AccessKeyId: AccessKey.AccessKeyId }, userCaller('x')),
      'NoSuchEntity',
    );
    await awsError(
      h.iam.updateAccessKey(
        { AccessKeyId: AccessKey.AccessKeyId, Status: 'Paused' as 'Active' },
        userCaller('gina'),
      ),
      'ValidationError',
    );
    await h.iam.deleteAccessKey({ AccessKeyId: AccessKey.AccessKeyId }, userCaller('gina'));
    expect(await lookup.findAccessKey(AccessKey.AccessKeyId)).toBeNull();
  });

  it('keys of an unknown user are NoSuchEntity', async () => {
    await awsError(h.iam.createAccessKey({ UserName: 'nobody' }, userCaller('x')), 'NoSuchEntity');
    await awsError(h.iam.listAccessKeys({ UserName: 'nobody' }, userCaller('x')), 'NoSuchEntity');
  });
});
