// The garbage collector learns of a new kind from discovery, which it re-reads every 30 s. Until it
// watches a kind, it knows no dependents of that kind: deleting an owner with --cascade=orphan then
// orphans nothing, and once it does watch the kind, it finds their owner gone and deletes them. A
// test that deletes an owner just after the CRDs were installed first waits until the collector
// watches the dependents' kinds.
import { randomBytes } from 'node:crypto';
import { kubectl, kubectlOk, waitFor } from './kube.ts';

/**
 * Shows that the garbage collector watches each of `kinds` (as `kind.group`, e.g.
 * journals.cluster.engula.io, with `object` making a valid one named `name`): a canary of each, owned
 * by a ConfigMap, is collected once the ConfigMap is deleted.
 */
export async function waitUntilCollectorWatches(namespace: string, canaries: Array<{ resource: string; object: (name: string) => Record<string, unknown> }>): Promise<void> {
  const owner = `gc-canary-owner-${randomBytes(3).toString('hex')}`;
  await kubectlOk(['create', 'configmap', '-n', namespace, owner]);
  const uid = (JSON.parse(await kubectlOk(['get', 'configmap', '-n', namespace, owner, '-o', 'json'])) as { metadata: { uid: string } }).metadata.uid;
  const names = canaries.map((c, i) => ({ resource: c.resource, name: `${owner}-${i}`, object: c.object(`${owner}-${i}`) }));
  for (const c of names) {
    const obj = { ...c.object, metadata: { ...(c.object.metadata as object), name: c.name, namespace, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid }] } };
    await kubectlOk(['create', '-f', '-'], { input: JSON.stringify(obj) });
  }
  await kubectlOk(['delete', 'configmap', '-n', namespace, owner, '--wait=false']);
  for (const c of names) {
    await waitFor(`the garbage collector to collect ${c.resource} ${c.name} (it watches ${c.resource})`, async () => {
      const r = await kubectl(['get', c.resource, '-n', namespace, c.name, '--ignore-not-found', '-o', 'name']);
      return r.code === 0 && r.stdout.trim() === '';
    }, { timeoutMs: 90_000, intervalMs: 500 });
  }
}
