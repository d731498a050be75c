// The operator's ServiceAccount bound by exactly the shipped config/rbac, moved into a test's
// namespace (cluster-scoped names carry the namespace, so test files never collide), and a
// kubeconfig holding that ServiceAccount's token: for tests that run the operator as a cluster
// would, not with the admin certificate.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { kubectlOk, testEnv, type CleanupScope } from './kube.ts';
import type { PolicyRule } from './rbac-audit.ts';

const root = resolve(import.meta.dirname, '..', '..');

export interface ShippedRbac {
  /** A kubeconfig with the operator ServiceAccount's token. */
  kubeconfig: string;
  /** The operator's ClusterRole, as rendered. */
  clusterRules: PolicyRule[];
  /** The leader election Role in the operator's namespace. */
  namespaceRules: PolicyRule[];
}

export async function shippedRbac(t: CleanupScope, ns: string): Promise<ShippedRbac> {
  const clusterScoped = `${ns}-manager`;
  const rendered = (await kubectlOk(['kustomize', resolve(root, 'config/rbac')]))
    .replaceAll('engula-system', ns)
    .replaceAll('name: engula-operator-manager', `name: ${clusterScoped}`);
  t.after(async () => {
    await kubectlOk(['delete', '--ignore-not-found', 'clusterrolebinding,clusterrole', clusterScoped]);
  });
  await kubectlOk(['apply', '-f', '-'], { input: rendered });
  const objects = parseAllDocuments(rendered).map((d) => d.toJS() as { kind: string; metadata: { name: string }; rules?: PolicyRule[] });
  const clusterRules = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === clusterScoped)?.rules ?? [];
  const namespaceRules = objects.find((o) => o.kind === 'Role' && o.metadata.name === 'engula-operator-leader-election')?.rules ?? [];

  const token = (await kubectlOk(['create', 'token', 'engula-operator', '-n', ns, '--duration=1h'])).trim();
  const env = testEnv();
  // Beside the admin kubeconfig, so it goes with the control plane's folder.
  const kubeconfig = join(env.kubeconfig, '..', `${ns}-operator.kubeconfig`);
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'testenv', cluster: { server: env.apiServerUrl, 'certificate-authority': env.caCertPath } }],
      users: [{ name: 'engula-operator', user: { token } }],
      contexts: [{ name: 'operator', context: { cluster: 'testenv', user: 'engula-operator', namespace: ns } }],
      'current-context': 'operator',
    }),
    { mode: 0o600 },
  );
  return { kubeconfig, clusterRules, namespaceRules };
}
