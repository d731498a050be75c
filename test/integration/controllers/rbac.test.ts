// The operator needs no more than config/rbac grants it: run under a ServiceAccount token bound by
// exactly those manifests (not the admin certificate), with leader election on, it converges the
// full sample, including the kernel's Role, which RBAC lets it create only because it holds every
// permission in it. It also records Events on the Cluster, as a person reading `kubectl describe`
// expects.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { kubectlOk, testEnv, testNamespace, waitFor } from '../../support/kube.ts';
import { conditionOf, getJson, installCrds, startOperator, type ConditionLike } from '../../support/operator.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');

test('the operator converges a Cluster with only the permissions config/rbac gives it', async (t) => {
  await installCrds();
  const ns = await testNamespace(t, 'ctrl-rbac');
  const clusterScoped = `${ns}-manager`;
  // The shipped manifests, moved into this test's namespace; cluster-scoped names carry the namespace
  // so nothing collides with other test files.
  const rendered = (await kubectlOk(['kustomize', resolve(root, 'config/rbac')]))
    .replaceAll('engula-system', ns)
    .replaceAll('name: engula-operator-manager', `name: ${clusterScoped}`);
  t.after(async () => {
    await kubectlOk(['delete', '--ignore-not-found', 'clusterrolebinding,clusterrole', clusterScoped]);
  });
  await kubectlOk(['apply', '-f', '-'], { input: rendered });

  const token = (await kubectlOk(['create', 'token', 'engula-operator', '-n', ns, '--duration=1h'])).trim();
  const env = testEnv();
  // Beside the admin kubeconfig, so it goes with the control plane's folder.
  const kubeconfig = join(env.kubeconfig, '..', `${ns}-operator.kubeconfig`);
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'testenv', cluster: { server: env.apiServerUrl, 'certificate-authority': env.caCertPath } }],
      users: [{ name: 'engula-operator', user: { token } }],
      contexts: [{ name: 'operator', context: { cluster: 'testenv', user: 'engula-operator', namespace: ns } }],
      'current-context': 'operator',
    }),
    { mode: 0o600 },
  );
  assert.match(await kubectlOk(['--kubeconfig', kubeconfig, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']), new RegExp(`system:serviceaccount:${ns}:engula-operator`));

  // Later flags win: this kubeconfig replaces the admin one startOperator passes first.
  const operator = await startOperator(t, [ns], ['--kubeconfig', kubeconfig, '--leader-elect', `--leader-election-namespace=${ns}`]);
  await kubectlOk(['-n', ns, 'apply', '-f', resolve(root, 'samples/cluster-full.yaml')]);
  await waitFor('Cluster full Ready under the operator\'s own RBAC', async () => {
    const c = await getJson<{ status?: { conditions?: ConditionLike[] } }>(ns, 'cluster', 'full');
    return conditionOf(c, 'Ready')?.status === 'True';
  }, { timeoutMs: 120_000, intervalMs: 500 });

  assert.ok(await getJson(ns, 'role', 'full-kernel'), 'the kernel\'s Role was granted');
  const lease = await getJson<{ spec?: { holderIdentity?: string } }>(ns, 'lease', 'engula-operator-leader');
  assert.ok(lease?.spec?.holderIdentity, 'the operator holds its leader election Lease');
  // Events are what `kubectl describe cluster` shows a person; the recorder may write them too.
  const events = await waitFor('the Created events on the Cluster', async () => {
    const out = await kubectlOk(['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.kind=Cluster,involvedObject.name=full,reason=Created', '-o', 'jsonpath={.items[*].message}']);
    return out.includes('Journal full-journal') && out.includes('Engine full-engine') ? out : undefined;
  }, { timeoutMs: 30_000 });
  assert.match(events, /Created Kernel full-kernel/);
  assert.doesNotMatch(operator.log(), /forbidden/i, 'no request was refused for lack of permission');
});
