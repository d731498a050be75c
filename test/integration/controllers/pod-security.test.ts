// Pods a hardened cluster admits (issue 20): the original engula-operator's own sample reaches Ready
// in a namespace enforcing Pod Security `restricted` (and one enforcing `baseline`) with no setting;
// an override with an assigned user range, as OpenShift's restricted-v2 assigns it, too; and a
// spread constraint without labelSelector reaches the StatefulSet with the component's labels.
// The API server's own Pod Security admission judges every pod the StatefulSet controller creates.
// And when the cluster refuses pods (here a ResourceQuota), the child's status and an Event say why.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { kubectlOk, suiteCleanup, testNamespace, waitFor } from '../../support/kube.ts';
import { conditionOf, getJson, installCrds, listJson, startOperator, type ConditionLike } from '../../support/operator.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
const original = parse(readFileSync(resolve(root, 'samples/cluster-original.yaml'), 'utf8')) as { metadata: { name: string }; spec: Record<string, Record<string, unknown>> };

interface Pod {
  metadata: { name: string };
  spec: { securityContext?: Record<string, unknown>; containers: Array<{ securityContext?: Record<string, unknown> }> };
  status: { phase: string; conditions?: ConditionLike[] };
}

async function readyIn(ns: string, name: string): Promise<void> {
  await waitFor(`Cluster ${name} Ready in ${ns}`, async () => conditionOf(await getJson<{ status?: { conditions?: ConditionLike[] } }>(ns, 'cluster', name), 'Ready')?.status === 'True', { timeoutMs: 180_000, intervalMs: 500 });
}

describe('Pod Security', () => {
  const cleanup = suiteCleanup();
  const ns: Record<'restricted' | 'baseline' | 'quota', string> = { restricted: '', baseline: '', quota: '' };
  before(async () => {
    await installCrds();
    for (const level of ['restricted', 'baseline'] as const) {
      ns[level] = await testNamespace(cleanup, `ctrl-pss-${level}`, { 'pod-security.kubernetes.io/enforce': level, 'pod-security.kubernetes.io/enforce-version': 'latest' });
    }
    ns.quota = await testNamespace(cleanup, 'ctrl-pss-quota');
    await startOperator(cleanup, [ns.restricted, ns.baseline, ns.quota]);
  });
  after(async () => {
    await cleanup.run();
  });

  it("the original operator's sample is Ready in a namespace enforcing restricted, with no setting", async (t) => {
    await kubectlOk(['-n', ns.restricted, 'apply', '-f', '-'], { input: stringify(original) });
    await readyIn(ns.restricted, original.metadata.name);
    const pods = await listJson<Pod>(ns.restricted, 'pods');
    assert.equal(pods.length, 4);
    for (const p of pods) assert.equal(conditionOf(p, 'Ready')?.status, 'True', p.metadata.name);
    const journal = pods.find((p) => p.metadata.name === 'cluster-sample-journal-0')!;
    t.diagnostic(`pod securityContext: ${JSON.stringify(journal.spec.securityContext)}; container: ${JSON.stringify(journal.spec.containers[0]!.securityContext)}`);
    assert.deepEqual(journal.spec.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(journal.spec.containers[0]!.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, readOnlyRootFilesystem: true });
  });

  it('and in a namespace enforcing baseline', async () => {
    await kubectlOk(['-n', ns.baseline, 'apply', '-f', '-'], { input: stringify(original) });
    await readyIn(ns.baseline, original.metadata.name);
  });

  it('an assigned user range (as OpenShift restricted-v2 assigns it) set on the Cluster reaches every pod, Ready', async (t) => {
    const ranged = structuredClone(original);
    ranged.metadata.name = 'ranged';
    ranged.spec.name = 'ranged' as unknown as Record<string, unknown>;
    ranged.spec.podSecurityContext = { runAsUser: 1000680000, runAsGroup: 1000680000, fsGroup: 1000680000 };
    await kubectlOk(['-n', ns.restricted, 'apply', '-f', '-'], { input: stringify(ranged) });
    await readyIn(ns.restricted, 'ranged');
    const pods = (await listJson<Pod>(ns.restricted, 'pods')).filter((p) => p.metadata.name.startsWith('ranged-'));
    assert.equal(pods.length, 4);
    for (const p of pods) assert.equal(p.spec.securityContext?.runAsUser, 1000680000, p.metadata.name);
    t.diagnostic(`ranged pod securityContext: ${JSON.stringify(pods[0]!.spec.securityContext)}`);
  });

  it('a spread constraint without labelSelector reaches the StatefulSet with the component\'s pod labels', async (t) => {
    const spread = structuredClone(original);
    spread.metadata.name = 'spread';
    spread.spec.name = 'spread' as unknown as Record<string, unknown>;
    spread.spec.storage!.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }];
    await kubectlOk(['-n', ns.restricted, 'apply', '-f', '-'], { input: stringify(spread) });
    const sts = await waitFor('the storage StatefulSet', async () => getJson<{ spec: { template: { spec: { topologySpreadConstraints?: unknown[] } } } }>(ns.restricted, 'statefulset', 'spread-storage'), { timeoutMs: 60_000 });
    const constraints = sts.spec.template.spec.topologySpreadConstraints;
    t.diagnostic(`spread-storage topologySpreadConstraints: ${JSON.stringify(constraints)}`);
    const selector = { matchLabels: { 'app.kubernetes.io/name': 'engula', 'app.kubernetes.io/instance': 'spread-storage', 'app.kubernetes.io/component': 'storage' } };
    assert.deepEqual(constraints, [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
    ]);
  });

  it('pods the cluster refuses (a ResourceQuota) show in the child\'s status and an Event, not as a bare 0/N', async (t) => {
    await kubectlOk(['-n', ns.quota, 'create', 'quota', 'two-pods', '--hard=pods=2']);
    const journal = { apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Journal', metadata: { name: 'quota-journal' }, spec: { clusterName: 'quota', replicas: 3, image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9' } } };
    await kubectlOk(['-n', ns.quota, 'apply', '-f', '-'], { input: stringify(journal) });
    const child = await waitFor('the journal says its pods are refused', async () => {
      const o = await getJson<{ status?: { phase?: string; conditions?: ConditionLike[] } }>(ns.quota, 'journal', 'quota-journal');
      return conditionOf(o, 'Degraded')?.reason === 'FailedCreate' ? o : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    const degraded = conditionOf(child, 'Degraded');
    t.diagnostic(`status: phase ${child.status?.phase}; Degraded ${degraded?.reason}: ${degraded?.message}`);
    assert.equal(child.status?.phase, 'Degraded');
    assert.match(degraded?.message ?? '', /2\/3 pods ready: the cluster refuses the pods: .*exceeded quota: two-pods/);
    const event = await waitFor('a FailedCreate Event on the journal', async () => {
      const out = await kubectlOk(['-n', ns.quota, 'get', 'events', '--field-selector', 'involvedObject.kind=Journal,involvedObject.name=quota-journal,reason=FailedCreate', '-o', 'jsonpath={.items[*].message}']);
      return out.length > 0 ? out : undefined;
    }, { timeoutMs: 30_000 });
    t.diagnostic(`Event: ${event}`);
    assert.match(event, /exceeded quota: two-pods/);
    // Room again: the refusal clears by itself.
    await kubectlOk(['-n', ns.quota, 'delete', 'quota', 'two-pods']);
    await waitFor('the journal Ready once the quota is gone', async () => conditionOf(await getJson<{ status?: { conditions?: ConditionLike[] } }>(ns.quota, 'journal', 'quota-journal'), 'Ready')?.status === 'True', { timeoutMs: 90_000, intervalMs: 500 });
  });
});
