// Rebuilds an instance's backend target (admin password unsealed) from its stored row.
import type { SecretBox } from '../core/secret-box.js';
import { type BackendTarget, parseBackendUrl } from '../provisioning/backend-url.js';
import type { InstanceRow } from '../store/instances-repo.js';

export function backendTargetOf(box: SecretBox, row: InstanceRow): BackendTarget {
  const target = parseBackendUrl(row.backendUrl);
  const adminPassword = row.backendPassword
    ? box.open(row.backendPassword, row.identifier).toString('utf8')
    : undefined;
  return { ...target, adminPassword };
}
