// The PostgreSQL engine: its wire protocol behind the engine seam (registered in src/engines/registry.ts).
import type { Socket } from 'node:net';
import { createErrorResponse } from '../../protocol/postgres/index.js';
import { createPostgresProvisioner } from '../../provisioning/postgres/index.js';
import type { EngineDefinition } from '../common/engine.js';
import { CancelRegistry } from './cancel.js';
import { pgErrorFields } from './error-wire.js';
import { PgWireSession } from './session.js';

export const postgresEngine: EngineDefinition = {
  name: 'postgres',
  provisioner: createPostgresProvisioner(),
  createProtocol(deps) {
    const cancels = new CancelRegistry(); // cancel keys are per engine instance, shared by its listeners
    return {
      accept: (socket, instance) => new PgWireSession(socket, instance, deps, cancels),
      refuseAtAccept: (socket: Socket, error) => {
        // Sent at once, unencrypted, ahead of any SSLRequest answer: a TLS client only reports "server sent
        // an error response during SSL exchange" (libpq will not show text from an unauthenticated server,
        // CVE-2024-10977). Used only when too many refused connections are already negotiating TLS.
        socket.end(createErrorResponse({ severity: 'FATAL', ...pgErrorFields(error) }));
      },
    };
  },
};
