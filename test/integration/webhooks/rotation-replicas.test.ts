// CA rotation as deployed: two operator processes (webhooks on, leader election on) behind a
// loopback balancer registered as the webhook URL, sharing one certificate Secret, with lifetimes
// short enough (serving 12 s, CA 30 s) that serving certificates renew and the CA rotates three
// times while admission requests flow without pause. It shows, from the apiserver's own records:
// - no admission request fails (each is admitted, or refused by the webhook's own rule);
// - the caBundle never flaps: no bundle comes back once replaced, and every change observed is one
//   write counted by a replica (no write is wasted undoing the other replica's);
// - a new CA reaches both configurations before any certificate it signed is stored (so served):
//   compared by resourceVersion, i.e. by the apiserver's order of writes;
// - an old CA leaves the bundle only once it has expired.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, test } from 'node:test';
import { ApiError, coreResources, Informer, RestClient, type KubeObject } from '../../../runtime/index.ts';
import { splitPemBundle } from '../../../webhooks/tls/authority.ts';
import { webhookConfigurationKinds, type WebhookConfigurationObject } from '../../../webhooks/tls/configuration-watch.ts';
import { issuedBy } from '../../../webhooks/tls/renewal-plan.ts';
import { quietLogger } from '../../support/admission.ts';
import { kubeConfig, testNamespace } from '../../support/kube.ts';
import { installCrds, testConfigurationName } from '../../support/operator.ts';
import { startReplicas } from '../../support/replicas.ts';

const SECRET = 'engula-operator-webhook-cert';

before(async () => {
  await installCrds();
});

interface Seen<T> {
  rv: bigint;
  at: number;
  value: T;
}

function decode(obj: KubeObject, key: string): string {
  const data = (obj as { data?: Record<string, string> }).data;
  return Buffer.from(data?.[key] ?? '', 'base64').toString('utf8');
}

function bundleOf(obj: KubeObject): string {
  const w = (obj as WebhookConfigurationObject).webhooks?.[0];
  return w?.clientConfig.caBundle ? Buffer.from(w.clientConfig.caBundle, 'base64').toString('utf8') : '';
}

/** Records every distinct value of `pick` an informer delivers, with the object's resourceVersion. */
function record<T>(informer: Informer, pick: (o: KubeObject) => T, same: (a: T, b: T) => boolean): Array<Seen<T>> {
  const seen: Array<Seen<T>> = [];
  const on = (o: KubeObject): void => {
    const value = pick(o);
    const last = seen.at(-1);
    if (last === undefined || !same(last.value, value)) seen.push({ rv: BigInt(o.metadata.resourceVersion ?? '0'), at: Date.now(), value });
  };
  informer.addEventHandler({ onAdd: on, onUpdate: (_old, o) => on(o) });
  return seen;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, 'gm'))) n += Number(m[1]);
  return n;
}

test('CA rotation with two replicas serving: no failed admission, no flapping bundle, a new CA published before it signs', { timeout: 300_000 }, async (t) => {
  const ns = await testNamespace(t, 'webhook-rotation');
  // Watched from before the replicas start, so every write to the Secret and the configurations is seen.
  const name = testConfigurationName([ns]);

  const rest = new RestClient(kubeConfig());
  const log = quietLogger();
  const secretInformer = new Informer({ rest, ref: coreResources.secrets, namespace: ns, fieldSelector: `metadata.name=${SECRET}`, logger: log });
  const secret = record(secretInformer, (o) => ({ ca: decode(o, 'ca.crt'), tls: decode(o, 'tls.crt'), bundle: decode(o, 'ca-bundle.crt') }), (a, b) => a.ca === b.ca && a.tls === b.tls && a.bundle === b.bundle);
  const configs = Object.values(webhookConfigurationKinds).map((ref) => {
    const informer = new Informer({ rest, ref, fieldSelector: `metadata.name=${name}`, logger: log });
    return { kind: ref.kind, informer, bundles: record(informer, bundleOf, (a, b) => a === b) };
  });
  const informers = [secretInformer, ...configs.map((c) => c.informer)];
  for (const i of informers) i.start();
  t.after(async () => {
    await Promise.all(informers.map((i) => i.stop()));
    rest.close();
  });
  await Promise.all(informers.map((i) => i.waitForSync()));
  const replicas = await startReplicas(t, [ns], { extraArgs: ['--webhook-cert-validity=12s', '--webhook-ca-validity=30s'] });
  assert.equal(replicas.configurationName, name);

  const distinct = (key: 'ca' | 'tls'): string[] => [...new Set(secret.map((s) => s.value[key]).filter((v) => v !== ''))];
  const counts = { sent: 0, admitted: 0, refused: 0, failed: 0 };
  const failures: string[] = [];
  const started = Date.now();
  const deadline = started + 200_000;
  // Until the CA has rotated three times (four CAs; the first has expired and left the bundle by
  // then) and the serving certificate six times.
  while ((distinct('ca').length < 4 || distinct('tls').length < 7) && Date.now() < deadline) {
    counts.sent++;
    const invalid = counts.sent % 4 === 0;
    const body = {
      apiVersion: 'cluster.engula.io/v1alpha1',
      kind: 'Engine',
      metadata: { name: `e-${counts.sent}` },
      spec: { replicas: invalid ? 100_000 : 1, clusterName: 'rotation' },
    };
    try {
      // Server-side dry run: admission runs in full, nothing is stored for the controllers to act on.
      const created = await rest.request<{ spec?: { port?: number } }>('POST', `/apis/cluster.engula.io/v1alpha1/namespaces/${ns}/engines`, { query: { dryRun: 'All' }, body, timeoutMs: 15_000 });
      if (invalid) failures.push(`e-${counts.sent} with 100000 replicas was admitted`);
      else if (created.spec?.port === undefined) failures.push(`e-${counts.sent} was not defaulted by the mutating webhook`);
      else counts.admitted++;
    } catch (err) {
      // Only the webhook knows the operator's flag: a refusal naming it is the webhook's own rule.
      const refusedByRule = invalid && err instanceof ApiError && err.statusCode === 422 && err.message.includes('--max-replicas');
      if (refusedByRule) counts.refused++;
      else failures.push(`e-${counts.sent} at +${Date.now() - started} ms: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`);
    }
  }
  counts.failed = failures.length;

  const cas = distinct('ca');
  const servings = distinct('tls');
  const bundleWrites = (await Promise.all(replicas.processes.map((p) => metric(p.metricsPort, 'webhook_ca_bundle_writes_total')))).reduce((a, b) => a + b, 0);
  const admissionsPerReplica = await Promise.all(replicas.processes.map((p) => metric(p.metricsPort, 'controller_runtime_webhook_requests_total')));
  const renewalFailures = await Promise.all(replicas.processes.map((p) => metric(p.metricsPort, 'webhook_certificate_renewal_failures_total')));
  const bundleChanges = configs.reduce((n, c) => n + c.bundles.length - 1, 0);
  t.diagnostic(`admissions: sent ${counts.sent}, admitted ${counts.admitted}, refused as intended ${counts.refused}, failed ${counts.failed}; per replica ${JSON.stringify(admissionsPerReplica)}`);
  t.diagnostic(`rotations seen in the Secret: CA ${cas.length - 1}, serving certificate ${servings.length - 1}, in ${Math.round((Date.now() - started) / 1000)} s`);
  t.diagnostic(`caBundle changes observed ${JSON.stringify(configs.map((c) => `${c.kind}: ${c.bundles.length - 1}`))}; caBundle writes counted by the replicas: ${bundleWrites}; renewal failures ${JSON.stringify(renewalFailures)}; balancer connections ${replicas.balancer.acceptedConnections} (none failed: ${replicas.balancer.failedConnections === 0})`);

  const serials = (bundle: string): string => splitPemBundle(bundle).map((pem) => new X509Certificate(pem).serialNumber.slice(-4)).join('+') || '(none)';
  for (const c of configs) t.diagnostic(`${c.kind} caBundle history (rv: CAs): ${c.bundles.map((b) => `${b.rv}: ${serials(b.value)}`).join(', ')}`);
  assert.deepEqual(failures, [], 'no admission failed');
  assert.ok(counts.admitted > 0 && counts.refused > 0);
  assert.ok(cas.length >= 4, `the CA rotated three times (saw ${cas.length - 1})`);
  assert.ok(servings.length >= 7, `the serving certificate rotated six times (saw ${servings.length - 1})`);
  assert.ok(admissionsPerReplica.every((n) => n > 0), `both replicas served admissions: ${JSON.stringify(admissionsPerReplica)}`);

  // No flapping: a bundle, once replaced, never comes back; every change is exactly one write.
  for (const c of configs) {
    const values = c.bundles.map((b) => b.value);
    values.forEach((v, i) => assert.ok(!values.slice(0, i).includes(v), `${c.kind}: bundle #${i} is a return to an earlier bundle`));
  }
  assert.equal(bundleWrites, bundleChanges, 'each observed bundle change is one write, none wasted undoing the other replica');

  // Every CA after the first was in both configurations before a certificate it signed was stored.
  for (const ca of cas.slice(1)) {
    const publishedAt = configs.map((c) => c.bundles.find((b) => splitPemBundle(b.value).includes(ca))?.rv);
    const signedAt = secret.find((s) => issuedBy(s.value.tls, ca))?.rv;
    if (signedAt === undefined) continue; // rotated at the very end: nothing it signed yet
    for (const [i, rv] of publishedAt.entries()) {
      assert.ok(rv !== undefined && rv < signedAt, `${configs[i]!.kind} held the new CA (rv ${rv}) before the Secret held a certificate it signed (rv ${signedAt})`);
    }
  }
  // An old CA leaves a bundle only once it has expired (and the first one did leave).
  let drops = 0;
  for (const c of configs) {
    for (let i = 1; i < c.bundles.length; i++) {
      const dropped = splitPemBundle(c.bundles[i - 1]!.value).filter((pem) => !splitPemBundle(c.bundles[i]!.value).includes(pem));
      drops += dropped.length;
      for (const pem of dropped) assert.ok(c.bundles[i]!.at >= Date.parse(new X509Certificate(pem).validTo), `${c.kind}: a CA left the bundle before it expired`);
    }
  }
  t.diagnostic(`expired CAs dropped from the configurations: ${drops}`);
  assert.ok(drops >= 2, 'the first CA left both configurations once expired');
});
