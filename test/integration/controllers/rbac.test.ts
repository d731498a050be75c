// The operator needs exactly what config/rbac grants it, no less and no more. Two replicas run as
// deployed (webhooks on, leader election on) under a ServiceAccount token bound by exactly the
// shipped manifests (not the admin certificate), on a control plane that enforces owner-reference
// permissions (OwnerReferencesPermissionEnforcement). They converge the full sample, scale, repair
// a deleted StatefulSet, drop a component and delete the Cluster. Then the API calls both replicas
// recorded are compared with the rules, both ways: every call is allowed, and every rule was used,
// except those the operator holds only so it may grant them to the kernel (RBAC forbids granting
// what one does not hold).
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { KINDS } from '../../../api/v1alpha1/kinds.ts';
import { kubectl, kubectlOk, testNamespace, waitFor } from '../../support/kube.ts';
import { conditionOf, getJson, installCrds, listJson, type ConditionLike } from '../../support/operator.ts';
import { allows, apiCallOf, permissionsGranted, permissionsUsed } from '../../support/rbac-audit.ts';
import { startReplicas } from '../../support/replicas.ts';
import { AUDIENCE, closeAdmin, installScalerRole, mintToken, rawCall, scalePath, serviceAccount } from '../../support/scaling-callers.ts';
import { readRequestLog } from '../../support/request-log.ts';
import { shippedRbac } from '../../support/shipped-rbac.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');


test('the operator makes exactly the API calls config/rbac allows, and uses every permission it is given', { timeout: 300_000 }, async (t) => {
  await installCrds();
  const ns = await testNamespace(t, 'ctrl-rbac');
  const { kubeconfig, clusterRules, namespaceRules } = await shippedRbac(t, ns);
  assert.ok(clusterRules.length > 0 && namespaceRules.length > 0, 'the ClusterRole and the leader election Role are in config/rbac');
  assert.match(await kubectlOk(['--kubeconfig', kubeconfig, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']), new RegExp(`system:serviceaccount:${ns}:engula-operator`));

  // The configurations carry the shipped name, which the ClusterRole's resourceNames allow.
  const replicas = await startReplicas(t, [ns], {
    configurationName: 'engula-operator',
    // Later flags win: this kubeconfig replaces the admin one startOperator passes first.
    // A short-lived serving certificate, so the run includes its renewal (an update of the Secret).
    extraArgs: ['--kubeconfig', kubeconfig, '--webhook-cert-validity=30s'],
  });

  const clusterReady = (what: string) =>
    waitFor(what, async () => {
      // The API server's refusals of the operator's own calls (not the webhook's refusals it logs).
      const refusals = replicas.logs().split('\n').filter((l) => /403 Forbidden/.test(l));
      if (refusals.length > 0) throw new Error(`the operator was refused: ${refusals.slice(0, 3).join('\n')}`);
      const c = await getJson<{ metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: ConditionLike[] } }>(ns, 'cluster', 'full');
      return conditionOf(c, 'Ready')?.status === 'True' && c?.status?.observedGeneration === c?.metadata.generation;
    }, { timeoutMs: 120_000, intervalMs: 500 });
  await kubectlOk(['-n', ns, 'apply', '-f', resolve(root, 'samples/cluster-full.yaml')]);
  await clusterReady('Cluster full Ready under the operator\'s own RBAC');
  // No Engula line calls the Kubernetes API: the operator grants its pods nothing.
  const rolesOfCluster = (await listJson<{ metadata: { name: string } }>(ns, 'roles,rolebindings')).map((r) => r.metadata.name).filter((n) => n.startsWith('full-'));
  assert.deepEqual(rolesOfCluster, [], 'no Role or RoleBinding for any Engula component');
  const lease = await getJson<{ spec?: { holderIdentity?: string } }>(ns, 'lease', 'engula-operator-leader');
  assert.ok(lease?.spec?.holderIdentity, 'a replica holds the leader election Lease');
  const events = await waitFor('the Created events on the Cluster', async () => {
    const out = await kubectlOk(['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.kind=Cluster,involvedObject.name=full,reason=Created', '-o', 'jsonpath={.items[*].message}']);
    return out.includes('Journal full-journal') && out.includes('Engine full-engine') ? out : undefined;
  }, { timeoutMs: 30_000 });
  assert.match(events, /Created (.*, )?Kernel full-kernel/);

  // blockOwnerDeletion on an owner reference needs `update` on the owner's finalizers, which no call shows.
  const owned = JSON.parse(await kubectlOk(['-n', ns, 'get', 'engula,statefulsets,services,serviceaccounts,poddisruptionbudgets,configmaps,roles,rolebindings', '-o', 'json'])) as {
    items: Array<{ metadata: { ownerReferences?: Array<{ apiVersion: string; kind: string; blockOwnerDeletion?: boolean }> } }>;
  };
  const ownerFinalizers = new Set<string>();
  for (const o of owned.items) {
    for (const ref of o.metadata.ownerReferences ?? []) {
      if (!ref.blockOwnerDeletion) continue;
      const plural = Object.values(KINDS).find((k) => k.kind === ref.kind)?.plural ?? `${ref.kind.toLowerCase()}s`;
      ownerFinalizers.add(`${ref.apiVersion.split('/')[0]}/${plural}/finalizers:update`);
    }
  }

  // Scale, repair, remove a component, delete: every kind of write the operator makes.
  // The scale-up comes through the scaling API, as an in-cluster autoscaler makes it: a replica
  // reviews the caller's token and right (tokenreviews, subjectaccessreviews) and patches the Cluster.
  await installScalerRole();
  t.after(async () => closeAdmin());
  await serviceAccount(ns, 'autoscaler', { clusterRole: 'engula-cluster-scaler' });
  const ca = Buffer.from(await kubectlOk(['get', 'secret', 'engula-operator-webhook-cert', '-n', ns, '-o', 'jsonpath={.data.ca-bundle\\.crt}']), 'base64').toString('utf8');
  const scaled = await rawCall(replicas.balancer.url, ca, 'PUT', scalePath(ns, 'full', 'engine'), {
    headers: { Authorization: `Bearer ${await mintToken(ns, 'autoscaler', [AUDIENCE])}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 3 } }),
  });
  assert.equal(scaled.code, 200, JSON.stringify(scaled.body));
  await clusterReady('the engine scaled');
  // Back down: the same "Updated" Events again, which the recorder counts on the existing Event (a PATCH).
  const back = await rawCall(replicas.balancer.url, ca, 'PUT', scalePath(ns, 'full', 'engine'), {
    headers: { Authorization: `Bearer ${await mintToken(ns, 'autoscaler', [AUDIENCE])}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 2 } }),
  });
  assert.equal(back.code, 200, JSON.stringify(back.body));
  await clusterReady('the engine scaled back');
  // A hand scale of an owned child is refused; admission checks a refusal against the API server's
  // own copy of the child and its Cluster (a GET of each kind), never a cache's alone.
  for (const kind of ['journal', 'storage', 'kernel', 'engine']) {
    const r = await kubectl(['-n', ns, 'scale', kind, `full-${kind}`, '--replicas=7']);
    assert.notEqual(r.code, 0, `kubectl scale ${kind} was admitted`);
    assert.match(r.stderr, new RegExp(`belongs to Cluster full`), r.stderr);
  }
  await kubectlOk(['-n', ns, 'delete', 'statefulset', 'full-engine', '--wait=false']);
  await waitFor('the deleted StatefulSet made again', async () => (await getJson<{ metadata: { uid: string } }>(ns, 'statefulset', 'full-engine')) !== undefined, { timeoutMs: 60_000 });
  await clusterReady('the engine back');
  await kubectlOk(['-n', ns, 'patch', 'cluster', 'full', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/engine"}]']);
  await waitFor('the engine child deleted', async () => (await getJson(ns, 'engine', 'full-engine')) === undefined, { timeoutMs: 60_000 });
  // Every other component too (the stateful ones only once the Cluster allows it): each kind's delete.
  await kubectlOk(['-n', ns, 'patch', 'cluster', 'full', '--type', 'merge', '-p', '{"spec":{"allowScaleDown":true}}']);
  await kubectlOk(['-n', ns, 'patch', 'cluster', 'full', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/kernel"},{"op":"remove","path":"/spec/storage"},{"op":"remove","path":"/spec/journal"}]']);
  await waitFor('every child deleted by the operator', async () => (await listJson(ns, 'journals,storages,kernels')).length === 0, { timeoutMs: 60_000 });
  await kubectlOk(['-n', ns, 'delete', 'cluster', 'full', '--wait=true', '--timeout=60s']);
  await waitFor('every child gone', async () => (await listJson(ns, 'engula')).length === 0, { timeoutMs: 60_000 });
  // The serving certificate lives 30 s and is renewed with a third of it left: wait for a renewal
  // (an update of the Secret), whatever the speed of the steps above.
  const servingCert = async (): Promise<string | undefined> => (await getJson<{ data?: Record<string, string> }>(ns, 'secret', 'engula-operator-webhook-cert'))?.data?.['tls.crt'];
  const firstCert = await servingCert();
  await waitFor('the serving certificate renewed in its Secret', async () => (await servingCert()) !== firstCert, { timeoutMs: 60_000, intervalMs: 1_000 });
  await Promise.all(replicas.processes.map((p) => p.stop()));

  const records = replicas.processes.flatMap((p) => readRequestLog(p.requestLog));
  assert.ok(records.length > 100, `the replicas recorded their requests (${records.length})`);
  const refused = records.filter((r) => r.code === 403);
  assert.deepEqual(refused.map((r) => `${r.method} ${r.path}`), [], 'no request was refused for lack of permission');
  const missing = new Set<string>();
  for (const r of records) {
    if (r.at !== 'done') continue;
    const call = apiCallOf(r.method, r.path, r.query ?? '');
    if (!call) continue;
    const ok = allows(clusterRules, call) || (call.namespace === ns && allows(namespaceRules, call));
    if (!ok) missing.add(`${r.method} ${r.path}${r.query ?? ''}`);
  }
  assert.deepEqual([...missing], [], 'every call the operator made is allowed by config/rbac');
  const used = permissionsUsed(records);
  const unused = [...permissionsGranted([...clusterRules, ...namespaceRules])]
    // ServiceMonitors need the Prometheus Operator's CRD, which only monitoring.test.ts installs; that
    // file runs the operator under these rules too and checks the monitoring permissions are used.
    .filter((p) => !p.startsWith('monitoring.coreos.com/'))
    // The pod of a roll step is read only while a roll waits on it, which rollout.test.ts shows.
    .filter((p) => p !== '/pods:get')
    // An owned object is read with a GET only when its first write (a create-only apply) finds its
    // name taken, to see whose it is, which takeover.test.ts shows.
    .filter((p) => !['/configmaps:get', '/serviceaccounts:get', '/services:get', 'apps/statefulsets:get', 'policy/poddisruptionbudgets:get'].includes(p))
    // A child is updated only to unprotect it when its component leaves a protected Cluster (deletion-protection.test.ts).
    .filter((p) => !/^cluster\.engula\.io\/(journals|storages|kernels|engines):update$/.test(p))
    .filter((p) => !used.has(p) && !ownerFinalizers.has(p))
    .sort();
  t.diagnostic(`permissions used: ${[...used].sort().join(' ')}`);
  assert.deepEqual(unused, [], 'config/rbac grants nothing the operator does not use');
});
