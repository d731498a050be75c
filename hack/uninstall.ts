// make uninstall: deletes the CRDs (config/crd/bases). Deleting a CRD deletes every object of its
// kind, and a Cluster takes its children, StatefulSets and pods with it, so this refuses while any
// Engula object exists in any namespace, naming each one, unless FORCE=1 asks for exactly that.
//
//   KUBECTL=kubectl KUBECONFIG=... [FORCE=1] node hack/uninstall.ts
//
// Exit codes: 0 removed (or nothing to remove), 1 refused, 2 the check itself failed (nothing deleted,
// unless FORCE=1).
import { join } from 'node:path';
import { CATEGORY } from '../api/v1alpha1/kinds.ts';
import { countObjects, describeObjects, forced, kubectlFromEnv, kubectlShown, listEngulaObjects, type EngulaObject } from './engula-objects.ts';

const crdFolder = join(import.meta.dirname, '..', 'config', 'crd', 'bases');
const policyFolder = join(import.meta.dirname, '..', 'config', 'policy');

async function main(): Promise<number> {
  let objects: EngulaObject[];
  try {
    objects = await listEngulaObjects(kubectlFromEnv());
  } catch (err) {
    if (!forced()) {
      console.error(`make uninstall: could not list the Engula objects, so nothing was deleted (FORCE=1 deletes the CRDs unchecked): ${(err as Error).message}`);
      return 2;
    }
    console.error(`make uninstall FORCE=1: could not list the Engula objects; deleting the CRDs and whatever they hold: ${(err as Error).message}`);
    objects = [];
  }
  if (objects.length > 0 && !forced()) {
    console.error(
      [
        `make uninstall refused: deleting the CRDs deletes every Engula object, and the cluster holds ${countObjects(objects)}:`,
        ...describeObjects(objects),
        "With them would go their StatefulSets, pods and Services (PersistentVolumeClaims follow each component's",
        'persistentVolumeClaimRetentionPolicy, Retain by default). Delete them first, Clusters and standalone children alike',
        `(kubectl delete ${CATEGORY} --all --all-namespaces), then run make uninstall again; or delete them together with the`,
        'CRDs: make uninstall FORCE=1',
      ].join('\n'),
    );
    return 1;
  }
  if (objects.length > 0) console.error([`make uninstall FORCE=1: deleting ${countObjects(objects)} with the CRDs:`, ...describeObjects(objects)].join('\n'));
  const crds = await kubectlShown(['delete', '--ignore-not-found', '-f', crdFolder]);
  // The deletion-protection policy ships with the CRDs (make install) and goes with them.
  const policy = await kubectlShown(['delete', '--ignore-not-found', '-k', policyFolder]);
  return crds !== 0 ? crds : policy;
}

process.exitCode = await main();
