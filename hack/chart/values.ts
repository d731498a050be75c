// The chart's values: one table, from which values.yaml (each value with its comment), the JSON
// schema Helm checks values against, and the table in the chart's README are all written. Defaults
// that config/ decides (replicas, resources, leader election, what config/default ships) are read
// from the rendered config, never typed again here.
import { stringify } from 'yaml';

type Schema = Record<string, unknown>;

/** What config/default decides, as the chart's defaults. */
export interface ConfigFacts {
  replicas: number;
  resources: Record<string, unknown>;
  leaderElect: boolean;
  leaderElectionId: string;
  /** The Deployment serves /metrics (and config/default renders the metrics Service). */
  metrics: boolean;
  /** config/default renders NetworkPolicies. */
  networkPolicy: boolean;
}

export interface ChartValue {
  /** Dotted path in values.yaml. */
  path: string;
  default: unknown;
  /** Markdown, one paragraph: the comment in values.yaml and the README's table. */
  description: string;
  schema: Schema;
}

/** Comments of the maps that group values. */
export const GROUPS: Record<string, string> = {
  image: "The operator's image.",
  leaderElection: 'Leader election on a coordination.k8s.io Lease: one replica reconciles, every replica serves the webhooks.',
  webhook: 'The HTTPS server of the admission webhooks and the scaling API.',
  'webhook.certManager': 'Its serving certificate from cert-manager instead of the one the operator makes.',
  metrics: "The operator's own /metrics.",
  'metrics.serviceMonitor': 'A Prometheus Operator ServiceMonitor for it (config/prometheus).',
  networkPolicy: "NetworkPolicies that let in only the webhook port (from anywhere: kube-apiserver must reach it) and the metrics port (from namespaces labelled `metrics: enabled`).",
  deletionProtection: 'The ValidatingAdmissionPolicy engula-deletion-protection (config/policy).',
};

/** The image name `make docker-build` gives by default (IMG=engula-operator:latest); no public registry holds it. */
const DEFAULT_REPOSITORY = 'engula-operator';

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const stringMap: Schema = { type: 'object', additionalProperties: { type: 'string' } };
/** Go durations as the operator's flags parse them (runtime/flags.ts parseDuration); '' = the flag's default. */
const goDuration: Schema = { type: 'string', pattern: '^(|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$' };
const dnsSubdomain: Schema = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 };
/** Labels a user adds: never one the chart sets, which would be a duplicate key. */
const extraLabels: Schema = { ...stringMap, propertyNames: { not: { pattern: '^(app\\.kubernetes\\.io|helm\\.sh)/' } } };
const dnsLabel: Schema = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };

export function chartValues(facts: ConfigFacts): ChartValue[] {
  return [
    { path: 'image.repository', default: DEFAULT_REPOSITORY, description: 'Repository of the image `make docker-build docker-push IMG=<repository>:<tag>` pushed.', schema: { type: 'string', minLength: 1 } },
    { path: 'image.tag', default: '', description: "Its tag; empty: the chart's appVersion.", schema: str },
    { path: 'image.pullPolicy', default: '', description: "`Always`, `IfNotPresent` or `Never`; empty: Kubernetes' default (`Always` for `:latest`, else `IfNotPresent`).", schema: { type: 'string', enum: ['', 'Always', 'IfNotPresent', 'Never'] } },
    { path: 'imagePullSecrets', default: [], description: 'Secrets to pull the image with: `[{name: regcred}]`.', schema: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } } } },
    {
      path: 'replicas',
      default: facts.replicas,
      description: 'Operator pods (config/manager). Every replica serves admission and the scaling API; with leader election one reconciles. At least 1: the webhooks fail closed, so with none every create and update of an Engula object is refused.',
      schema: { type: 'integer', minimum: 1 },
    },
    { path: 'resources', default: facts.resources, description: "The operator container's requests and limits (config/manager; docs/benchmarks.md measures them).", schema: { type: 'object' } },
    { path: 'leaderElection.enabled', default: facts.leaderElect, description: '`--leader-elect`. Off, every replica reconciles: run one replica then.', schema: bool },
    {
      path: 'leaderElection.id',
      default: facts.leaderElectionId,
      description: "`--leader-election-id`: the Lease's name, in the release namespace. The chart's Role names the same Lease.",
      schema: dnsSubdomain,
    },
    { path: 'leaderElection.leaseDuration', default: '', description: '`--lease-duration` (e.g. `15s`); empty: the flag\'s default, 15s.', schema: goDuration },
    { path: 'leaderElection.renewDeadline', default: '', description: '`--renew-deadline`, shorter than the lease duration; empty: 10s.', schema: goDuration },
    { path: 'leaderElection.retryPeriod', default: '', description: '`--retry-period`; empty: 2s.', schema: goDuration },
    {
      path: 'watchNamespaces',
      default: [],
      description: '`--namespaces`: the namespaces the operator watches; empty: all. The webhooks then admit only objects in these namespaces (a namespaceSelector), as an operator run out of the cluster with `--namespaces` registers them.',
      schema: { type: 'array', uniqueItems: true, items: dnsLabel },
    },
    {
      path: 'webhook.certManager.enabled',
      default: false,
      description: 'Off: the operator makes its CA and serving certificate (Secret engula-operator-webhook-cert) and keeps the caBundle current. On: a cert-manager Certificate makes them (Secret engula-operator-webhook-tls), the operator serves it with `--webhook-cert-dir`, and cert-manager\'s cainjector fills the caBundle (annotation `cert-manager.io/inject-ca-from`). Needs cert-manager installed.',
      schema: bool,
    },
    {
      path: 'webhook.certManager.issuerRef',
      default: {},
      description: 'The issuer of that Certificate, `{name, kind, group}`; empty: the chart makes a self-signed Issuer (engula-operator-selfsigned).',
      schema: { type: 'object', additionalProperties: false, properties: { name: { type: 'string', minLength: 1 }, kind: str, group: str } },
    },
    {
      path: 'metrics.enabled',
      default: facts.metrics,
      description: '`/metrics` on port 8443 over HTTPS behind TokenReview and SubjectAccessReview (`--metrics-secure`): a scraper needs `get` on the `/metrics` URL (bind the ClusterRole engula-operator-metrics-reader). Off: `--metrics-bind-address=0`, and no metrics Service.',
      schema: bool,
    },
    { path: 'metrics.serviceMonitor.enabled', default: false, description: 'Needs the Prometheus Operator (monitoring.coreos.com/v1).', schema: bool },
    { path: 'metrics.serviceMonitor.labels', default: {}, description: "Labels your Prometheus's `serviceMonitorSelector` picks it by (not `app.kubernetes.io/*` or `helm.sh/*`).", schema: extraLabels },
    { path: 'metrics.serviceMonitor.interval', default: '', description: "Scrape interval (e.g. `30s`); empty: Prometheus's.", schema: { type: 'string', pattern: '^(|([0-9]+(ms|s|m|h|d|w|y))+)$' } },
    { path: 'networkPolicy.enabled', default: facts.networkPolicy, description: 'Off: no NetworkPolicy (config/network-policy).', schema: bool },
    {
      path: 'deletionProtection.enabled',
      default: true,
      description: '`spec.deletionProtection: true` refuses the delete of a Cluster or a child, checked by the API server itself. Annotated `helm.sh/resource-policy: keep`: it stays after `helm uninstall` (the CRDs and the databases stay too), and turning this off later does not remove it (`kubectl delete validatingadmissionpolicy,validatingadmissionpolicybinding engula-deletion-protection` does).',
      schema: bool,
    },
    { path: 'nodeSelector', default: {}, description: "The operator pods' nodeSelector.", schema: stringMap },
    { path: 'tolerations', default: [], description: "The operator pods' tolerations.", schema: { type: 'array', items: { type: 'object' } } },
    { path: 'affinity', default: {}, description: "The operator pods' affinity.", schema: { type: 'object' } },
    { path: 'priorityClassName', default: '', description: "The operator pods' priorityClassName (e.g. `system-cluster-critical`: with the webhooks down, Engula writes are refused).", schema: str },
    {
      path: 'commonLabels',
      default: {},
      description: "Labels added to every object of the chart and to the operator's pods. Not `app.kubernetes.io/*` or `helm.sh/*`: the chart sets those.",
      schema: extraLabels,
    },
    { path: 'podAnnotations', default: {}, description: "Annotations added to the operator's pods.", schema: stringMap },
    {
      path: 'extraArgs',
      default: [],
      description: 'More operator flags (`node cmd/manager.ts --help`, the README\'s Flags table), e.g. `[--max-replicas=50, --log-level=debug]`.',
      schema: { type: 'array', items: { type: 'string', pattern: '^--' } },
    },
  ];
}


function commentLines(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.replaceAll('`', '').split(/\s+/)) {
    if (line && indent.length + 2 + line.length + 1 + word.length > width) {
      lines.push(`${indent}# ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(`${indent}# ${line}`);
  return lines;
}

/** values.yaml: every value under its comment, groups under theirs, in the table's order. */
export function valuesYaml(values: ChartValue[], header: string): string {
  const out: string[] = [header.trimEnd()];
  const opened: string[] = [];
  for (const v of values) {
    const keys = v.path.split('.');
    let common = 0;
    while (common < opened.length && common < keys.length - 1 && opened[common] === keys[common]) common++;
    opened.length = common;
    if (common === 0) out.push('');
    for (let depth = common; depth < keys.length - 1; depth++) {
      const group = keys.slice(0, depth + 1).join('.');
      const indent = '  '.repeat(depth);
      out.push(...commentLines(GROUPS[group] ?? '', indent), `${indent}${keys[depth]}:`);
      opened.push(keys[depth]!);
    }
    const indent = '  '.repeat(keys.length - 1);
    const entry = stringify({ [keys.at(-1)!]: v.default }, { lineWidth: 0 }).trimEnd().split('\n');
    out.push(...commentLines(v.description, indent), ...entry.map((l) => indent + l));
  }
  return `${out.join('\n')}\n`;
}

/** values.schema.json: Helm refuses values that do not fit, a misspelt key too. */
export function valuesSchema(values: ChartValue[]): Record<string, unknown> {
  const root: Schema = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false, properties: { global: { type: 'object', description: "Helm's values shared with subcharts." } } };
  for (const v of values) {
    const keys = v.path.split('.');
    let at = root;
    keys.slice(0, -1).forEach((k, i) => {
      const props = at.properties as Record<string, Schema>;
      const group = keys.slice(0, i + 1).join('.');
      at = props[k] ??= { type: 'object', description: GROUPS[group] ?? '', additionalProperties: false, properties: {} };
    });
    (at.properties as Record<string, Schema>)[keys.at(-1)!] = { ...v.schema, description: v.description, default: v.default };
  }
  return root;
}

/** The README's table of values. */
export function valuesTable(values: ChartValue[]): string {
  const rows = values.map((v) => `| \`${v.path}\` | \`${JSON.stringify(v.default)}\` | ${v.description.replaceAll('|', '\\|')} |`);
  return ['| Value | Default | What |', '|---|---|---|', ...rows].join('\n');
}
