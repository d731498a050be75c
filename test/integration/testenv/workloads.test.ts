// The shared control plane runs real workloads: fake nodes are Ready, a StatefulSet with a
// volumeClaimTemplate gets Running and Ready pods with Bound claims, the garbage collector
// removes its pods when it is deleted, and a pod marked NotReady from outside gets Ready back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { kubeConfig, kubectlOk, testNamespace, waitFor } from '../../support/kube.ts';

test('kubectl get nodes lists Ready fake nodes', async () => {
  const out = await kubectlOk(['get', 'nodes', '--no-headers']);
  const lines = out.trim().split('\n');
  assert.ok(lines.length >= 3, `expected at least 3 nodes, got:\n${out}`);
  for (const line of lines) assert.match(line, /^kwok-node-\d+\s+Ready\s/);
});

test('a StatefulSet with a volumeClaimTemplate reaches 3/3 Ready with Bound claims, and its pods are collected when it is deleted', async (t) => {
  const ns = await testNamespace(t, 'testenv-sts');
  const manifest = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: ${ns}}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example/web:1
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`;
  await kubectlOk(['apply', '-f', '-'], { input: manifest });
  const kc = kubeConfig();
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);

  await waitFor('3/3 ready replicas', async () => (await apps.readNamespacedStatefulSet({ name: 'web', namespace: ns })).status?.readyReplicas === 3, { timeoutMs: 90_000 });
  const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
  assert.equal(pods.items.length, 3);
  for (const pod of pods.items) {
    assert.equal(pod.status?.phase, 'Running', `${pod.metadata?.name} phase`);
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', `${pod.metadata?.name} Ready`);
    assert.match(pod.spec?.nodeName ?? '', /^kwok-node-\d+$/);
  }
  const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: ns });
  assert.deepEqual(claims.items.map((c) => c.metadata?.name).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
  for (const claim of claims.items) assert.equal(claim.status?.phase, 'Bound', `${claim.metadata?.name} phase`);

  await kubectlOk(['delete', 'statefulset', 'web', '-n', ns, '--wait=false']);
  await waitFor('the garbage collector to remove the pods', async () => (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items.length === 0, { timeoutMs: 60_000 });
});

test('a Running pod whose Ready condition is set False from outside gets Ready back, as a kubelet puts it back', async (t) => {
  const ns = await testNamespace(t, 'testenv-ready');
  await kubectlOk(['-n', ns, 'run', 'p', '--image=registry.example/p:1', '--restart=Never']);
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const ready = async () => (await core.readNamespacedPod({ name: 'p', namespace: ns })).status?.conditions?.find((c) => c.type === 'Ready');
  await waitFor('the pod Ready', async () => (await ready())?.status === 'True', { timeoutMs: 60_000 });
  // What the node-lifecycle controller writes when it has not seen the node's Lease renewed.
  const marked = JSON.parse(await kubectlOk(['-n', ns, 'patch', 'pod', 'p', '--subresource=status', '--type=strategic', '-o', 'json', '-p', JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'False' }] } })])) as k8s.V1Pod;
  assert.equal(marked.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  assert.equal(marked.status?.phase, 'Running');
  await waitFor('the pod Ready again', async () => (await ready())?.status === 'True', { timeoutMs: 60_000 });
});
