// Admission through the real apiserver: kubectl talks to kube-apiserver, which calls our webhook
// server over HTTPS (trusting the generated CA through the caBundle we registered).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { MUTATE_PATH, VALIDATE_PATH } from '../../../webhooks/admission/routes.ts';
import { kubeConfig, kubectl, kubectlOk, suiteCleanup, waitFor } from '../../support/kube.ts';
import { installCrds, requestCount, startTestWebhooks, waitUntilWebhookCalled, type TestWebhooks } from '../../support/webhooks.ts';

const API = 'cluster.engula.io/v1alpha1';

let w: TestWebhooks;
let ns = '';
const cleanup = suiteCleanup();

before(async () => {
  await installCrds();
  w = await startTestWebhooks(cleanup, 'webhook-admission', { maxReplicas: 10 });
  ns = w.namespace;
  await waitUntilWebhookCalled(w);
});

after(async () => {
  await cleanup.run();
});

describe('admission through kube-apiserver', { concurrency: false }, () => {
  const apply = (obj: object) => kubectl(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify(obj) });
  const applyOk = async (obj: object) => {
    const r = await apply(obj);
    assert.equal(r.code, 0, `kubectl apply failed: ${r.stderr}`);
  };
  const refused = async (obj: object, ...patterns: RegExp[]) => {
    const r = await apply(obj);
    assert.notEqual(r.code, 0, `applied but should be refused: ${r.stdout}`);
    for (const p of patterns) assert.match(r.stderr, p);
    return r.stderr;
  };
  const getJson = async (resource: string, name: string) => JSON.parse(await kubectlOk(['get', '-n', ns, resource, name, '-o', 'json'])) as { metadata: { uid: string }; spec: Record<string, Record<string, unknown> & { replicas?: number }> };

  const cluster = (spec: Record<string, unknown> = {}) => ({
    apiVersion: API,
    kind: 'Cluster',
    metadata: { name: 'demo' },
    spec: { name: 'demo', image: { name: 'engula/engula:v0.3' }, journal: { replicas: 3 }, storage: { replicas: 3 }, kernel: { replicas: 1 }, engine: { replicas: 2 }, ...spec },
  });

  test('a valid Cluster is admitted, passes through the mutating webhook, and has its defaults', async () => {
    const mutatedBefore = await requestCount(w.metrics, MUTATE_PATH);
    const validatedBefore = await requestCount(w.metrics, VALIDATE_PATH);
    await applyOk(cluster());
    const got = await getJson('cluster', 'demo');
    assert.equal(got.spec.journal!.port, 24570);
    assert.equal(got.spec.storage!.port, 24569);
    assert.equal(got.spec.kernel!.port, 24567);
    assert.equal(got.spec.engine!.port, 24568);
    assert.equal(got.spec.image!.pullPolicy, 'IfNotPresent');
    assert.ok((await requestCount(w.metrics, MUTATE_PATH)) > mutatedBefore, 'the mutating webhook was called');
    assert.ok((await requestCount(w.metrics, VALIDATE_PATH)) > validatedBefore, 'the validating webhook was called');
  });

  test('replicas above --max-replicas are refused with field, value and rule', async () => {
    await refused(cluster({ engine: { replicas: 11 } }), /The Cluster "demo" is invalid: spec\.engine\.replicas: Invalid value: 11: must be an integer from 0 to 10 \(the operator's --max-replicas is 10\)/);
  });

  test('a kernel with no replicas, and a string where a number belongs, are refused', async () => {
    await refused(cluster({ kernel: { replicas: 0 } }), /spec\.kernel\.replicas/);
    await refused(cluster({ journal: { replicas: 'three' } }), /spec\.journal\.replicas/);
  });

  test('scaling journal down is refused until the Cluster allows it', async () => {
    await refused(cluster({ journal: { replicas: 2 } }), /spec\.journal\.replicas/, /allowScaleDown/);
    await applyOk(cluster({ journal: { replicas: 2 }, allowScaleDown: true }));
    await applyOk(cluster({ journal: { replicas: 3 } }));
  });

  test('a change to a volume is refused, because claim templates are immutable', async () => {
    const vol = (size: string) => ({ spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } } });
    await applyOk({ apiVersion: API, kind: 'Storage', metadata: { name: 'vol' }, spec: { replicas: 1, clusterName: 'vol', volume: vol('1Gi') } });
    await refused({ apiVersion: API, kind: 'Storage', metadata: { name: 'vol' }, spec: { replicas: 1, clusterName: 'vol', volume: vol('2Gi') } }, /spec\.volume/, /immutable/);
  });

  describe('children a Cluster owns', { concurrency: false }, () => {
    let journal: Record<string, unknown>;
    before(async () => {
      const owner = await getJson('cluster', 'demo');
      // What the ClusterController writes: the Cluster's values, with a controller reference.
      journal = {
        apiVersion: API,
        kind: 'Journal',
        metadata: { name: 'demo-journal', ownerReferences: [{ apiVersion: API, kind: 'Cluster', name: 'demo', uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }] },
        spec: { ...owner.spec.journal, clusterName: 'demo' },
      };
      await applyOk(journal);
    });

    test('kubectl apply of a different replicas is refused, naming the Cluster and the command to use', async () => {
      const msg = await refused({ ...journal, spec: { ...(journal.spec as object), replicas: 5 } }, /spec\.replicas: Forbidden: 5: Journal demo-journal belongs to Cluster demo, which sets this field to 3/);
      assert.match(msg, new RegExp(`kubectl patch cluster demo -n ${ns} --type merge -p '\\{"spec":\\{"journal":\\{"replicas":5\\}\\}\\}'`));
    });

    test('kubectl scale of the child is refused the same way', async () => {
      const r = await kubectl(['scale', '-n', ns, 'journal/demo-journal', '--replicas=4']);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, /Journal demo-journal belongs to Cluster demo/);
      assert.match(r.stderr, /kubectl patch cluster demo/);
    });

    test('kubectl patch of the image is refused; a label edit passes', async () => {
      const r = await kubectl(['patch', '-n', ns, 'journal', 'demo-journal', '--type', 'merge', '-p', '{"spec":{"image":{"name":"other:1"}}}']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /spec\.image: Forbidden/);
      await kubectlOk(['label', '-n', ns, 'journal', 'demo-journal', 'team=db']);
    });

    test('scaling through the Cluster, then writing the child as the operator would, passes', async () => {
      await kubectlOk(['patch', '-n', ns, 'cluster', 'demo', '--type', 'merge', '-p', '{"spec":{"journal":{"replicas":4}}}']);
      await kubectlOk(['patch', '-n', ns, 'journal', 'demo-journal', '--type', 'merge', '-p', '{"spec":{"replicas":4}}']);
      assert.equal((await getJson('journal', 'demo-journal')).spec.replicas, 4);
    });
  });

  test('kubectl scale past the maximum is refused on a standalone child, and within it passes', async () => {
    await applyOk({ apiVersion: API, kind: 'Engine', metadata: { name: 'solo' }, spec: { replicas: 1, clusterName: 'solo' } });
    const r = await kubectl(['scale', '-n', ns, 'engine/solo', '--replicas=11']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.replicas: Invalid value: 11/);
    await kubectlOk(['scale', '-n', ns, 'engine/solo', '--replicas=3']);
    const got = await getJson('engine', 'solo');
    assert.equal(got.spec.replicas, 3);
    assert.equal(got.spec.port, 24568, 'the child got its default port');
  });

  test('DELETE is not sent to the webhook', async () => {
    const before = (await requestCount(w.metrics, VALIDATE_PATH)) + (await requestCount(w.metrics, MUTATE_PATH));
    await kubectlOk(['delete', '-n', ns, 'engine', 'solo', '--wait=false']);
    assert.equal((await requestCount(w.metrics, VALIDATE_PATH)) + (await requestCount(w.metrics, MUTATE_PATH)), before);
  });

  test('a caBundle changed by someone else is put back', async () => {
    const api = kubeConfig().makeApiClient(k8s.AdmissionregistrationV1Api);
    const name = `engula-webhook-${ns}`;
    const good = (await api.readValidatingWebhookConfiguration({ name })).webhooks![0]!.clientConfig.caBundle;
    const cfg = await api.readValidatingWebhookConfiguration({ name });
    cfg.webhooks![0]!.clientConfig.caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\nnot a ca\n-----END CERTIFICATE-----\n').toString('base64');
    await api.replaceValidatingWebhookConfiguration({ name, body: cfg });
    await waitFor('the caBundle to be restored', async () => (await api.readValidatingWebhookConfiguration({ name })).webhooks![0]!.clientConfig.caBundle === good);
    // And the apiserver trusts us again.
    await waitUntilWebhookCalled(w);
  });
});
