import { describe, expect, it } from 'vitest';
import { PreAuthAdmission, sourceKey } from '../../../src/engines/common/admission.js';

const limits = { maxPendingConnections: 5, maxPendingPerSource: 2, maxTlsRefusals: 4 };

describe('pre-auth admission', () => {
  it('admits up to maxPendingPerSource from one address, then refuses it by name while others get in', () => {
    const a = new PreAuthAdmission(limits);
    expect(a.admit('10.0.0.1').kind).toBe('admit');
    expect(a.admit('10.0.0.1').kind).toBe('admit');
    const third = a.admit('10.0.0.1');
    expect(third).toMatchObject({ kind: 'refuse', negotiate: true });
    expect(third.kind === 'refuse' && third.error.code).toBe('GH_TOO_MANY_CONNECTIONS_FROM_SOURCE');
    expect(third.kind === 'refuse' && third.error.message).toBe(
      'too many connections in authentication from 10.0.0.1: at most 2 at once per client address',
    );
    expect(a.admit('10.0.0.2').kind).toBe('admit');
  });

  it('the total cap is the backstop for many sources', () => {
    const a = new PreAuthAdmission(limits);
    for (let i = 1; i <= 5; i++) expect(a.admit(`10.0.0.${i}`).kind).toBe('admit');
    const sixth = a.admit('10.0.0.6');
    expect(sixth.kind === 'refuse' && sixth.error.code).toBe('GH_TOO_MANY_CONNECTIONS');
  });

  it('TLS refusals are bounded per source (a quarter of the slots) and in all; beyond, refusals are immediate', () => {
    const a = new PreAuthAdmission({ ...limits, maxPendingConnections: 0 });
    expect(a.admit('10.0.0.1')).toMatchObject({ kind: 'refuse', negotiate: true });
    expect(a.admit('10.0.0.1')).toMatchObject({ kind: 'refuse', negotiate: false });
    for (const ip of ['10.0.0.2', '10.0.0.3', '10.0.0.4']) {
      expect(a.admit(ip)).toMatchObject({ kind: 'refuse', negotiate: true });
    }
    expect(a.admit('10.0.0.5')).toMatchObject({ kind: 'refuse', negotiate: false });
    expect(a.counts).toMatchObject({ pending: 0, refusing: 4 });
  });

  it('maxTlsRefusals 0 refuses everything at once (the behaviour before TLS refusals)', () => {
    const a = new PreAuthAdmission({ ...limits, maxPendingConnections: 0, maxTlsRefusals: 0 });
    expect(a.admit('10.0.0.1')).toMatchObject({ kind: 'refuse', negotiate: false });
  });

  it('release is idempotent and frees both the slot and the source entry', () => {
    const a = new PreAuthAdmission(limits);
    const first = a.admit('10.0.0.1');
    const second = a.admit('10.0.0.1');
    first.release();
    first.release();
    expect(a.counts).toEqual({ pending: 1, refusing: 0, sources: 1 });
    expect(a.admit('10.0.0.1').kind).toBe('admit');
    second.release();
    expect(a.counts.pending).toBe(1);
  });
});

describe('sourceKey', () => {
  it.each([
    ['127.0.0.2', '127.0.0.2'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    [undefined, 'unknown'],
  ])('%s counts as %s', (address, key) => {
    expect(sourceKey(address)).toBe(key);
  });

  it('two addresses of one IPv6 /64 are one source', () => {
    expect(sourceKey('2001:db8:aa:bb:1::1')).toBe(sourceKey('2001:db8:aa:bb:ffff::2'));
    expect(sourceKey('2001:db8:aa:bb::1')).not.toBe(sourceKey('2001:db8:aa:bc::1'));
  });
});
