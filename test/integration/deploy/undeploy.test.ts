// `make undeploy` keeps every database, and `make uninstall` refuses while there is one, naming it.
//
// On the shared control plane the CRDs belong to every test file running beside this one, so the
// real make targets run there with a kubectl that sends every read and writes every delete down
// instead of sending it: what undeploy would delete holds no CustomResourceDefinition, and uninstall
// refuses, naming a Cluster and a standalone Journal of this test. On a control plane of its own,
// nothing is pretended: an operator (as `make run` runs it) brings a Cluster to Ready, `make deploy`
// installs the operator's manifests beside it, `make undeploy` refuses while the operator's
// namespace holds an Engula object and then removes the operator, and the Cluster, its children,
// StatefulSets and pods are all still there, the same objects; `make uninstall` refuses, naming
// them, and `make uninstall FORCE=1` removes the CRDs and everything with them.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KINDS, KIND_NAMES } from '../../../api/v1alpha1/kinds.ts';
import { installCrds } from '../../support/crds.ts';
import { kubectlOk, testEnv, testNamespace, suiteCleanup } from '../../support/kube.ts';
import { make, transcript } from '../../support/make.ts';
import { API, objectUids, ownControlPlane, planeKubectl, sampleCluster, startLocalOperator, waitClusterReady, type ObjectStatus } from '../../support/own-control-plane.ts';

const root = resolve(import.meta.dirname, '../../..');
const CRD_NAMES = KIND_NAMES.map((k) => `${KINDS[k].plural}.cluster.engula.io`);

const cluster = (name: string, namespace: string) => sampleCluster(name, namespace);

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
}

describe('on the shared control plane, with every delete written down instead of sent', () => {
  const cleanup = suiteCleanup();
  let dir = '';
  let wrapper = '';
  let ns = '';

  /** The deletes the make target asked for: their arguments and what came on stdin. */
  const deletes = (): Array<{ args: string; input: string }> => {
    if (!existsSync(join(dir, 'deletes'))) return [];
    return readFileSync(join(dir, 'deletes'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [id, ...args] = line.split(' ');
        return { args: args.join(' '), input: readFileSync(join(dir, `delete-${id}.input`), 'utf8') };
      });
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engula-undeploy-'));
    cleanup.after(async () => rmSync(dir, { recursive: true, force: true }));
    // kubectl as make runs it, except that a delete never reaches the API server: the CRDs here are
    // every test file's, and a bug in the refusal must not take them away from the others.
    wrapper = join(dir, 'kubectl');
    writeFileSync(
      wrapper,
      [
        '#!/bin/sh',
        'for a in "$@"; do',
        '  if [ "$a" = delete ]; then',
        '    id=$$',
        `    cat > "${dir}/delete-$id.input"`,
        `    echo "$id $*" >> "${dir}/deletes"`,
        '    exit 0',
        '  fi',
        'done',
        `exec "${join(testEnv().binDir, 'kubectl')}" "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(wrapper, 0o755);
    await installCrds();
    ns = await testNamespace(cleanup, 'undeploy');
    await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(cluster('keep', ns)) });
    await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: API, kind: 'Journal', metadata: { name: 'lone', namespace: ns }, spec: { replicas: 1, clusterName: 'lone' } }) });
  });
  after(() => cleanup.run());

  test('make undeploy deletes the operator as config/default renders it, and no CustomResourceDefinition', async (t) => {
    const r = await make('undeploy', { KUBECTL: wrapper }, testEnv().kubeconfig);
    t.diagnostic(transcript(r));
    assert.equal(r.code, 0, transcript(r));
    const [only, ...more] = deletes();
    assert.ok(only && more.length === 0, `one delete: ${JSON.stringify(deletes())}`);
    assert.equal(only.args, 'delete --ignore-not-found -f -');
    const items = (JSON.parse(only.input) as { items: Manifest[] }).items;
    const kinds = new Set(items.map((i) => i.kind));
    assert.ok(!kinds.has('CustomResourceDefinition'), `undeploy would delete a CRD: ${[...kinds].join(', ')}`);
    for (const k of ['Namespace', 'Deployment', 'ClusterRole', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) assert.ok(kinds.has(k), `undeploy deletes the operator's ${k}`);
    // The same set `kubectl kustomize config/default` renders, nothing added, nothing dropped.
    const rendered = (await kubectlOk(['kustomize', join(root, 'config/default')])).split(/^---$/m).length;
    assert.equal(items.length, rendered);
  });

  test("make uninstall refuses while a Cluster exists, naming it and the standalone Journal, and deletes nothing", async (t) => {
    const before = deletes().length;
    const r = await make('uninstall', { KUBECTL: wrapper }, testEnv().kubeconfig);
    t.diagnostic(transcript(r));
    assert.notEqual(r.code, 0, transcript(r));
    assert.match(r.stderr, /make uninstall refused: deleting the CRDs deletes every Engula object, and the cluster holds \d+ Engula objects? in \d+ namespaces?:/);
    assert.match(r.stderr, new RegExp(`^  Cluster \\(\\d+\\): .*\\b${ns}/keep\\b`, 'm'));
    assert.match(r.stderr, new RegExp(`^  Journal \\(\\d+\\): .*\\b${ns}/lone\\b`, 'm'));
    assert.match(r.stderr, /make uninstall FORCE=1/);
    assert.equal(deletes().length, before, 'nothing was deleted');
  });

  test('make uninstall FORCE=1 says what goes, then deletes the CRDs and the deletion-protection policy', async (t) => {
    const before = deletes().length;
    const r = await make('uninstall', { KUBECTL: wrapper, FORCE: '1' }, testEnv().kubeconfig);
    t.diagnostic(transcript(r));
    assert.equal(r.code, 0, transcript(r));
    assert.match(r.stderr, new RegExp(`make uninstall FORCE=1: deleting \\d+ Engula objects? in \\d+ namespaces? with the CRDs:[^]*${ns}/keep`));
    assert.deepEqual(deletes().slice(before).map((d) => d.args), [
      `delete --ignore-not-found -f ${join(root, 'config', 'crd', 'bases')}`,
      // The deletion-protection policy came with the CRDs (make install) and goes with them.
      `delete --ignore-not-found -k ${join(root, 'config', 'policy')}`,
    ]);
  });
});

describe('on a control plane of its own: make deploy, make undeploy and make uninstall for real, beside a Ready Cluster', { timeout: 900_000 }, () => {
  const own = ownControlPlane();

  test('undeploy leaves the Cluster, its children, StatefulSets and pods as they were; uninstall refuses, then FORCE=1 removes all', async (t) => {
    const plane = own.plane();
    const kubectl = planeKubectl(plane);
    const { path: kubectlPath, k, kOk, json } = kubectl;
    const makeHere = async (target: string, vars: Record<string, string> = {}) => {
      const r = await make(target, { KUBECTL: kubectlPath, ...vars }, plane.kubeconfig);
      t.diagnostic(`make ${target}${Object.entries(vars).map(([a, b]) => ` ${a}=${b}`).join('')}\n${transcript(r)}`);
      return r;
    };

    const install = await makeHere('install');
    assert.equal(install.code, 0, transcript(install));
    await kOk(['wait', '--for=condition=Established', '--timeout=60s', ...CRD_NAMES.map((n) => `crd/${n}`)]);

    // The operator as `make run` runs it, with its own webhook configuration name so the one
    // config/webhook ships (which `make deploy` installs, and undeploy removes) is another object.
    const operator = await startLocalOperator(plane, kubectl, 'operator-home', 'engula-operator-local');
    own.operatorStarted(operator);

    // A database, and (made before the operator's namespace is installed, as a person might) an
    // Engula object in that namespace.
    await kOk(['create', 'namespace', 'databases']);
    await kOk(['apply', '-f', '-'], JSON.stringify(cluster('keep', 'databases')));
    await kOk(['create', 'namespace', 'engula-system']);
    await kOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: API, kind: 'Engine', metadata: { name: 'misplaced', namespace: 'engula-system' }, spec: { replicas: 1, clusterName: 'misplaced' } }));

    await waitClusterReady(kubectl, 'databases', 'keep', 4);
    const databaseObjects = () => objectUids(kubectl, 'databases', ['clusters', 'journals', 'storages', 'kernels', 'engines', 'statefulsets', 'services', 'pods', 'configmaps']);
    const beforeUndeploy = await databaseObjects();
    assert.equal(Object.keys(beforeUndeploy).filter((key) => key.startsWith('pods/')).length, 4);
    assert.equal(Object.keys(beforeUndeploy).filter((key) => key.startsWith('statefulsets/')).length, 4);

    const deploy = await makeHere('deploy', { IMG: 'engula-operator:undeploy-test' });
    assert.equal(deploy.code, 0, transcript(deploy));
    await kOk(['get', 'deployment', '-n', 'engula-system', 'engula-operator']);

    // The operator's namespace holds an Engula object: deleting the namespace would delete it.
    const refused = await makeHere('undeploy');
    assert.notEqual(refused.code, 0, transcript(refused));
    assert.match(refused.stderr, /make undeploy refused: it deletes the namespace engula-system, which holds 1 Engula object in 1 namespace:\n {2}Engine \(1\): engula-system\/misplaced\n/);
    await kOk(['get', 'deployment', '-n', 'engula-system', 'engula-operator']);
    await kOk(['delete', 'engine', 'misplaced', '-n', 'engula-system', '--wait=true', '--timeout=60s']);

    const undeploy = await makeHere('undeploy');
    assert.equal(undeploy.code, 0, transcript(undeploy));
    assert.match(undeploy.stdout, /deployment\.apps "engula-operator" deleted/);
    assert.ok(!/customresourcedefinition/i.test(undeploy.stdout), undeploy.stdout);
    const gone = await k(['get', 'deployment', '-n', 'engula-system', 'engula-operator', '--ignore-not-found', '-o', 'name']);
    assert.equal(gone.stdout.trim(), '', 'the operator is gone');
    for (const crd of CRD_NAMES) await kOk(['get', 'crd', crd]);
    // Long enough for the garbage collector to act on anything that lost its owner.
    await new Promise((r) => setTimeout(r, 10_000));
    assert.deepEqual(await databaseObjects(), beforeUndeploy, 'the same Cluster, children, StatefulSets, Services, pods and ConfigMaps, by uid');
    assert.equal((await json<ObjectStatus>(['get', 'cluster', 'keep', '-n', 'databases'])).status?.phase, 'Ready');

    const uninstall = await makeHere('uninstall');
    assert.notEqual(uninstall.code, 0, transcript(uninstall));
    assert.equal(
      uninstall.stderr.split('\n').slice(0, 6).join('\n'),
      [
        'make uninstall refused: deleting the CRDs deletes every Engula object, and the cluster holds 5 Engula objects in 1 namespace:',
        '  Cluster (1): databases/keep',
        '  Journal (1): databases/keep-journal',
        '  Storage (1): databases/keep-storage',
        '  Kernel (1): databases/keep-kernel',
        '  Engine (1): databases/keep-engine',
      ].join('\n'),
    );
    for (const crd of CRD_NAMES) await kOk(['get', 'crd', crd]);
    assert.deepEqual(await databaseObjects(), beforeUndeploy);

    const forced = await makeHere('uninstall', { FORCE: '1' });
    assert.equal(forced.code, 0, transcript(forced));
    assert.match(forced.stderr, /make uninstall FORCE=1: deleting 5 Engula objects in 1 namespace with the CRDs:\n {2}Cluster \(1\): databases\/keep\n/);
    for (const crd of CRD_NAMES) assert.equal((await k(['get', 'crd', crd, '--ignore-not-found', '-o', 'name'])).stdout.trim(), '', `${crd} is gone`);
    assert.notEqual((await k(['get', 'clusters.cluster.engula.io', '-A'])).code, 0, 'no Cluster is served any more');
  });
});
