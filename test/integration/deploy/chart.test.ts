// The Helm chart, with the real helm (hack/helm-bin.sh): `helm lint --strict` passes at the default
// values and with every switch turned; `helm template` at the defaults renders what `make deploy`
// applies (config/default with its image, and config/policy, which `make install` applies), object
// for object, apart from Helm's standard labels and the Namespace (Helm installs into the release's);
// and the values do what values.yaml says they do. No cluster is needed: helm renders offline.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { serviceDnsNames } from '../../../webhooks/configurations.ts';
import { renderKustomization } from '../../support/kustomize.ts';
import { objectsOf, runHelm, type RenderedObject } from '../../support/helm.ts';
import { transcript } from '../../support/make.ts';

const root = resolve(import.meta.dirname, '../../..');
const chart = join(root, 'charts', 'engula-operator');
const appVersion = (parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;

/** Every switch of values.yaml turned from its default. */
const EVERYTHING_ON = [
  'webhook.certManager.enabled=true',
  'watchNamespaces={apps,batch}',
  'metrics.serviceMonitor.enabled=true',
  'metrics.serviceMonitor.labels.release=prometheus',
  'metrics.serviceMonitor.interval=30s',
  'leaderElection.leaseDuration=30s',
  'leaderElection.renewDeadline=20s',
  'leaderElection.retryPeriod=4s',
  'image.pullPolicy=Always',
  'imagePullSecrets[0].name=regcred',
  'nodeSelector.kubernetes\\.io/os=linux',
  'tolerations[0].key=dedicated',
  'tolerations[0].operator=Exists',
  'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=kubernetes.io/arch',
  'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=Exists',
  'priorityClassName=system-cluster-critical',
  'commonLabels.team=databases',
  'podAnnotations.example\\.com/owner=platform',
  'extraArgs={--max-replicas=50}',
].flatMap((s) => ['--set', s]);

async function template(namespace: string, ...args: string[]): Promise<RenderedObject[]> {
  const r = await runHelm(['template', 'engula-operator', chart, '--namespace', namespace, ...args]);
  assert.equal(r.code, 0, transcript(r));
  return objectsOf(r.stdout);
}

const key = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;
const byKey = (objects: RenderedObject[]) => new Map(objects.map((o) => [key(o), o]));

/** Helm's standard labels, which the chart adds (and kustomize's managed-by, which it replaces). */
const STANDARD = ['helm.sh/chart', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'app.kubernetes.io/version'];
function withoutStandardLabels<T>(o: T): T {
  const copy = structuredClone(o) as { metadata: { labels?: Record<string, string> }; spec?: { template?: { metadata?: { labels?: Record<string, string> } } } };
  for (const labels of [copy.metadata.labels, copy.spec?.template?.metadata?.labels]) for (const l of STANDARD) if (labels) delete labels[l];
  return copy as T;
}

function deploymentOf(objects: RenderedObject[]) {
  const d = objects.find((o) => o.kind === 'Deployment')! as unknown as {
    spec: { replicas: number; template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: Record<string, unknown> & { containers: Array<Record<string, unknown> & { args: string[] }> } } };
  };
  return { deployment: d, pod: d.spec.template, container: d.spec.template.spec.containers[0]! };
}

describe('charts/engula-operator with the real helm', () => {
  it('passes helm lint --strict, at the defaults and with every switch turned', async (t) => {
    for (const args of [[], EVERYTHING_ON, ['--set', 'metrics.enabled=false', '--set', 'networkPolicy.enabled=false', '--set', 'deletionProtection.enabled=false', '--set', 'leaderElection.enabled=false', '--set', 'replicas=1']]) {
      const r = await runHelm(['lint', '--strict', chart, ...args]);
      t.diagnostic(`helm lint --strict charts/engula-operator ${args.filter((a) => a !== '--set').join(' ')}\n${transcript(r)}`);
      assert.equal(r.code, 0, transcript(r));
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('renders at its defaults what make deploy applies: config/default (image set) and config/policy, but for the standard labels and the Namespace', async () => {
    const image = `engula-operator:${appVersion}`;
    const fromConfig = renderKustomization('config/default').filter((d) => d.kind !== 'Namespace');
    const policy = renderKustomization('config/policy').map((d) => ({ ...d, metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, 'helm.sh/resource-policy': 'keep' } } }));
    // `make deploy`'s own substitution of the image.
    const expected = JSON.parse(JSON.stringify([...fromConfig, ...policy]).replaceAll('"controller:latest"', JSON.stringify(image))) as RenderedObject[];
    const rendered = await template('engula-system');
    assert.deepEqual([...byKey(rendered).keys()].sort(), [...byKey(expected).keys()].sort(), 'the same objects');
    const want = byKey(expected);
    for (const o of rendered) assert.deepEqual(withoutStandardLabels(o), withoutStandardLabels(want.get(key(o))!), key(o));
    for (const o of rendered) {
      assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm', key(o));
      assert.equal(o.metadata.labels?.['app.kubernetes.io/instance'], 'engula-operator', key(o));
    }
  });

  it('puts everything in the release namespace: nothing names engula-system', async () => {
    const r = await runHelm(['template', 'ops', chart, '--namespace', 'databases-ops', ...EVERYTHING_ON]);
    assert.equal(r.code, 0, transcript(r));
    assert.doesNotMatch(r.stdout, /engula-system/);
    const objects = objectsOf(r.stdout);
    for (const o of objects) if (!['ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'].includes(o.kind)) assert.equal(o.metadata.namespace, 'databases-ops', key(o));
  });

  it('cert-manager: a Certificate for the webhook Service\'s names, served with --webhook-cert-dir, the caBundle injected by cainjector', async () => {
    const objects = await template('engula-system', '--set', 'webhook.certManager.enabled=true');
    const certificate = objects.find((o) => o.kind === 'Certificate') as unknown as { spec: { secretName: string; dnsNames: string[]; issuerRef: Record<string, string> } };
    assert.deepEqual(certificate.spec.dnsNames, serviceDnsNames({ name: 'engula-operator-webhook', namespace: 'engula-system' }), 'the names the operator puts in its own certificate');
    assert.deepEqual(certificate.spec.issuerRef, { name: 'engula-operator-selfsigned', kind: 'Issuer' });
    assert.ok(objects.some((o) => o.kind === 'Issuer' && o.metadata.name === 'engula-operator-selfsigned'));
    const { pod, container } = deploymentOf(objects);
    const dir = container.args.find((a) => a.startsWith('--webhook-cert-dir='))!.split('=')[1];
    assert.deepEqual(container.volumeMounts, [{ name: 'webhook-cert', mountPath: dir, readOnly: true }]);
    assert.deepEqual(pod.spec.volumes, [{ name: 'webhook-cert', secret: { secretName: certificate.spec.secretName } }]);
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      assert.equal(objects.find((o) => o.kind === kind)!.metadata.annotations?.['cert-manager.io/inject-ca-from'], 'engula-system/engula-operator-webhook', kind);
    }
    // An issuer of one's own: no self-signed Issuer.
    const own = await template('engula-system', '--set', 'webhook.certManager.enabled=true', '--set', 'webhook.certManager.issuerRef.name=corp-ca', '--set', 'webhook.certManager.issuerRef.kind=ClusterIssuer');
    assert.ok(!own.some((o) => o.kind === 'Issuer'));
    assert.deepEqual((own.find((o) => o.kind === 'Certificate') as unknown as { spec: { issuerRef: unknown } }).spec.issuerRef, { name: 'corp-ca', kind: 'ClusterIssuer' });
  });

  it('the values reach the Deployment, the Role and the webhooks as values.yaml says', async () => {
    const objects = await template('engula-system', ...EVERYTHING_ON, '--set', 'replicas=3', '--set', 'leaderElection.id=ops-leader', '--set', 'image.repository=registry.example/engula-operator', '--set', 'image.tag=v9');
    const { deployment, pod, container } = deploymentOf(objects);
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(container.image, 'registry.example/engula-operator:v9');
    assert.equal(container.imagePullPolicy, 'Always');
    assert.deepEqual(container.args, [
      '--leader-elect', '--lease-duration=30s', '--renew-deadline=20s', '--retry-period=4s', '--leader-election-id=ops-leader',
      '--metrics-bind-address=:8443', '--metrics-secure', '--health-probe-bind-address=:8081', '--webhook-port=9443',
      '--namespaces=apps,batch', '--webhook-cert-dir=/tmp/k8s-webhook-server/serving-certs', '--max-replicas=50',
    ]);
    assert.deepEqual(pod.spec.imagePullSecrets, [{ name: 'regcred' }]);
    assert.deepEqual(pod.spec.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.deepEqual(pod.spec.tolerations, [{ key: 'dedicated', operator: 'Exists' }]);
    assert.ok(pod.spec.affinity);
    assert.equal(pod.spec.priorityClassName, 'system-cluster-critical');
    assert.equal(pod.metadata.annotations['example.com/owner'], 'platform');
    assert.equal(pod.metadata.labels.team, 'databases');
    for (const o of objects) assert.equal(o.metadata.labels?.team, 'databases', `commonLabels on ${key(o)}`);
    const role = objects.find((o) => o.kind === 'Role') as unknown as { rules: Array<{ resources: string[]; resourceNames?: string[] }> };
    assert.deepEqual(role.rules.find((r) => r.resources.includes('leases') && r.resourceNames)!.resourceNames, ['ops-leader'], 'the Role holds the Lease the operator is told to use');
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const config = objects.find((o) => o.kind === kind) as unknown as { webhooks: Array<{ namespaceSelector?: unknown }> };
      for (const w of config.webhooks) assert.deepEqual(w.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['apps', 'batch'] }] }, kind);
    }
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as unknown as { metadata: { labels: Record<string, string> }; spec: { endpoints: Array<{ interval?: string }> } };
    assert.equal(monitor.metadata.labels.release, 'prometheus');
    assert.equal(monitor.spec.endpoints[0]!.interval, '30s');
  });

  it('switched off: no metrics Service, policy or ServiceMonitor, no NetworkPolicy, no deletion protection, no leader election', async () => {
    const objects = await template('engula-system', '--set', 'metrics.enabled=false', '--set', 'metrics.serviceMonitor.enabled=true', '--set', 'networkPolicy.enabled=false', '--set', 'deletionProtection.enabled=false', '--set', 'leaderElection.enabled=false', '--set', 'replicas=1');
    const kinds = objects.map(key);
    for (const gone of ['Service/engula-operator-metrics', 'ServiceMonitor/engula-operator-metrics', 'NetworkPolicy/allow-metrics-traffic', 'NetworkPolicy/allow-webhook-traffic', 'ValidatingAdmissionPolicy/engula-deletion-protection', 'ValidatingAdmissionPolicyBinding/engula-deletion-protection']) {
      assert.ok(!kinds.includes(gone), `${gone} is not rendered`);
    }
    const { container } = deploymentOf(objects);
    assert.ok(container.args.includes('--metrics-bind-address=0'));
    assert.ok(!container.args.includes('--metrics-secure'));
    assert.ok(!container.args.includes('--leader-elect'));
  });

  it('refuses values that do not fit values.schema.json, naming them', async () => {
    for (const [set, says] of [['replicas=0', /replicas/], ['replica=3', /additional properties 'replica' not allowed/], ['commonLabels.app\\.kubernetes\\.io/name=x', /app\.kubernetes\.io\/name/], ['image.pullPolicy=Sometimes', /pullPolicy/]] as const) {
      const r = await runHelm(['template', 'engula-operator', chart, '--set', set]);
      assert.notEqual(r.code, 0, `--set ${set} is refused`);
      assert.match(r.stderr, says, transcript(r));
    }
  });
});
