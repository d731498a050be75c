// The checked-in chart (charts/engula-operator) is what hack/chart/generate.ts makes from config/
// today: a hand edit of config/ (or of the chart) without `make chart` fails here, naming the file.
// And what the generator itself must hold: the defaults config/ decides are read from it, the
// CRDs are copied byte for byte, every value has a comment and a schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { CHART_DIR, chartFiles, readChartInputs } from '../../../hack/chart/chart.ts';
import { filesUnder } from '../../../hack/chart/generate.ts';
import { configFacts } from '../../../hack/chart/objects.ts';
import { chartValues, GROUPS } from '../../../hack/chart/values.ts';
import { block, expr, templateYaml } from '../../../hack/chart/template-yaml.ts';
import { repoRoot } from '../../../hack/kustomize.ts';

/** Where the checked-in file first differs from the generated one, to say what changed. */
function firstDifference(onDisk: string, generated: string): string {
  const have = onDisk.split('\n');
  const want = generated.split('\n');
  const i = want.findIndex((line, n) => line !== have[n]);
  const at = i === -1 ? want.length : i;
  return `line ${at + 1} is ${JSON.stringify(have[at] ?? '(end of file)')}, config/ makes it ${JSON.stringify(want[at] ?? '(end of file)')}`;
}

const inputs = readChartInputs();
const files = chartFiles(inputs);

describe('charts/engula-operator', () => {
  it('is up to date with config/ (run `make chart` when this fails)', () => {
    const stale: string[] = [];
    for (const [path, content] of Object.entries(files)) {
      let onDisk: string | undefined;
      try {
        onDisk = readFileSync(join(repoRoot, path), 'utf8');
      } catch {
        onDisk = undefined;
      }
      if (onDisk !== content) stale.push(onDisk === undefined ? `${path} is missing` : `${path} is stale: ${firstDifference(onDisk, content)}`);
    }
    for (const path of filesUnder(CHART_DIR)) if (!(path in files)) stale.push(`${path} is not made by hack/chart/generate.ts`);
    assert.deepEqual(stale, [], `${stale.join('\n')}\nrun \`make chart\``);
  });

  it('takes its defaults from config/manager: replicas, resources, leader election', () => {
    const values = parse(files[`${CHART_DIR}/values.yaml`]!) as Record<string, Record<string, unknown>>;
    const deployment = inputs.configDefault.find((d) => d.kind === 'Deployment')!;
    const spec = deployment.spec as { replicas: number; template: { spec: { containers: Array<{ args: string[]; resources: unknown }> } } };
    const container = spec.template.spec.containers[0]!;
    assert.equal(values.replicas, spec.replicas);
    assert.deepEqual(values.resources, container.resources);
    assert.equal(values.leaderElection!.enabled, container.args.includes('--leader-elect'));
    assert.equal(`--leader-election-id=${String(values.leaderElection!.id)}`, container.args.find((a) => a.startsWith('--leader-election-id=')));
  });

  it('ships config/crd/bases unchanged in crds/, where Helm installs but never upgrades or deletes them', () => {
    const crds = Object.keys(files).filter((p) => p.startsWith(`${CHART_DIR}/crds/`));
    assert.equal(crds.length, 5);
    for (const p of crds) assert.equal(files[p], readFileSync(join(repoRoot, 'config/crd/bases', p.split('/').pop()!), 'utf8'));
    assert.ok(!Object.entries(files).some(([p, c]) => p.includes('/templates/') && /kind: CustomResourceDefinition/.test(c)), 'no CRD among the templates');
  });

  it('documents every value in values.yaml and describes it in values.schema.json', () => {
    const yamlText = files[`${CHART_DIR}/values.yaml`]!;
    const schema = JSON.parse(files[`${CHART_DIR}/values.schema.json`]!) as { properties: Record<string, { description?: string; properties?: Record<string, unknown> }> };
    const documented = new Set([...chartValues(configFacts(inputs.configDefault)).map((v) => v.path), ...Object.keys(GROUPS)]);
    const lines = yamlText.split('\n');
    const path: string[] = [];
    let seen = 0;
    lines.forEach((line, i) => {
      const m = /^( *)([A-Za-z]+):/.exec(line);
      if (!m) return;
      path.length = m[1]!.length / 2;
      path.push(m[2]!);
      if (!documented.has(path.join('.'))) return;
      seen++;
      assert.match(lines[i - 1] ?? '', /^ *# /, `values.yaml line ${i + 1} (${path.join('.')}) has no comment above it`);
    });
    assert.equal(seen, documented.size, 'every value and group is in values.yaml');
    const top = Object.keys(parse(yamlText) as object);
    assert.deepEqual(Object.keys(schema.properties).filter((k) => k !== 'global').sort(), top.sort());
    for (const k of top) assert.ok(schema.properties[k]!.description, `${k} has a description in the schema`);
  });

  it('the deletion-protection policy is kept by helm uninstall, as the databases are', () => {
    const policy = Object.entries(files).filter(([p]) => p.includes('/templates/validatingadmissionpolicy'));
    assert.equal(policy.length, 2);
    for (const [, c] of policy) {
      assert.match(c, /helm\.sh\/resource-policy: keep/);
      assert.match(c, /^\{\{- if \.Values\.deletionProtection\.enabled \}\}$/m);
    }
  });
});

describe('templateYaml', () => {
  it('puts template text for scalars and blocks at the indentation they stand at', () => {
    const text = templateYaml({
      spec: {
        replicas: expr('{{ .Values.replicas }}'),
        args: ['--a', block(() => ['{{- if .Values.b }}', '- --b', '{{- end }}'])],
        nodeSelector: block((indent) => ['{{- with .Values.nodeSelector }}', 'nodeSelector:', `  {{- toYaml . | nindent ${indent + 2} }}`, '{{- end }}']),
      },
    });
    assert.equal(
      text,
      [
        'spec:',
        '  replicas: {{ .Values.replicas }}',
        '  args:',
        '    - --a',
        '    {{- if .Values.b }}',
        '    - --b',
        '    {{- end }}',
        '  {{- with .Values.nodeSelector }}',
        '  nodeSelector:',
        '    {{- toYaml . | nindent 4 }}',
        '  {{- end }}',
        '',
      ].join('\n'),
    );
  });
});
