// make undeploy: deletes the operator, as config/default renders it (its namespace, Deployment,
// RBAC, webhook configurations, Services and NetworkPolicies), and nothing users keep. No
// CustomResourceDefinition is deleted even if config/default were to render one again: deleting a
// CRD deletes every Engula object of its kind, which is `make uninstall`'s decision. Deleting the
// operator's namespace deletes whatever lives in it, so this refuses while Engula objects do, naming
// them, unless FORCE=1.
//
//   KUBECTL=kubectl KUBECONFIG=... [FORCE=1] node hack/undeploy.ts
//
// Exit codes: 0 removed (or nothing to remove), 1 refused, 2 the check itself failed (nothing deleted,
// unless FORCE=1).
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CATEGORY } from '../api/v1alpha1/kinds.ts';
import { countObjects, describeObjects, forced, kubectlFromEnv, kubectlShown, listEngulaObjects, type EngulaObject } from './engula-objects.ts';

const configDefault = join(import.meta.dirname, '..', 'config', 'default');

interface Manifest {
  kind?: string;
  metadata?: { name?: string };
}

async function main(): Promise<number> {
  const kubectl = kubectlFromEnv();
  const rendered = await kubectl(['kustomize', configDefault]);
  if (rendered.code !== 0) {
    console.error(`make undeploy: kubectl kustomize ${configDefault} failed, so nothing was deleted: ${rendered.stderr.trim()}`);
    return 2;
  }
  const docs = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as Manifest | null).filter((d): d is Manifest => d !== null);
  const operator = docs.filter((d) => d.kind !== 'CustomResourceDefinition');
  if (operator.length < docs.length) console.error(`make undeploy: leaving the ${docs.length - operator.length} CustomResourceDefinitions config/default renders in place (make uninstall removes them)`);
  const namespaces = operator.filter((d) => d.kind === 'Namespace').map((d) => d.metadata?.name ?? '');
  let objects: EngulaObject[];
  try {
    objects = namespaces.length === 0 ? [] : await listEngulaObjects(kubectl, namespaces);
  } catch (err) {
    if (!forced()) {
      console.error(`make undeploy: could not list the Engula objects in ${namespaces.join(', ')}, so nothing was deleted (FORCE=1 deletes unchecked): ${(err as Error).message}`);
      return 2;
    }
    console.error(`make undeploy FORCE=1: could not list the Engula objects in ${namespaces.join(', ')}; deleting the operator and its namespace anyway: ${(err as Error).message}`);
    objects = [];
  }
  if (objects.length > 0 && !forced()) {
    console.error(
      [
        `make undeploy refused: it deletes the namespace ${namespaces.join(', ')}, which holds ${countObjects(objects)}:`,
        ...describeObjects(objects),
        'Deleting the namespace would delete them, with their StatefulSets and pods. Keep Engula objects out of the',
        `operator's namespace: delete them first (${namespaces.map((ns) => `kubectl delete ${CATEGORY} --all -n ${ns}`).join('; ')}) and run make undeploy`,
        'again, or delete them with the operator: make undeploy FORCE=1',
      ].join('\n'),
    );
    return 1;
  }
  if (objects.length > 0) console.error([`make undeploy FORCE=1: deleting ${countObjects(objects)} with the namespace ${namespaces.join(', ')}:`, ...describeObjects(objects)].join('\n'));
  return kubectlShown(['delete', '--ignore-not-found', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: operator }));
}

process.exitCode = await main();
