// Picks an instance's BackendProvisioner by its engine, and rebuilds its backend target (admin password
// unsealed) from its stored row.
import { GatehouseError } from '../core/errors.js';
import type { SecretBox } from '../core/secret-box.js';
import type { BackendProvisioner, BackendTarget } from '../provisioning/provisioner.js';
import type { InstanceRow } from '../store/instances-repo.js';
import type { ControlContext } from './context.js';

/** The provisioner of a stored instance's engine; an engine no longer registered cannot be provisioned. */
export function provisionerOf(
  ctx: Pick<ControlContext, 'provisioners'>,
  row: InstanceRow,
): BackendProvisioner {
  const provisioner = ctx.provisioners.get(row.engine);
  if (!provisioner) {
    throw new GatehouseError('GH_BACKEND_PROVISION_FAILED', {
      instance: row.identifier,
      reason: `engine ${row.engine} is not registered on this Gatehouse node`,
    });
  }
  return provisioner;
}

/** The instance's backend target, parsed by its engine's provisioner, with the admin password unsealed. */
export function backendTargetOf(
  box: SecretBox,
  row: InstanceRow,
  provisioner: BackendProvisioner,
): BackendTarget {
  if (provisioner.engine !== row.engine) {
    throw new GatehouseError(
      'GH_INTERNAL',
      {},
      { detail: `instance ${row.identifier} is ${row.engine}, not ${provisioner.engine}` },
    );
  }
  const target = provisioner.parseBackendUrl(row.backendUrl);
  const adminPassword = row.backendPassword
    ? box.open(row.backendPassword, row.identifier).toString('utf8')
    : undefined;
  return { ...target, adminPassword };
}
