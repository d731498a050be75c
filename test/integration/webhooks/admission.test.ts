// Admission through the real apiserver: kubectl talks to kube-apiserver, which calls our webhook
// server over HTTPS (trusting the generated CA through the caBundle we registered).
//
// Every refusal here is the webhook's own rule, not the CRD's: each case runs its same commands in a
// second namespace that the webhook does not serve (its configuration selects the test namespace by
// label), where they pass. What the schema and its CEL rules refuse by themselves (kernel replicas
// 0, a string for replicas, shrinking journal or storage without allowScaleDown, changing a
// volume or clusterName) is shown without any webhook in test/integration/api/refusals.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { Cluster } from '../../../api/v1alpha1/index.ts';
import { desiredChild } from '../../../controllers/desired/child.ts';
import { MUTATE_PATH, VALIDATE_PATH } from '../../../webhooks/admission/routes.ts';
import { kubeConfig, kubectl, kubectlOk, suiteCleanup, testNamespace, waitFor, type CommandResult } from '../../support/kube.ts';
import { installCrds, requestCount, startTestWebhooks, waitUntilWebhookCalled, type TestWebhooks } from '../../support/webhooks.ts';

const API = 'cluster.engula.io/v1alpha1';

let w: TestWebhooks;
/** Served by the webhook. */
let on = '';
/** Not served by the webhook: the apiserver's schema and CEL alone. */
let off = '';
const cleanup = suiteCleanup();

before(async () => {
  await installCrds();
  w = await startTestWebhooks(cleanup, 'webhook-admission', { maxReplicas: 10 });
  on = w.namespace;
  off = await testNamespace(cleanup, 'webhook-off');
  await waitUntilWebhookCalled(w);
});

after(async () => {
  await cleanup.run();
});

const apply = (ns: string, obj: object) => kubectl(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify(obj) });
const applyOk = async (ns: string, obj: object) => {
  const r = await apply(ns, obj);
  assert.equal(r.code, 0, `kubectl apply failed in ${ns}: ${r.stderr}`);
};
const getJson = async <T = { metadata: { uid: string }; spec: Record<string, Record<string, unknown> & { replicas?: number }> }>(ns: string, resource: string, name: string) =>
  JSON.parse(await kubectlOk(['get', '-n', ns, resource, name, '-o', 'json'])) as T;

/**
 * A case of the webhook's own rules: `attempt` (its setup included) passes where the webhook is off,
 * and is refused where it is on, with stderr matching every pattern. Returns the refusal's stderr.
 */
async function refusedByWebhookOnly(attempt: (ns: string) => Promise<CommandResult>, ...patterns: RegExp[]): Promise<string> {
  const without = await attempt(off);
  assert.equal(without.code, 0, `without the webhook the apiserver refuses it too, so it shows nothing about the webhook: ${without.stderr}`);
  const r = await attempt(on);
  assert.notEqual(r.code, 0, `admitted but should be refused: ${r.stdout}`);
  for (const p of patterns) assert.match(r.stderr, p);
  return r.stderr;
}

const cluster = (spec: Record<string, unknown> = {}) => ({
  apiVersion: API,
  kind: 'Cluster',
  metadata: { name: 'demo' },
  spec: { name: 'demo', image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9' }, journal: { replicas: 3 }, storage: { replicas: 3 }, kernel: { replicas: 1 }, engine: { replicas: 2 }, ...spec },
});

describe('admission through kube-apiserver', { concurrency: false }, () => {
  test('a valid Cluster is admitted through both webhooks', async () => {
    const mutatedBefore = await requestCount(w.metrics, MUTATE_PATH);
    const validatedBefore = await requestCount(w.metrics, VALIDATE_PATH);
    await applyOk(on, cluster());
    const got = await getJson(on, 'cluster', 'demo');
    assert.equal(got.spec.journal!.port, 24570);
    assert.equal(got.spec.image!.pullPolicy, 'IfNotPresent');
    assert.ok((await requestCount(w.metrics, MUTATE_PATH)) > mutatedBefore, 'the mutating webhook was called');
    assert.ok((await requestCount(w.metrics, VALIDATE_PATH)) > validatedBefore, 'the validating webhook was called');
  });

  test('replicas above --max-replicas are refused with field, value and rule (the schema has no maximum)', async () => {
    await refusedByWebhookOnly(
      (ns) => apply(ns, { ...cluster({ engine: { replicas: 11 } }), metadata: { name: 'toomany' } }),
      /The Cluster "toomany" is invalid: spec\.engine\.replicas: Invalid value: 11: must be an integer from 0 to 10 \(the operator's --max-replicas is 10\)/,
    );
  });

  test('kubectl scale of a standalone child past the maximum is refused; within it passes', async () => {
    const solo = { apiVersion: API, kind: 'Engine', metadata: { name: 'solo' }, spec: { replicas: 1, clusterName: 'solo' } };
    await refusedByWebhookOnly(
      async (ns) => {
        await applyOk(ns, solo);
        return kubectl(['scale', '-n', ns, 'engine/solo', '--replicas=11']);
      },
      /spec\.replicas: Invalid value: 11/,
    );
    await kubectlOk(['scale', '-n', on, 'engine/solo', '--replicas=3']);
    const got = await getJson(on, 'engine', 'solo');
    assert.equal(got.spec.replicas, 3);
    assert.equal(got.spec.port, 24568, 'the child got its default port');
  });

  describe('the child the controller writes for a Cluster, and hand edits of it', { concurrency: false }, () => {
    // The reported bug's shape: pull secrets at both levels (sharing a name), an image the journal
    // inherits from a Cluster image given without pullPolicy, plus a secret-looking env value, an
    // empty one and quantities in the forms people write them.
    const owner = {
      apiVersion: API,
      kind: 'Cluster',
      metadata: { name: 'owner' },
      spec: {
        name: 'owner',
        image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9' },
        imagePullSecrets: [{ name: 'cluster-regcred' }, { name: 'shared' }],
        journal: {
          replicas: 3,
          imagePullSecrets: [{ name: 'shared' }, { name: 'journal-regcred' }],
          env: [{ name: 'TOKEN', value: 's3cr3t-token' }, { name: 'EMPTY', value: '' }],
          resource: { requests: { cpu: '0.5', memory: '1024Mi' }, limits: { cpu: 1, memory: '1Gi' } },
        },
        kernel: { replicas: 1 },
      },
    };
    /** The Cluster as stored in `ns`, and the journal child the ClusterController writes for it. */
    const storedChild = async (ns: string) => desiredChild(await getJson<Cluster>(ns, 'cluster', 'owner'), 'journal')!;
    /** Writes a child as the operator does: server-side apply with its field manager. */
    const writeAsOperator = (ns: string, child: object) =>
      kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=engula-operator', '-n', ns, '-f', '-'], { input: JSON.stringify(child) });

    before(async () => {
      for (const ns of [on, off]) await applyOk(ns, owner);
    });

    test("is admitted: merged pull secrets, the inherited image with its pullPolicy, env with an empty value", async () => {
      for (const ns of [on, off]) {
        const child = await storedChild(ns);
        assert.deepEqual(child.spec.imagePullSecrets, [{ name: 'cluster-regcred' }, { name: 'shared' }, { name: 'journal-regcred' }]);
        assert.deepEqual(child.spec.image, { name: 'uhub.service.ucloud.cn/zojw/engula:0.9', pullPolicy: 'IfNotPresent' });
        const r = await writeAsOperator(ns, child);
        assert.equal(r.code, 0, `the controller's own child was refused in ${ns === on ? 'the webhook namespace' : 'the plain namespace'}: ${r.stderr}`);
      }
      const stored = await getJson<{ spec: Record<string, unknown> }>(on, 'journal', 'owner-journal');
      assert.deepEqual(stored.spec, (await storedChild(on)).spec, 'stored as the builder wrote it: nothing for the next write to change');
      // Written again unchanged (the next reconcile), it still passes.
      const again = await writeAsOperator(on, await storedChild(on));
      assert.equal(again.code, 0, again.stderr);
    });

    const edit = (patch: object) => (ns: string) => kubectl(['patch', '-n', ns, 'journal', 'owner-journal', '--type', 'merge', '-p', JSON.stringify(patch)]);
    /** The Cluster's values for the journal, none of which a refusal may repeat. */
    const CLUSTER_VALUES = ['cluster-regcred', 'journal-regcred', 'uhub.service.ucloud.cn/zojw/engula:0.9', 's3cr3t', '1024Mi', 'sets this field to'];
    const assertNoClusterValue = (stderr: string) => {
      for (const v of CLUSTER_VALUES) assert.ok(!stderr.includes(v), `the refusal repeats ${JSON.stringify(v)}: ${stderr}`);
    };

    test('a hand edit of replicas is refused, naming the Cluster, the field and the command, not the Cluster\'s value', async () => {
      const stderr = await refusedByWebhookOnly(edit({ spec: { replicas: 5 } }), /spec\.replicas: Forbidden: 5: Journal owner-journal belongs to Cluster owner, which sets this field/);
      assert.match(stderr, new RegExp(`kubectl patch cluster owner -n ${on} --type merge -p '\\{"spec":\\{"journal":\\{"replicas":5\\}\\}\\}'`));
      assertNoClusterValue(stderr);
    });

    test('hand edits of the image, the pull secrets and env are refused without repeating the Cluster\'s values (nor env values)', async () => {
      assertNoClusterValue(await refusedByWebhookOnly(edit({ spec: { image: { name: 'other:1' } } }), /spec\.image: Forbidden: \{"name":"other:1"/, /belongs to Cluster owner/));
      assertNoClusterValue(await refusedByWebhookOnly(edit({ spec: { imagePullSecrets: [{ name: 'mine' }] } }), /spec\.imagePullSecrets: Forbidden: \[\{"name":"mine"\}\]/, /belongs to Cluster owner/));
      const stderr = await refusedByWebhookOnly(
        edit({ spec: { env: [{ name: 'TOKEN', value: 's3cr3t-mine' }] } }),
        /spec\.env: Forbidden: Journal owner-journal belongs to Cluster owner, which sets this field; change spec\.journal\.env on the Cluster instead: kubectl edit cluster owner/,
      );
      assertNoClusterValue(stderr);
    });

    test('kubectl scale of the child is refused the same way', async () => {
      const stderr = await refusedByWebhookOnly((ns) => kubectl(['scale', '-n', ns, 'journal/owner-journal', '--replicas=4']), /Journal owner-journal belongs to Cluster owner/, /kubectl patch cluster owner/);
      assertNoClusterValue(stderr);
    });

    test('a label edit passes; scaling through the Cluster, then the operator writing the child, passes', async () => {
      await kubectlOk(['label', '-n', on, 'journal', 'owner-journal', 'team=db']);
      await kubectlOk(['patch', '-n', on, 'cluster', 'owner', '--type', 'merge', '-p', '{"spec":{"journal":{"replicas":4}}}']);
      const r = await writeAsOperator(on, await storedChild(on));
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await getJson(on, 'journal', 'owner-journal')).spec.replicas, 4);
    });
  });

  test('DELETE is not sent to the webhook', async () => {
    const before = (await requestCount(w.metrics, VALIDATE_PATH)) + (await requestCount(w.metrics, MUTATE_PATH));
    await kubectlOk(['delete', '-n', on, 'engine', 'solo', '--wait=false']);
    assert.equal((await requestCount(w.metrics, VALIDATE_PATH)) + (await requestCount(w.metrics, MUTATE_PATH)), before);
  });

  test('a caBundle changed by someone else is put back', async () => {
    const api = kubeConfig().makeApiClient(k8s.AdmissionregistrationV1Api);
    const name = `engula-webhook-${on}`;
    const good = (await api.readValidatingWebhookConfiguration({ name })).webhooks![0]!.clientConfig.caBundle;
    const cfg = await api.readValidatingWebhookConfiguration({ name });
    cfg.webhooks![0]!.clientConfig.caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\nnot a ca\n-----END CERTIFICATE-----\n').toString('base64');
    await api.replaceValidatingWebhookConfiguration({ name, body: cfg });
    await waitFor('the caBundle to be restored', async () => (await api.readValidatingWebhookConfiguration({ name })).webhooks![0]!.clientConfig.caBundle === good);
    // And the apiserver trusts us again.
    await waitUntilWebhookCalled(w);
  });
});
