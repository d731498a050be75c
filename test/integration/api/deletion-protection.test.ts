// spec.deletionProtection, enforced by the API server with the ValidatingAdmissionPolicy shipped in
// config/policy, while no operator runs: `kubectl delete` of a protected Cluster, of a child it
// controls and of a standalone child is refused with a message that says how to turn it off; once it
// is off, the delete goes through. A protected Cluster's children (made by the operator, which then
// stops, so they still carry the Cluster's protection) are deleted by the garbage collector once the
// Cluster's own protection is off and the Cluster is deleted.
//
// The policy and its binding are cluster-scoped and shared with every test file running beside this
// one: they are applied as shipped (idempotent) and never deleted. They refuse only objects whose
// spec.deletionProtection is true, which only this file sets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { childName } from '../../../controllers/desired/meta.ts';
import { COMPONENTS, COMPONENT_KINDS, KINDS } from '../../../api/v1alpha1/kinds.ts';
import { kubectl, kubectlOk, waitFor } from '../../support/kube.ts';
import { getJson, installCrds, listJson, startOperator, testConfigurationName } from '../../support/operator.ts';
import { namespaceSuite } from '../../support/suite.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
const API = 'cluster.engula.io/v1alpha1';
const POLICY = 'engula-deletion-protection';
const IMAGE = 'uhub.service.ucloud.cn/zojw/engula:0.9';
const unprotect = JSON.stringify({ spec: { deletionProtection: false } });

interface Child {
  metadata: { name: string; uid: string; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }> };
  spec: { deletionProtection?: boolean };
}

/** Applies config/policy as shipped, server-side, taking over what another run applied. */
async function installPolicy(): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-k', resolve(root, 'config/policy')]);
}

/**
 * The API server enforces a new policy a moment after it is written: wait until a server-side dry
 * run of the delete of `kind/name` (protected) is refused by it.
 */
async function waitUntilEnforced(ns: string, kind: string, name: string): Promise<void> {
  await waitFor(`policy ${POLICY} enforced on ${kind} ${name}`, async () => {
    const r = await kubectl(['-n', ns, 'delete', kind, name, '--dry-run=server']);
    return r.code !== 0 && r.stderr.includes(`ValidatingAdmissionPolicy '${POLICY}'`);
  }, { timeoutMs: 30_000, intervalMs: 250 });
}

/** A write with no webhook left to call may at first still reach the stopped operator's: retry it. */
function patchUntilAdmitted(ns: string, kind: string, name: string, patch: string): Promise<string> {
  return waitFor(`kubectl patch ${kind} ${name} admitted`, async () => {
    const r = await kubectl(['-n', ns, 'patch', kind, name, '--type', 'merge', '-p', patch]);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout;
  }, { timeoutMs: 30_000, intervalMs: 500 });
}

/** Turns protection off on whatever is left in `ns`, so the namespace can go when the test ends. */
async function unprotectAll(ns: string): Promise<void> {
  const r = await kubectl(['-n', ns, 'get', 'engula', '-o', 'name']);
  for (const ref of r.stdout.split('\n').filter((l) => l !== '')) {
    await kubectl(['-n', ns, 'patch', ref, '--type', 'merge', '-p', unprotect]);
  }
}

describe('spec.deletionProtection, enforced by the API server while the operator is stopped', { concurrency: false }, () => {
  const suite = namespaceSuite('api-delprot', {
    install: async () => {
      await installCrds();
      await installPolicy();
    },
  });
  before(() => {
    // Runs before the namespace is deleted (clean-ups run newest first).
    suite.cleanup.after(async () => unprotectAll(suite.ns()));
  });

  it('the policy ships with the CRDs (make install), not with the operator (make undeploy keeps it), and the API server type-checks it without a warning', async () => {
    const rendered = await kubectlOk(['kustomize', resolve(root, 'config/policy')]);
    assert.match(rendered, new RegExp(`kind: ValidatingAdmissionPolicy\\n(.*\\n)*?  name: ${POLICY}\\n`));
    assert.match(rendered, /kind: ValidatingAdmissionPolicyBinding\n/);
    assert.doesNotMatch(await kubectlOk(['kustomize', resolve(root, 'config/default')]), /ValidatingAdmissionPolicy/, 'undeploy deletes what config/default renders');
    assert.match(readFileSync(resolve(root, 'Makefile'), 'utf8'), /^install:.*\n(\t.*\n)*\t\$\(KUBECTL\) apply --server-side -k config\/policy$/m, 'make install applies it');
    const status = await waitFor('the policy type-checked', async () => {
      const p = await getJson<{ metadata: { generation: number }; status?: { observedGeneration?: number; typeChecking?: { expressionWarnings?: unknown[] } } }>('', 'validatingadmissionpolicy', POLICY);
      return p?.status?.observedGeneration === p?.metadata.generation ? p?.status : undefined;
    });
    assert.deepEqual(status.typeChecking?.expressionWarnings ?? [], [], 'every CEL expression type-checks against the CRDs');
  });

  it('refuses to delete a protected Cluster and the children it controls; once the Cluster\'s protection is off, the garbage collector deletes them all', { timeout: 240_000 }, async (t) => {
    const ns = suite.ns();
    // The operator makes the children (carrying the Cluster's protection), then stops.
    const operator = await startOperator(t, [ns]);
    await kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: API,
        kind: 'Cluster',
        metadata: { name: 'app', namespace: ns },
        spec: { name: 'app', deletionProtection: true, image: { name: IMAGE }, ...Object.fromEntries(COMPONENTS.map((c) => [c, { replicas: 1 }])) },
      }),
    });
    const childRefs = COMPONENTS.map((c) => ({ kind: KINDS[COMPONENT_KINDS[c]].plural, name: childName('app', c) }));
    const children = await waitFor('the four children, protected as their Cluster, and the journal\'s StatefulSet', async () => {
      const got = await Promise.all(childRefs.map((r) => getJson<Child>(ns, r.kind, r.name)));
      const sts = await getJson(ns, 'statefulset', childName('app', 'journal'));
      return got.every((c) => c?.spec.deletionProtection === true) && sts ? (got as Child[]) : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    for (const c of children) assert.ok(c.metadata.ownerReferences?.some((r) => r.kind === 'Cluster' && r.name === 'app' && r.controller === true), `${c.metadata.name} is controlled by Cluster app`);
    assert.equal(await operator.stop(), 0, 'the operator stopped cleanly');
    // Down as after a crash too: no webhook configuration of this operator left registered.
    const configurations = [`validatingwebhookconfiguration/${testConfigurationName([ns])}`, `mutatingwebhookconfiguration/${testConfigurationName([ns])}`];
    t.diagnostic(`webhook configurations left after SIGTERM: ${(await kubectlOk(['get', '--ignore-not-found', '-o', 'name', ...configurations])).trim() || 'none'}`);
    await kubectlOk(['delete', '--ignore-not-found', ...configurations]);
    await waitUntilEnforced(ns, 'cluster', 'app');

    const refused = await kubectl(['-n', ns, 'delete', 'cluster', 'app']);
    t.diagnostic(`kubectl delete cluster app: exit ${refused.code}: ${refused.stderr.trim()}`);
    assert.notEqual(refused.code, 0, 'the delete of a protected Cluster was admitted');
    assert.equal(
      refused.stderr.trim(),
      `Error from server (Forbidden): clusters.cluster.engula.io "app" is forbidden: ValidatingAdmissionPolicy '${POLICY}' with binding '${POLICY}' denied request: ` +
        `Cluster ${ns}/app has spec.deletionProtection: true: set it to false first: kubectl patch cluster app -n ${ns} --type merge -p '${unprotect}'`,
    );
    const journal = childName('app', 'journal');
    const refusedChild = await kubectl(['-n', ns, 'delete', 'journal', journal]);
    t.diagnostic(`kubectl delete journal ${journal}: exit ${refusedChild.code}: ${refusedChild.stderr.trim()}`);
    assert.notEqual(refusedChild.code, 0, 'the delete of a protected child was admitted');
    assert.ok(
      refusedChild.stderr.includes(`Journal ${ns}/${journal} has spec.deletionProtection: true, given by its Cluster app: set it to false on the Cluster: kubectl patch cluster app -n ${ns} --type merge -p '${unprotect}'`),
      refusedChild.stderr,
    );
    // `kubectl delete engula --all` deletes one object at a time: each is refused.
    const all = await kubectl(['-n', ns, 'delete', 'engula', '--all']);
    assert.notEqual(all.code, 0);
    assert.equal((all.stderr.match(/denied request/g) ?? []).length, 5, all.stderr);
    assert.ok(await getJson(ns, 'cluster', 'app'), 'the Cluster is still there');
    for (const r of childRefs) assert.equal((await getJson<Child>(ns, r.kind, r.name))?.metadata.uid, children.find((c) => c.metadata.name === r.name)?.metadata.uid, `${r.name} is still there, the same object`);

    // Off on the Cluster only: with no operator running, the children keep the protection it gave them.
    await patchUntilAdmitted(ns, 'cluster', 'app', unprotect);
    for (const r of childRefs) assert.equal((await getJson<Child>(ns, r.kind, r.name))?.spec.deletionProtection, true, `${r.name} still protected`);
    await kubectlOk(['-n', ns, 'delete', 'cluster', 'app', '--wait=true', '--timeout=60s']);
    await waitFor('the garbage collector to delete every child and what they own', async () => {
      const left = [...(await listJson<Child>(ns, 'engula')), ...(await listJson<Child>(ns, 'statefulsets,services,serviceaccounts,poddisruptionbudgets,configmaps'))].filter((o) => o.metadata.name.startsWith('app-'));
      return left.length === 0 ? true : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500 });
  });

  it('refuses to delete a protected standalone child until its protection is off', async (t) => {
    const ns = suite.ns();
    await kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: API, kind: 'Engine', metadata: { name: 'solo-engine', namespace: ns }, spec: { clusterName: 'solo', deletionProtection: true, replicas: 1, image: { name: IMAGE } } }),
    });
    await waitUntilEnforced(ns, 'engine', 'solo-engine');
    const refused = await kubectl(['-n', ns, 'delete', 'engine', 'solo-engine']);
    t.diagnostic(`kubectl delete engine solo-engine: exit ${refused.code}: ${refused.stderr.trim()}`);
    assert.notEqual(refused.code, 0);
    assert.ok(
      refused.stderr.includes(`Engine ${ns}/solo-engine has spec.deletionProtection: true: set it to false first: kubectl patch engine solo-engine -n ${ns} --type merge -p '${unprotect}'`),
      refused.stderr,
    );
    await kubectlOk(['-n', ns, 'patch', 'engine', 'solo-engine', '--type', 'merge', '-p', unprotect]);
    await kubectlOk(['-n', ns, 'delete', 'engine', 'solo-engine', '--wait=true', '--timeout=30s']);
    assert.equal(await getJson(ns, 'engine', 'solo-engine'), undefined);
  });

  it('lets anything else through: an unprotected object, and every write but DELETE', async () => {
    const ns = suite.ns();
    await kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: API, kind: 'Storage', metadata: { name: 'solo-storage', namespace: ns }, spec: { clusterName: 'solo', deletionProtection: true, replicas: 1, image: { name: IMAGE } } }),
    });
    await waitUntilEnforced(ns, 'storage', 'solo-storage');
    await kubectlOk(['-n', ns, 'patch', 'storage', 'solo-storage', '--type', 'merge', '-p', '{"spec":{"replicas":2}}']);
    await kubectlOk(['-n', ns, 'patch', 'storage', 'solo-storage', '--type', 'merge', '-p', unprotect]);
    await kubectlOk(['-n', ns, 'delete', 'storage', 'solo-storage', '--wait=true', '--timeout=30s']);
  });
});
