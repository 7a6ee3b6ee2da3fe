// Step 1 of a session: first-packet dispatch (SSLRequest, GSSENCRequest, CancelRequest, direct TLS, StartupMessage).
import type { Socket } from 'node:net';
import { GatehouseError } from '../../core/errors.js';
import {
  createNegotiateProtocolVersion,
  PROTOCOL_3_0,
  PROTOCOL_3_2,
  parseStartupPacket,
} from '../../protocol/postgres/index.js';
import type { EngineDeps } from '../common/engine.js';
import type { InstanceSettings } from '../common/instance.js';
import type { FrontendConnection } from './frontend-connection.js';
import { PG_ALPN, upgradeToTls } from './tls-upgrade.js';

const TLS_HANDSHAKE_RECORD = 0x16;

export interface StartupRequest {
  readonly user: string;
  readonly database: string;
  /** Parameters forwarded to the backend StartupMessage (everything but user, database and `_pq_.*`). */
  readonly parameters: ReadonlyArray<readonly [string, string]>;
  /** Negotiated protocol minor: 0 (3.0) or 2 (3.2). */
  readonly protocolMinor: 0 | 2;
}

export type Negotiated =
  | { readonly kind: 'startup'; readonly startup: StartupRequest }
  | { readonly kind: 'cancel'; readonly processId: number; readonly secretKey: Buffer };

export async function negotiate(
  conn: FrontendConnection,
  instance: InstanceSettings,
  deps: EngineDeps,
): Promise<Negotiated> {
  const { tls, limits } = deps;
  // PG17 direct TLS: the very first byte is a TLS handshake record instead of a length word.
  if (tls && (await conn.peekFirstByte()) === TLS_HANDSHAKE_RECORD) {
    const head = conn.buffer.takeRemaining();
    const secure = await upgradeToTls(conn.detach() as Socket, tls, head, conn.trackHandshake);
    conn.attach(secure);
    if (secure.alpnProtocol !== PG_ALPN) {
      throw new GatehouseError('GH_PROTOCOL_VIOLATION', { reason: `direct TLS requires ALPN "${PG_ALPN}"` });
    }
  }
  let sawGssenc = false;
  for (;;) {
    const packet = parseStartupPacket(await conn.readStartupPacket(limits.maxStartupPacketBytes));
    switch (packet.kind) {
      case 'ssl': {
        if (conn.encrypted)
          throw new GatehouseError('GH_PROTOCOL_VIOLATION', { reason: 'SSL request inside SSL' });
        if (!tls) {
          conn.write(Buffer.from('N'));
          break;
        }
        // Buffer stuffing (CVE-2021-23214): nothing may follow the SSLRequest before the handshake.
        if (conn.buffer.pending > 0) throw new GatehouseError('GH_UNENCRYPTED_AFTER_SSL');
        const raw = conn.detach() as Socket;
        raw.write(Buffer.from('S'));
        conn.attach(await upgradeToTls(raw, tls, undefined, conn.trackHandshake));
        break;
      }
      case 'gssenc':
        // We do not implement GSSAPI encryption: answer N and keep reading (libpq then tries SSL or plain).
        if (conn.encrypted || sawGssenc) {
          throw new GatehouseError('GH_PROTOCOL_VIOLATION', { reason: 'unexpected GSSENC request' });
        }
        if (conn.buffer.pending > 0) throw new GatehouseError('GH_UNENCRYPTED_AFTER_SSL');
        sawGssenc = true;
        conn.write(Buffer.from('N'));
        break;
      case 'cancel':
        return { kind: 'cancel', processId: packet.processId, secretKey: packet.secretKey };
      case 'startup':
        return { kind: 'startup', startup: acceptStartup(conn, instance, packet) };
    }
  }
}

function acceptStartup(
  conn: FrontendConnection,
  instance: InstanceSettings,
  packet: { major: number; minor: number; parameters: ReadonlyMap<string, string> },
): StartupRequest {
  if (packet.major !== 3) {
    throw new GatehouseError('GH_UNSUPPORTED_PROTOCOL', {
      major: packet.major,
      minor: packet.minor,
      supported: '3.0 to 3.2',
    });
  }
  if (instance.forceSsl && !conn.encrypted) {
    throw new GatehouseError('GH_SSL_REQUIRED', { instance: instance.identifier });
  }
  const user = packet.parameters.get('user');
  if (!user) throw new GatehouseError('GH_NO_USER');
  // We speak 3.0 and 3.2 (3.1 was never used). Newer minors and `_pq_.` options are negotiated down
  // with NegotiateProtocolVersion rather than refused (PG19 libpq "greases" with 3.9999).
  const protocolMinor: 0 | 2 = packet.minor >= 2 ? 2 : 0;
  const unknownOptions = [...packet.parameters.keys()].filter((k) => k.startsWith('_pq_.'));
  if ((packet.minor !== 0 && packet.minor !== 2) || unknownOptions.length > 0) {
    conn.write(
      createNegotiateProtocolVersion(protocolMinor === 2 ? PROTOCOL_3_2 : PROTOCOL_3_0, unknownOptions),
    );
  }
  const parameters = [...packet.parameters].filter(
    ([k]) => k !== 'user' && k !== 'database' && !k.startsWith('_pq_.'),
  );
  return { user, database: packet.parameters.get('database') || user, parameters, protocolMinor };
}
