// Must-show 1, 3 and 4: the full sample Cluster converges to four children and everything under
// them; replicas edited on the Cluster reach the StatefulSet and the topology ConfigMap; a
// component removed from the spec loses its child and all under it; deleting the Cluster leaves
// nothing the operator made.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { kubectlOk, waitFor } from '../../support/kube.ts';
import { conditionOf, getJson, listJson, type ConditionLike } from '../../support/operator.ts';
import { operatorSuite } from '../../support/suite.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
const sample = readFileSync(resolve(root, 'samples/cluster-full.yaml'), 'utf8');
const COMPONENTS = ['journal', 'storage', 'kernel', 'engine'] as const;

interface Obj {
  metadata: { name: string; uid: string; creationTimestamp: string; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean; blockOwnerDeletion?: boolean }> };
  spec?: Record<string, unknown>;
  status?: { conditions?: ConditionLike[]; [k: string]: unknown };
  data?: Record<string, string>;
}

describe('a Cluster fans out and converges', () => {
  const suite = operatorSuite('ctrl-converge');

  it('the full sample converges: children, StatefulSets, Services, PDBs, ServiceAccounts, kernel RBAC, ConfigMap, Ready pods', async (t) => {
    const ns = suite.ns();
    const started = Date.now();
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], { input: sample });
    const cluster = await waitFor('Cluster full Ready', async () => {
      const c = await getJson<Obj>(ns, 'cluster', 'full');
      return conditionOf(c, 'Ready')?.status === 'True' ? c : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250 });
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`apply → Ready: ${seconds.toFixed(1)} s`);
    assert.equal(cluster.status?.phase, 'Ready');
    assert.equal(cluster.status?.readySummary, '4/4');

    const expectedReplicas = { journal: 3, storage: 3, kernel: 1, engine: 2 };
    for (const c of COMPONENTS) {
      const name = `full-${c}`;
      const child = await getJson<Obj>(ns, c, name);
      assert.ok(child, `${c} child exists`);
      assert.deepEqual(child.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller, r.blockOwnerDeletion]), [['Cluster', 'full', true, true]]);
      assert.equal(child.status?.readyReplicas, expectedReplicas[c]);
      for (const kind of ['statefulset', 'service', 'poddisruptionbudget', 'serviceaccount']) {
        const obj = await getJson<Obj>(ns, kind, name);
        assert.ok(obj, `${kind} ${name}`);
        assert.deepEqual(obj.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller]), [[c[0]!.toUpperCase() + c.slice(1), name, true]], `${kind} ${name} owner`);
      }
      const svc = await getJson<{ spec: { clusterIP: string; publishNotReadyAddresses: boolean; ports: Array<{ name: string }> } }>(ns, 'service', name);
      assert.equal(svc?.spec.clusterIP, 'None');
      assert.equal(svc?.spec.publishNotReadyAddresses, true);
      assert.deepEqual(svc?.spec.ports.map((p) => p.name), ['service'], 'no metrics port: the image serves none');
      const sts = await getJson<{ spec: { serviceName: string; persistentVolumeClaimRetentionPolicy: unknown; volumeClaimTemplates?: unknown[] } }>(ns, 'statefulset', name);
      assert.equal(sts?.spec.serviceName, name);
      assert.deepEqual(sts?.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
      assert.equal(sts?.spec.volumeClaimTemplates?.length, c === 'engine' ? undefined : 1);
      const pods = await listJson<{ spec: { volumes?: Array<{ name: string; projected?: unknown }>; containers: Array<{ volumeMounts?: Array<{ mountPath: string }> }> }; status: { phase: string; conditions?: ConditionLike[] } }>(ns, 'pods', `app.kubernetes.io/instance=${name}`);
      assert.equal(pods.length, expectedReplicas[c], `${c} pods`);
      for (const p of pods) {
        // The ServiceAccount admission plugin mounts a token unless told not to: no Engula calls the API.
        assert.deepEqual((p.spec.volumes ?? []).filter((v) => v.projected !== undefined).map((v) => v.name), [], `${c} pod has no token volume`);
        assert.ok(!p.spec.containers[0]!.volumeMounts?.some((m) => m.mountPath.startsWith('/var/run/secrets/kubernetes.io')), `${c} pod mounts no token`);
        assert.equal(p.status.phase, 'Running');
        assert.equal(conditionOf(p, 'Ready')?.status, 'True');
      }
    }
    for (const c of ['journal', 'storage', 'kernel', 'engine']) {
      assert.equal(await getJson(ns, 'role', `full-${c}`), undefined, `${c} gets no Role`);
      assert.equal(await getJson(ns, 'rolebinding', `full-${c}`), undefined, `${c} gets no RoleBinding`);
    }
    const cm = await getJson<Obj>(ns, 'configmap', 'full-config');
    assert.equal(cm?.metadata.ownerReferences?.[0]?.kind, 'Cluster');
    const topology = parse(cm?.data?.['topology.yaml'] ?? '') as { components: Record<string, { port: number; pods: string[] }> };
    assert.equal(topology.components.journal?.pods.length, 3);
    assert.equal(topology.components.kernel?.port, 24567);

    const listed = await kubectlOk(['-n', ns, 'get', 'engula']);
    t.diagnostic(`kubectl get engula:\n${listed}`);
    assert.match(listed, /cluster\.cluster\.engula\.io\/full\s+4\/4\s+Ready/);
    for (const c of COMPONENTS) assert.match(listed, new RegExp(`full-${c}\\s+\\d+\\s+\\d+\\s+\\d+\\s+Ready`));
  });

  it('kubectl patch of replicas scales the StatefulSet and updates the ConfigMap', async (t) => {
    const ns = suite.ns();
    const started = Date.now();
    await kubectlOk(['-n', ns, 'patch', 'cluster', 'full', '--type=merge', '-p', '{"spec":{"engine":{"replicas":4}}}']);
    await waitFor('engine StatefulSet at 4 replicas with 4 ready', async () => {
      const sts = await getJson<{ spec: { replicas: number }; status: { readyReplicas?: number } }>(ns, 'statefulset', 'full-engine');
      return sts?.spec.replicas === 4 && sts.status.readyReplicas === 4;
    }, { timeoutMs: 60_000 });
    await waitFor('ConfigMap lists 4 engine pods', async () => {
      const cm = await getJson<Obj>(ns, 'configmap', 'full-config');
      const topology = parse(cm?.data?.['topology.yaml'] ?? '') as { components: Record<string, { pods: string[] }> };
      return topology.components.engine?.pods.length === 4 && topology.components.engine.pods.includes(`full-engine-3.full-engine.${ns}.svc.cluster.local`);
    });
    await waitFor('Cluster Ready again with engine 4/4', async () => {
      const c = await getJson<Obj & { status?: { components?: Record<string, { desired: number; ready: number }> } }>(ns, 'cluster', 'full');
      return conditionOf(c, 'Ready')?.status === 'True' && c?.status?.components?.engine?.ready === 4;
    }, { timeoutMs: 60_000 });
    t.diagnostic(`patch → scaled and Ready: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('removing a component deletes its child and everything under it', async () => {
    const ns = suite.ns();
    await kubectlOk(['-n', ns, 'patch', 'cluster', 'full', '--type=json', '-p', '[{"op":"remove","path":"/spec/engine"}]']);
    await waitFor('engine child, StatefulSet, Service, PDB, ServiceAccount and pods gone', async () => {
      for (const kind of ['engine', 'statefulset', 'service', 'poddisruptionbudget', 'serviceaccount']) {
        if (await getJson(ns, kind, 'full-engine')) return false;
      }
      return (await listJson(ns, 'pods', 'app.kubernetes.io/instance=full-engine')).length === 0;
    }, { timeoutMs: 60_000 });
    const cm = await getJson<Obj>(ns, 'configmap', 'full-config');
    assert.doesNotMatch(cm?.data?.['topology.yaml'] ?? '', /engine/);
    await waitFor('Cluster Ready with 3/3', async () => {
      const c = await getJson<Obj>(ns, 'cluster', 'full');
      return c?.status?.readySummary === '3/3' && conditionOf(c, 'Ready')?.status === 'True';
    });
    assert.ok(await getJson(ns, 'kernel', 'full-kernel'), 'the others stay');
  });

  it('deleting the Cluster removes everything through garbage collection', async (t) => {
    const ns = suite.ns();
    const started = Date.now();
    await kubectlOk(['-n', ns, 'delete', 'cluster', 'full', '--wait=false']);
    const kinds = 'clusters.cluster.engula.io,journals.cluster.engula.io,storages.cluster.engula.io,kernels.cluster.engula.io,engines.cluster.engula.io,statefulsets,services,poddisruptionbudgets,roles,rolebindings,configmaps,serviceaccounts,pods,controllerrevisions';
    const left = await waitFor('nothing left in the namespace', async () => {
      const out = await kubectlOk(['-n', ns, 'get', kinds, '-o', 'name']);
      // Made by Kubernetes for every namespace, not by the operator.
      const names = out.split('\n').filter((l) => l !== '' && l !== 'configmap/kube-root-ca.crt' && l !== 'serviceaccount/default');
      return names.length === 0 ? names : false;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    assert.deepEqual(left, []);
    // The StatefulSets' claims are kept on purpose (persistentVolumeClaimRetentionPolicy Retain):
    // data outlives an accidental delete. They are the only thing left, and they are not the operator's.
    const claims = await listJson<{ metadata: { name: string; ownerReferences?: unknown[] } }>(ns, 'pvc');
    assert.ok(claims.every((c) => /^data-full-(journal|storage|kernel)-\d+$/.test(c.metadata.name) && c.metadata.ownerReferences === undefined), JSON.stringify(claims.map((c) => c.metadata.name)));
    t.diagnostic(`delete → nothing left: ${((Date.now() - started) / 1000).toFixed(1)} s; ${claims.length} PersistentVolumeClaims kept by the Retain policy`);
  });

  it('with persistentVolumeClaimRetentionPolicy whenDeleted Delete, deleting the Cluster leaves not even the claims', async (t) => {
    const ns = suite.ns();
    const volume = '{volume: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}, persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete}}';
    const manifest = `
apiVersion: cluster.engula.io/v1alpha1
kind: Cluster
metadata: {name: gone}
spec:
  name: gone
  image: {name: uhub.service.ucloud.cn/zojw/engula:0.9}
  journal: {replicas: 2, ${volume.slice(1, -1)}}
  storage: {replicas: 2, ${volume.slice(1, -1)}}
  kernel: {replicas: 1}
  engine: {replicas: 1}
`;
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], { input: manifest });
    await waitFor('Cluster gone Ready', async () => conditionOf(await getJson<Obj>(ns, 'cluster', 'gone'), 'Ready')?.status === 'True', { timeoutMs: 120_000, intervalMs: 250 });
    const claimsOf = async () => (await listJson<{ metadata: { name: string } }>(ns, 'pvc')).map((c) => c.metadata.name).filter((n) => n.startsWith('data-gone-'));
    assert.deepEqual((await claimsOf()).sort(), ['data-gone-journal-0', 'data-gone-journal-1', 'data-gone-storage-0', 'data-gone-storage-1']);

    const started = Date.now();
    await kubectlOk(['-n', ns, 'delete', 'cluster', 'gone', '--wait=false']);
    await waitFor('the Cluster, everything under it and its claims gone', async () => {
      const out = await kubectlOk(['-n', ns, 'get', 'all,pvc,configmaps,serviceaccounts,poddisruptionbudgets,roles,rolebindings,engula', '-o', 'name']);
      return out.split('\n').every((l) => !l.includes('gone')) && (await claimsOf()).length === 0;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    t.diagnostic(`delete → nothing left, claims included: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
