// SCRAM-SHA-256(-PLUS) client: RFC 7677 vector, byte-for-byte agreement with node-postgres, refusals of bad servers.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createScramClient, type ScramClient } from '../../../src/auth/scram/client.js';
import { createScramServer, scramMechanisms } from '../../../src/auth/scram/server.js';
import { createScramSecret } from '../../../src/auth/scram/verifier.js';
import { GatehouseError } from '../../../src/core/errors.js';

interface SaslSession {
  mechanism: string;
  clientNonce: string;
  response: string;
}
interface NodePgSasl {
  startSession(mechanisms: string[], stream?: unknown): SaslSession;
  continueSession(
    session: SaslSession,
    password: string,
    serverData: string,
    stream?: unknown,
  ): Promise<void>;
}
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as NodePgSasl;

// Self-signed ECDSA P-256 / SHA-256 certificate: tls-server-end-point = SHA-256(DER) (RFC 5929 §4.1).
const CERT_DER = Buffer.from(
  'MIIBljCCATugAwIBAgIUSQEEkmtkKPnHFwRxC/pEECtG9LQwCgYIKoZIzj0EAwIwHzEdMBsGA1UEAwwUZ2F0ZWhvdXNlLXNjcmFt' +
    'LXRlc3QwIBcNMjYxMTI5MDE1MDI2WhgPMjEyNjExMDUwMTUwMjZaMB8xHTAbBgNVBAMMFGdhdGVob3VzZS1zY3JhbS10ZXN0MFkw' +
    'EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3DjaFufmDbDgcSkXTqIe4AUZ36WhSKY7+rW1DqYhQMgXMtck/qh4cAQYEXLzrkFQYlx4' +
    'lHxlPlhiSu0WTMSEuaNTMFEwHQYDVR0OBBYEFHQ4dw9sVAQ2gxBoa+v+7hJIpSGSMB8GA1UdIwQYMBaAFHQ4dw9sVAQ2gxBoa+v+' +
    '7hJIpSGSMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhALo76/vSut41nTHhPeI2bOnH8xV7XWeqe4nNNavhwJqL' +
    'AiEAwuwHpthwwCrmEPdeBJt9woTDJXHRKUmM4C59O6Tc92o=',
  'base64',
);
const CERT_HASH = createHash('sha256').update(CERT_DER).digest();
const tlsStream = { getPeerCertificate: () => ({ raw: CERT_DER }) };

const RFC = {
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function rfcClient(o: { maxIterations?: number } = {}): ScramClient {
  return createScramClient({ password: 'pencil', username: 'user', clientNonce: RFC.clientNonce, ...o });
}

/** Expect `fn` to throw the client's refusal (a GatehouseError, never a raw TypeError). */
function expectRefusal(fn: () => unknown, detail: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GatehouseError);
    expect((e as GatehouseError).code).toBe('GH_BACKEND_REFUSED');
    expect((e as GatehouseError).detail).toMatch(detail);
    return;
  }
  throw new Error('expected the SCRAM client to refuse');
}

describe('SCRAM client', () => {
  it('reproduces the RFC 7677 §3 test vector and accepts its server signature', () => {
    const client = rfcClient();
    expect(client.clientFirst().toString()).toBe(`n,,n=user,r=${RFC.clientNonce}`);
    expect(client.clientFinal(Buffer.from(RFC.serverFirst)).toString()).toBe(RFC.clientFinal);
    expect(() => client.verifyServerFinal(Buffer.from(RFC.serverFinal))).not.toThrow();
  });

  it.each([
    ['plain (flag n)', ['SCRAM-SHA-256'], null, undefined],
    ['TLS without -PLUS offered (flag y)', ['SCRAM-SHA-256'], CERT_HASH, tlsStream],
    ['SCRAM-SHA-256-PLUS', ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'], CERT_HASH, tlsStream],
  ])('sends the same bytes as node-postgres for %s', async (_, offered, hash, stream) => {
    const session = sasl.startSession(offered, stream);
    const client = createScramClient({
      password: 'pässwörd',
      username: '*', // node-postgres sends n=*
      clientNonce: session.clientNonce,
      channelBinding: hash ? { certificateHash: hash } : null,
    });
    expect(client.chooseMechanism(offered)).toBe(session.mechanism);
    expect(client.clientFirst().toString('latin1')).toBe(session.response);
    const serverFirst = `r=${session.clientNonce}SERVERNONCE,s=${Buffer.from('salt').toString('base64')},i=4096`;
    await sasl.continueSession(session, 'pässwörd', serverFirst, stream);
    expect(client.clientFinal(Buffer.from(serverFirst)).toString('latin1')).toBe(session.response);
  });

  it('refuses a server signature that is off by one bit: the backend must prove it holds the verifier', () => {
    const client = rfcClient();
    client.clientFirst();
    client.clientFinal(Buffer.from(RFC.serverFirst));
    const signature = Buffer.from(RFC.serverFinal.slice(2), 'base64');
    signature[0] = (signature[0] ?? 0) ^ 1;
    expectRefusal(
      () => client.verifyServerFinal(Buffer.from(`v=${signature.toString('base64')}`)),
      /signature/,
    );
  });

  it('refuses a server-final-message that reports an error', () => {
    const client = rfcClient();
    client.clientFirst();
    client.clientFinal(Buffer.from(RFC.serverFirst));
    expectRefusal(() => client.verifyServerFinal(Buffer.from('e=invalid-proof')), /refused/);
  });

  it('refuses iteration counts above maxIterations before doing the work', () => {
    const over = (max: number | undefined, i: number) => {
      const client = rfcClient(max === undefined ? {} : { maxIterations: max });
      client.clientFirst();
      return () => client.clientFinal(Buffer.from(RFC.serverFirst.replace('i=4096', `i=${i}`)));
    };
    expectRefusal(over(undefined, 100_001), /maxIterations 100000/);
    expectRefusal(over(4095, 4096), /maxIterations 4095/);
    expect(over(4096, 4096)).not.toThrow();
  });

  it.each([
    ['a server nonce that does not start with the client nonce', RFC.serverFirst.replace('r=r', 'r=R')],
    ['a server nonce with no server part', `r=${RFC.clientNonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`],
    ['a missing salt', `r=${RFC.clientNonce}x,i=4096`],
    ['a salt that is not base64', `r=${RFC.clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096`],
    ['a zero iteration count', RFC.serverFirst.replace('i=4096', 'i=0')],
    ['a mandatory extension', `m=x,${RFC.serverFirst}`],
    ['an empty message', ''],
  ])('refuses %s', (_, serverFirst) => {
    const client = rfcClient();
    client.clientFirst();
    expectRefusal(() => client.clientFinal(Buffer.from(serverFirst)), /.+/);
  });

  it('chooses -PLUS when it can bind, y when the server does not offer it, and n without TLS', () => {
    const cb = { certificateHash: CERT_HASH };
    const plus = createScramClient({ password: 'p', channelBinding: cb });
    expect(plus.chooseMechanism(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'])).toBe('SCRAM-SHA-256-PLUS');
    expect(plus.clientFirst().toString()).toMatch(/^p=tls-server-end-point,,n=,r=/);
    const stripped = createScramClient({ password: 'p', channelBinding: cb });
    expect(stripped.chooseMechanism(['SCRAM-SHA-256'])).toBe('SCRAM-SHA-256');
    expect(stripped.clientFirst().toString()).toMatch(/^y,,n=,r=/);
    const plain = createScramClient({ password: 'p' });
    expect(plain.chooseMechanism(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'])).toBe('SCRAM-SHA-256');
    expect(plain.clientFirst().toString()).toMatch(/^n,,n=,r=/);
    const strict = createScramClient({ password: 'p', channelBinding: cb, requireChannelBinding: true });
    expectRefusal(() => strict.chooseMechanism(['SCRAM-SHA-256']), /channel binding is required/);
    expectRefusal(
      () => createScramClient({ password: 'p' }).chooseMechanism(['SCRAM-SHA-1']),
      /no supported/,
    );
  });

  it('refuses calls out of order', () => {
    expectRefusal(() => rfcClient().clientFinal(Buffer.from(RFC.serverFirst)), /out of order/);
    expectRefusal(() => rfcClient().verifyServerFinal(Buffer.from(RFC.serverFinal)), /out of order/);
    const twice = rfcClient();
    twice.clientFirst();
    expectRefusal(() => twice.clientFirst(), /already sent/);
  });
});

describe('SCRAM client against our server', () => {
  const secret = createScramSecret('pencil', { iterations: 64 });
  const server = (channelBinding: { certificateHash: Buffer } | null) =>
    createScramServer({ user: 'app', secrets: [secret], mockSecretKey: Buffer.alloc(32), channelBinding });

  it('logs in with channel binding and verifies the server signature', () => {
    const s = server({ certificateHash: CERT_HASH });
    const c = createScramClient({ password: 'pencil', channelBinding: { certificateHash: CERT_HASH } });
    const mechanism = c.chooseMechanism(scramMechanisms(CERT_HASH));
    const challenge = s.start(mechanism, c.clientFirst());
    if (challenge.kind !== 'challenge') throw new Error(JSON.stringify(challenge));
    const done = s.step(c.clientFinal(challenge.data));
    expect(done).toMatchObject({ kind: 'success', identity: { method: 'scram-sha-256-plus' } });
    if (done.kind === 'success' && done.final) c.verifyServerFinal(done.final);
  });

  it('lets the server detect a man in the middle who strips -PLUS from the mechanism list', () => {
    const s = server({ certificateHash: CERT_HASH });
    const c = createScramClient({ password: 'pencil', channelBinding: { certificateHash: CERT_HASH } });
    const mechanism = c.chooseMechanism(['SCRAM-SHA-256']); // what the attacker forwarded
    expect(s.start(mechanism, c.clientFirst())).toMatchObject({ code: 'GH_SCRAM_CHANNEL_BINDING' });
  });

  it('round-trips any password, including non-ASCII ones', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), (password) => {
        const sec = createScramSecret(password, { iterations: 16 });
        const s = createScramServer({
          user: 'u',
          secrets: [sec],
          mockSecretKey: Buffer.alloc(32),
          channelBinding: null,
        });
        const c = createScramClient({ password });
        const challenge = s.start(c.chooseMechanism(['SCRAM-SHA-256']), c.clientFirst());
        if (challenge.kind !== 'challenge') throw new Error(JSON.stringify(challenge));
        const done = s.step(c.clientFinal(challenge.data));
        expect(done.kind).toBe('success');
        if (done.kind === 'success' && done.final) c.verifyServerFinal(done.final);
      }),
      { numRuns: 80 },
    );
  });
});
