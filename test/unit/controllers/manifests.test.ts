// The deployment manifests: config/default renders with kustomize, the operator's ClusterRole holds
// every permission the operator grants the kernel (RBAC refuses to grant what one does not hold),
// and the Deployment's ports and labels match what the webhook Service selects.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { COMPONENT_TRAITS } from '../../../controllers/components.ts';
import { desiredChild, desiredKernelRole } from '../../../controllers/desired/index.ts';
import type { Cluster } from '../../../api/v1alpha1/index.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');

function kubectlBinary(): string {
  const fromEnv = process.env.TESTENV_BIN_DIR ? join(process.env.TESTENV_BIN_DIR, 'kubectl') : undefined;
  return fromEnv && existsSync(fromEnv) ? fromEnv : 'kubectl';
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: Rule[];
  spec?: Record<string, unknown>;
}

const rendered = (): Doc[] =>
  parseAllDocuments(execFileSync(kubectlBinary(), ['kustomize', join(root, 'config/default')], { encoding: 'utf8' })).map((d) => d.toJS() as Doc);

describe('config/default', () => {
  it('renders with kustomize: CRDs, RBAC, Deployment and webhooks, namespaced in engula-system', () => {
    const docs = rendered();
    const kinds = new Set(docs.map((d) => d.kind));
    for (const k of ['Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Deployment', 'Service', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      assert.ok(kinds.has(k), k);
    }
    assert.equal(docs.filter((d) => d.kind === 'CustomResourceDefinition').length, 5);
    const deployment = docs.find((d) => d.kind === 'Deployment')!;
    assert.equal(deployment.metadata.namespace, 'engula-system');
    const container = (deployment.spec as { template: { spec: { containers: Array<{ image: string; ports: Array<{ name: string; containerPort: number }>; securityContext: Record<string, unknown> }> } } }).template.spec.containers[0]!;
    assert.equal(container.image, 'controller:latest');
    assert.deepEqual(container.ports.map((p) => [p.name, p.containerPort]), [['metrics', 8080], ['health', 8081], ['webhook', 9443]]);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    const svc = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'engula-operator-webhook')!;
    const selector = (svc.spec as { selector: Record<string, string> }).selector;
    const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    for (const [k, v] of Object.entries(selector)) assert.equal(podLabels[k], v, `webhook Service selects the pods by ${k}`);
  });

  it('the ClusterRole holds everything the kernel Role grants', () => {
    const role = rendered().find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'engula-operator-manager')!;
    const cluster: Cluster = { apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Cluster', metadata: { name: 'c', namespace: 'ns', uid: 'u' }, spec: { name: 'c', image: { name: 'i' }, kernel: { replicas: 1 } } };
    const child = desiredChild(cluster, 'kernel')!;
    child.metadata!.uid = 'k';
    const kernelRole = desiredKernelRole({ child, traits: COMPONENT_TRAITS.kernel, clusterName: 'c', image: { name: 'i' }, peers: {}, clusterDomain: 'cluster.local' });
    for (const rule of kernelRole.rules as Rule[]) {
      for (const group of rule.apiGroups) {
        for (const resource of rule.resources) {
          for (const verb of rule.verbs) {
            const held = role.rules!.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb) && r.resourceNames === undefined);
            assert.ok(held, `operator holds ${verb} ${group}/${resource}`);
          }
        }
      }
    }
  });
});
