import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizePrincipal, compilePrincipal } from '../../../src/iam/principal-authorize.js';
import {
  createPrincipalCache,
  type LoadedPrincipal,
  loadPrincipal,
} from '../../../src/iam/principal-policies.js';
import { evaluate } from '../../../src/policy/index.js';
import { allow, type Cluster, type Harness, startCluster, userCaller } from './harness.js';

let cluster: Cluster;
let h: Harness;
let boundaryArn: string;
let groupPolicyArn: string;
beforeAll(async () => {
  cluster = await startCluster('iam-principals');
  h = await cluster.harness();
  await h.iam.createUser({ UserName: 'pat', Tags: [{ Key: 'team', Value: 'data' }] });
  await h.iam.putPrincipalPolicy('User', 'pat', { PolicyName: 'own', PolicyDocument: allow('s3:GetObject') });
  const own = await h.iam.createPolicy({
    PolicyName: 'pat-managed',
    PolicyDocument: allow('rds-db:connect'),
  });
  await h.iam.attachPrincipalPolicy('User', 'pat', { PolicyArn: own.Policy.Arn });
  await h.iam.createGroup({ GroupName: 'analysts' });
  await h.iam.addUserToGroup({ GroupName: 'analysts', UserName: 'pat' });
  await h.iam.putPrincipalPolicy('Group', 'analysts', {
    PolicyName: 'group-inline',
    PolicyDocument: allow('iam:GetUser'),
  });
  const grp = await h.iam.createPolicy({
    PolicyName: 'group-managed',
    PolicyDocument: allow('s3:PutObject'),
  });
  groupPolicyArn = grp.Policy.Arn;
  await h.iam.attachPrincipalPolicy('Group', 'analysts', { PolicyArn: groupPolicyArn });
  // The boundary allows S3 only: rds-db:connect and iam:GetUser are granted but not within it.
  const b = await h.iam.createPolicy({ PolicyName: 'boundary', PolicyDocument: allow('s3:*') });
  boundaryArn = b.Policy.Arn;
  await h.iam.putUserPermissionsBoundary({ UserName: 'pat', PermissionsBoundary: boundaryArn });
});
afterAll(async () => cluster?.stop());

function decide(p: LoadedPrincipal, action: string): string {
  return authorizePrincipal(compilePrincipal(p), { action, resource: '*', context: {} }, evaluate).decision;
}

describe('loadPrincipal', () => {
  it("gathers a user's inline and attached policies, those of its groups, its boundary and tags", async () => {
    const p = await loadPrincipal(h.store, 'arn:aws:iam::123456789012:user/pat');
    expect(p).not.toBeNull();
    expect(p!.identity.map((x) => [x.source, x.name, x.arn])).toEqual([
      ['user', 'own', undefined],
      ['user', 'pat-managed', 'arn:aws:iam::123456789012:policy/pat-managed'],
      ['group:analysts', 'group-inline', undefined],
      ['group:analysts', 'group-managed', groupPolicyArn],
    ]);
    expect(p!.boundaryArn).toBe(boundaryArn);
    expect(p!.boundary?.statements[0]?.action).toEqual(['s3:*']);
    expect(p!.principal).toEqual({
      arn: 'arn:aws:iam::123456789012:user/pat',
      accountId: '123456789012',
      username: 'pat',
      userid: expect.stringMatching(/^AIDA/),
      tags: { team: 'data' },
    });
  });

  it('the boundary caps what the identity policies grant', async () => {
    const p = (await loadPrincipal(h.store, 'arn:aws:iam::123456789012:user/pat'))!;
    expect(decide(p, 's3:GetObject')).toBe('allowed');
    expect(decide(p, 's3:PutObject')).toBe('allowed'); // via the group's managed policy
    expect(decide(p, 'rds-db:connect')).toBe('implicitDeny'); // granted, but outside the boundary
    expect(decide(p, 's3:DeleteObject')).toBe('implicitDeny'); // within the boundary, never granted
  });

  it('uses the default version of managed policies', async () => {
    await h.iam.createPolicyVersion({
      PolicyArn: groupPolicyArn,
      PolicyDocument: allow('s3:ListBucket'),
      SetAsDefault: false,
    });
    let p = (await loadPrincipal(h.store, 'arn:aws:iam::123456789012:user/pat'))!;
    expect(decide(p, 's3:ListBucket')).toBe('implicitDeny');
    await h.iam.setDefaultPolicyVersion({ PolicyArn: groupPolicyArn, VersionId: 'v2' });
    p = (await loadPrincipal(h.store, 'arn:aws:iam::123456789012:user/pat'))!;
    expect(decide(p, 's3:ListBucket')).toBe('allowed');
    expect(decide(p, 's3:PutObject')).toBe('implicitDeny');
  });

  it('loads by access key id as well, and answers null for unknown principals', async () => {
    const { AccessKey } = await h.iam.createAccessKey({ UserName: 'pat' }, userCaller('x'));
    const byKey = await loadPrincipal(h.store, AccessKey.AccessKeyId);
    expect(byKey?.principal.arn).toBe('arn:aws:iam::123456789012:user/pat');
    expect(await loadPrincipal(h.store, 'arn:aws:iam::123456789012:user/ghost')).toBeNull();
    expect(await loadPrincipal(h.store, 'AKIAZZZZZZZZZZZZZZZZ')).toBeNull();
    expect(await loadPrincipal(h.store, 'not an arn')).toBeNull();
  });
});

describe('createPrincipalCache', () => {
  it('serves the cached answer until invalidate(), then reloads the change', async () => {
    await h.iam.createUser({ UserName: 'quinn' });
    const cache = createPrincipalCache(h.store);
    const arn = 'arn:aws:iam::123456789012:user/quinn';
    expect((await cache.load(arn))?.identity).toEqual([]);
    await h.iam.putPrincipalPolicy('User', 'quinn', { PolicyName: 'new', PolicyDocument: allow('s3:*') });
    expect((await cache.load(arn))?.identity).toEqual([]); // stale until told
    cache.invalidate();
    expect((await cache.load(arn))?.identity.map((p) => p.name)).toEqual(['new']);
    expect(cache.size).toBe(1);
  });

  it('does not cache unknown principals, so a user created later is found', async () => {
    const cache = createPrincipalCache(h.store);
    const arn = 'arn:aws:iam::123456789012:user/late';
    expect(await cache.load(arn)).toBeNull();
    await h.iam.createUser({ UserName: 'late' });
    expect((await cache.load(arn))?.principal.username).toBe('late');
  });

  it('a load that overlaps invalidate() is not kept', async () => {
    const cache = createPrincipalCache(h.store);
    const arn = 'arn:aws:iam::123456789012:user/pat';
    const pending = cache.load(arn);
    cache.invalidate();
    await pending;
    expect(cache.size).toBe(0);
  });
});
