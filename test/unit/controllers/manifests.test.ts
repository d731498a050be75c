// The deployment manifests: config/default renders with kustomize (the operator, and no CRD, so that
// deleting it never deletes an Engula object), the operator's ClusterRole holds
// nothing to grant Engula pods (no launch profile calls the API),
// the Deployment's ports and labels match what the webhook Service selects, and the NetworkPolicies
// open exactly the webhook and metrics ports of those pods.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROFILES } from '../../../controllers/launch-profiles.ts';
import { renderKustomization, type ManifestDoc as Doc } from '../../support/kustomize.ts';

const renderedAt = renderKustomization;
const rendered = (): Doc[] => renderedAt('config/default');

describe('config/default', () => {
  it('renders with kustomize: RBAC, Deployment and webhooks, namespaced in engula-system; the CRDs are config/crd\'s alone', () => {
    const docs = rendered();
    const kinds = new Set(docs.map((d) => d.kind));
    for (const k of ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Deployment', 'Service', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'NetworkPolicy']) {
      assert.ok(kinds.has(k), k);
    }
    // `make undeploy` deletes what config/default renders: a CRD in it would take every Engula object with it.
    assert.deepEqual(docs.filter((d) => d.kind === 'CustomResourceDefinition').map((d) => d.metadata.name), []);
    assert.equal(renderedAt('config/crd').filter((d) => d.kind === 'CustomResourceDefinition').length, 5, '`make install` (and `make deploy` before config/default) applies them');
    const deployment = docs.find((d) => d.kind === 'Deployment')!;
    assert.equal(deployment.metadata.namespace, 'engula-system');
    const container = (deployment.spec as { template: { spec: { containers: Array<{ image: string; ports: Array<{ name: string; containerPort: number }>; securityContext: Record<string, unknown> }> } } }).template.spec.containers[0]!;
    assert.equal(container.image, 'controller:latest');
    assert.deepEqual(container.ports.map((p) => [p.name, p.containerPort]), [['metrics', 8443], ['health', 8081], ['webhook', 9443]]);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    const svc = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'engula-operator-webhook')!;
    const selector = (svc.spec as { selector: Record<string, string> }).selector;
    const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    for (const [k, v] of Object.entries(selector)) assert.equal(podLabels[k], v, `webhook Service selects the pods by ${k}`);
  });

  it('NetworkPolicies select the operator pods and open the webhook port to all, metrics to labelled namespaces, nothing else', () => {
    const docs = rendered();
    const deployment = docs.find((d) => d.kind === 'Deployment')!;
    const template = (deployment.spec as { template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ ports: Array<{ name: string; containerPort: number }> }> } } }).template;
    const containerPorts = new Map(template.spec.containers[0]!.ports.map((p) => [p.name, p.containerPort]));
    interface Peer { namespaceSelector?: { matchLabels?: Record<string, string> }; podSelector?: unknown; ipBlock?: unknown }
    interface PolicySpec { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: Array<{ from?: Peer[]; ports: Array<{ port: string | number; protocol: string }> }> }
    const policies = docs.filter((d) => d.kind === 'NetworkPolicy');
    assert.deepEqual(policies.map((p) => p.metadata.name).sort(), ['allow-metrics-traffic', 'allow-webhook-traffic']);
    const opened = new Map<number, Peer[] | 'all'>();
    for (const p of policies) {
      assert.equal(p.metadata.namespace, 'engula-system');
      const spec = p.spec as unknown as PolicySpec;
      assert.deepEqual(spec.policyTypes, ['Ingress']);
      for (const [k, v] of Object.entries(spec.podSelector.matchLabels)) assert.equal(template.metadata.labels[k], v, `${p.metadata.name} selects the operator pods by ${k}`);
      for (const rule of spec.ingress) {
        for (const port of rule.ports) {
          assert.equal(port.protocol, 'TCP');
          const number = typeof port.port === 'number' ? port.port : containerPorts.get(port.port);
          assert.ok(number !== undefined, `${p.metadata.name} names port ${String(port.port)}, which the container does not have`);
          opened.set(number, rule.from ?? 'all');
        }
      }
    }
    assert.deepEqual([...opened.keys()].sort(), [8443, 9443], 'only the metrics and webhook ports are opened');
    assert.equal(opened.get(9443), 'all', 'kube-apiserver, wherever it calls from, reaches the webhook');
    assert.deepEqual(opened.get(8443), [{ namespaceSelector: { matchLabels: { metrics: 'enabled' } } }]);
    const svc = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'engula-operator-webhook')!;
    const target = (svc.spec as { ports: Array<{ targetPort: string }> }).ports[0]!.targetPort;
    assert.equal(containerPorts.get(target), 9443, 'the webhook Service forwards to the port the policy opens');
  });

  it('the ClusterRole holds nothing to grant Engula pods, as no launch profile calls the Kubernetes API', () => {
    const role = rendered().find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'engula-operator-manager')!;
    for (const profile of Object.values(PROFILES)) {
      for (const [component, launch] of Object.entries(profile.components)) assert.equal(launch.apiAccess, false, `${profile.name} ${component}`);
    }
    const held = role.rules!.flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${r.apiGroups.join(',')}/${res}:${v}`)));
    for (const gone of ['rbac.authorization.k8s.io/roles', 'rbac.authorization.k8s.io/rolebindings', '/endpoints']) {
      assert.ok(!held.some((p) => p.startsWith(`${gone}:`)), `the operator holds nothing on ${gone}`);
    }
    // Pods: only a get by name (the pod a roll step waits on), never a list or watch of every pod.
    assert.deepEqual(held.filter((p) => p.startsWith('/pods:')), ['/pods:get']);
  });
});
