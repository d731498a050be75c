// The chart installed, upgraded and uninstalled with the real helm (hack/helm-bin.sh) on a control
// plane of its own: the chart's CRDs (crds/) and cluster-wide objects would otherwise be every test
// file's. `helm install` puts in the CRDs and the operator; kwok never runs the Deployment's
// container, so an operator run out of the cluster (as `make run` runs it) brings a Cluster with
// volumes to Ready; `helm upgrade` with a new replica count and a label changes the release in
// place; `helm uninstall` removes the operator and nothing else: the CRDs, the Cluster, its children,
// StatefulSets, PersistentVolumeClaims and pods are the same objects afterwards, the Cluster still
// Ready, and the deletion-protection policy (helm.sh/resource-policy: keep) still refuses a delete.
// A second install adopts the kept policy. Every command and its output goes to the test's log.
//
// kube-apiserver calls a webhook at its Service's ClusterIP, a fake address here where nothing
// listens. So the chart is installed watching only its own namespace (watchNamespaces, which limits
// its webhooks to it) and the test writes no Engula object there: every Engula write goes to the
// out-of-cluster operator's webhooks on 127.0.0.1, and no traffic leaves the loopback interface.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { CRD_NAMES } from '../../support/crds.ts';
import { runHelm } from '../../support/helm.ts';
import { waitFor, type CommandResult } from '../../support/kube.ts';
import { objectUids, ownControlPlane, planeKubectl, sampleCluster, startLocalOperator, waitClusterReady, type ObjectStatus, type PlaneKubectl } from '../../support/own-control-plane.ts';

const root = resolve(import.meta.dirname, '../../..');
const chart = join(root, 'charts', 'engula-operator');
const RELEASE = 'engula-operator';
const NS = 'engula-system';
const IMAGE = ['--set', 'image.repository=registry.example/engula-operator', '--set', 'image.tag=helm-test'];
/** The chart's webhooks admit only its own namespace, where this test writes no Engula object (see above). */
const WATCH_OWN_NAMESPACE = ['--set', `watchNamespaces={${NS}}`];
const volume = { volume: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } };

interface Deployment {
  metadata: { labels: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: Array<{ image: string; args: string[] }> } } };
  status?: { readyReplicas?: number; updatedReplicas?: number };
}

describe('helm install, upgrade and uninstall of charts/engula-operator, beside a Ready Cluster', { timeout: 900_000 }, () => {
  const own = ownControlPlane();

  test('uninstall keeps the CRDs, the Cluster, its StatefulSets and PVCs, Ready; upgrade applies a changed value', async (t) => {
    const plane = own.plane();
    const kubectl: PlaneKubectl = planeKubectl(plane);
    /** Runs a command and puts it, with its output, in the test's log: the transcript. */
    const record = (command: string, r: CommandResult): CommandResult => {
      t.diagnostic(`$ ${command}\n${[r.stdout.trim(), r.stderr.trim()].filter((s) => s !== '').join('\n')}\n(exit ${r.code})`);
      return r;
    };
    const helm = async (args: string[]) => record(`helm ${args.map((a) => (a === chart ? 'charts/engula-operator' : a)).join(' ')}`, await runHelm(args, { kubeconfig: plane.kubeconfig, timeoutMs: 300_000 }));
    const helmOk = async (args: string[]) => {
      const r = await helm(args);
      assert.equal(r.code, 0, `helm ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const show = async (args: string[]) => record(`kubectl ${args.join(' ')}`, await kubectl.k(args));
    const deployment = () => kubectl.json<Deployment>(['get', 'deployment', RELEASE, '-n', NS]);
    const exists = async (ref: string, namespace?: string) => (await kubectl.kOk(['get', ref, '--ignore-not-found', '-o', 'name', ...(namespace ? ['-n', namespace] : [])])).trim() !== '';

    // Install: the CRDs from crds/, then the operator. --wait: kwok makes its pods Ready.
    const installed = await helmOk(['install', RELEASE, chart, '--namespace', NS, '--create-namespace', ...IMAGE, ...WATCH_OWN_NAMESPACE, '--wait', '--timeout', '3m']);
    assert.match(installed, /STATUS: deployed/);
    assert.match(installed, /REVISION: 1/);
    assert.match(installed, /NOTES:\nengula-operator 0\.1\.0 is installed in namespace engula-system: 2 replicas, leader election on/);
    await show(['get', 'crd', ...CRD_NAMES]);
    await kubectl.kOk(['wait', '--for=condition=Established', '--timeout=60s', ...CRD_NAMES.map((n) => `crd/${n}`)]);
    await show(['get', 'deployment,service,serviceaccount,networkpolicy', '-n', NS]);
    await show(['get', 'validatingwebhookconfiguration,mutatingwebhookconfiguration,validatingadmissionpolicy,validatingadmissionpolicybinding,clusterrole', '-l', `app.kubernetes.io/instance=${RELEASE}`]);
    const first = await deployment();
    assert.equal(first.spec.replicas, 2, 'config/manager\'s two replicas');
    assert.equal(first.status?.readyReplicas, 2);
    assert.equal(first.spec.template.spec.containers[0]!.image, 'registry.example/engula-operator:helm-test');
    assert.ok(first.spec.template.spec.containers[0]!.args.includes(`--namespaces=${NS}`));
    assert.equal(first.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
    const policy = await kubectl.json<{ metadata: { annotations: Record<string, string> } }>(['get', 'validatingadmissionpolicy', 'engula-deletion-protection']);
    assert.equal(policy.metadata.annotations['helm.sh/resource-policy'], 'keep');

    // A database, made and kept Ready by the operator run out of the cluster.
    const operator = await startLocalOperator(plane, kubectl, 'operator-home', 'engula-operator-local');
    own.operatorStarted(operator);
    await kubectl.kOk(['create', 'namespace', 'databases']);
    await kubectl.kOk(['apply', '-f', '-'], JSON.stringify(sampleCluster('keep', 'databases', { journal: { replicas: 1, ...volume }, storage: { replicas: 1, ...volume } })));
    await waitClusterReady(kubectl, 'databases', 'keep', 4);
    const KINDS = ['clusters', 'journals', 'storages', 'kernels', 'engines', 'statefulsets', 'persistentvolumeclaims', 'services', 'pods', 'configmaps'];
    const database = await objectUids(kubectl, 'databases', KINDS);
    assert.equal(Object.keys(database).filter((k) => k.startsWith('statefulsets/')).length, 4);
    assert.equal(Object.keys(database).filter((k) => k.startsWith('persistentvolumeclaims/')).length, 2, 'a claim each for the journal and storage');
    await show(['get', 'engula,statefulsets,persistentvolumeclaims', '-n', 'databases']);

    // Upgrade: a value changed, the change applied in place.
    const upgraded = await helmOk(['upgrade', RELEASE, chart, '--namespace', NS, '--reuse-values', '--set', 'replicas=3', '--set', 'commonLabels.team=databases', '--wait', '--timeout', '3m']);
    assert.match(upgraded, /REVISION: 2/);
    const second = await waitFor('the Deployment to have 3 ready replicas', async () => {
      const d = await deployment();
      return d.status?.readyReplicas === 3 ? d : undefined;
    }, { timeoutMs: 120_000, intervalMs: 1_000 });
    assert.equal(second.spec.replicas, 3);
    assert.equal(second.metadata.labels.team, 'databases');
    assert.ok(second.spec.template.spec.containers[0]!.args.includes(`--namespaces=${NS}`), '--reuse-values kept the first install\'s values');
    const role = await kubectl.json<{ metadata: { labels: Record<string, string> } }>(['get', 'clusterrole', 'engula-operator-manager']);
    assert.equal(role.metadata.labels.team, 'databases', 'commonLabels reach the cluster-wide objects too');
    await show(['get', 'deployment', RELEASE, '-n', NS, '-L', 'team']);
    const history = await helmOk(['history', RELEASE, '--namespace', NS]);
    assert.match(history, /^1\s.*superseded/m);
    assert.match(history, /^2\s.*deployed/m);

    // Uninstall: the operator goes, the databases and what they need stay.
    const uninstalled = await helm(['uninstall', RELEASE, '--namespace', NS, '--wait', '--timeout', '3m']);
    assert.equal(uninstalled.code, 0, uninstalled.stderr);
    assert.match(uninstalled.stdout, /release "engula-operator" uninstalled/);
    assert.match(uninstalled.stdout + uninstalled.stderr, /kept due to the resource policy/);
    assert.ok(!(await exists(`deployment/${RELEASE}`, NS)), 'the Deployment is gone');
    for (const ref of ['validatingwebhookconfiguration/engula-operator', 'mutatingwebhookconfiguration/engula-operator', 'clusterrole/engula-operator-manager', 'clusterrolebinding/engula-operator-manager']) {
      assert.ok(!(await exists(ref)), `${ref} is gone`);
    }
    assert.ok(!(await exists('serviceaccount/engula-operator', NS)), 'the ServiceAccount is gone');
    for (const crd of CRD_NAMES) assert.ok(await exists(`crd/${crd}`), `${crd} stays`);
    assert.ok(await exists('validatingadmissionpolicy/engula-deletion-protection'), 'the deletion-protection policy stays');
    assert.ok(await exists('validatingadmissionpolicybinding/engula-deletion-protection'), 'its binding stays');
    await show(['get', 'deployment,service,serviceaccount,networkpolicy', '-n', NS]);
    await show(['get', 'validatingwebhookconfiguration,mutatingwebhookconfiguration']);
    await show(['get', 'crd', ...CRD_NAMES]);
    await show(['get', 'validatingadmissionpolicy,validatingadmissionpolicybinding']);
    // The garbage collector deletes what has lost its owner: for 10 s, long enough for it to act,
    // every look finds the same objects.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      assert.deepEqual(await objectUids(kubectl, 'databases', KINDS), database, 'the same Cluster, children, StatefulSets, PVCs, Services, pods and ConfigMaps, by uid');
      await new Promise((r) => setTimeout(r, 1_000));
    }
    t.diagnostic(`after helm uninstall, for 10 s: the same ${Object.keys(database).length} objects in namespace databases, by uid (${KINDS.join(', ')})`);
    assert.equal((await kubectl.json<ObjectStatus>(['get', 'cluster', 'keep', '-n', 'databases'])).status?.phase, 'Ready');
    await show(['get', 'engula,statefulsets,persistentvolumeclaims', '-n', 'databases']);

    // The kept policy still guards: a protected Cluster's delete is refused by the API server itself.
    await kubectl.kOk(['patch', 'cluster', 'keep', '-n', 'databases', '--type', 'merge', '-p', '{"spec":{"deletionProtection":true}}']);
    const refused = await waitFor('the delete of the protected Cluster to be refused', async () => {
      const r = await kubectl.k(['delete', 'cluster', 'keep', '-n', 'databases', '--dry-run=server']);
      return r.code !== 0 && r.stderr.includes('engula-deletion-protection') ? r : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    record('kubectl delete cluster keep -n databases --dry-run=server', refused);

    // A second install adopts the kept policy (same release name and namespace) and uninstalls cleanly.
    await helmOk(['install', RELEASE, chart, '--namespace', NS, ...IMAGE, ...WATCH_OWN_NAMESPACE]);
    const adopted = await kubectl.json<{ metadata: { annotations: Record<string, string> } }>(['get', 'validatingadmissionpolicy', 'engula-deletion-protection']);
    assert.equal(adopted.metadata.annotations['meta.helm.sh/release-name'], RELEASE);
    await helmOk(['uninstall', RELEASE, '--namespace', NS, '--wait', '--timeout', '3m']);
    assert.equal((await helmOk(['list', '--all-namespaces', '-q'])).trim(), '', 'no release left');
    assert.equal((await kubectl.json<ObjectStatus>(['get', 'cluster', 'keep', '-n', 'databases'])).status?.phase, 'Ready');
  });
});
