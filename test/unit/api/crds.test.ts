import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCrd } from '../../../api/v1alpha1/crds.ts';
import { CATEGORY, COMPONENTS, GROUP, KIND_NAMES, KINDS, VERSION } from '../../../api/v1alpha1/index.ts';
import { ruleCheckOf, type Schema } from '../../../api/v1alpha1/schema/schema.ts';

function* fields(s: Schema, path: string): Generator<[string, Schema]> {
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    yield [`${path}.${k}`, v];
    yield* fields(v, `${path}.${k}`);
  }
  if (s.items) yield* fields(s.items, `${path}[]`);
  if (s.additionalProperties) yield* fields(s.additionalProperties, `${path}{}`);
}

describe('CRDs', () => {
  const crds = KIND_NAMES.map(buildCrd);

  it('define the five kinds of cluster.engula.io/v1alpha1, namespaced, in category engula, each with its own short name', () => {
    assert.deepEqual(crds.map((c) => c.spec.names.kind), ['Cluster', 'Journal', 'Storage', 'Kernel', 'Engine']);
    const shortNames = new Set<string>();
    for (const crd of crds) {
      assert.equal(crd.spec.group, GROUP);
      assert.equal(crd.spec.scope, 'Namespaced');
      assert.deepEqual(crd.spec.names.categories, [CATEGORY]);
      assert.equal(crd.metadata.name, `${crd.spec.names.plural}.${GROUP}`);
      assert.deepEqual(crd.spec.versions.map((v) => [v.name, v.served, v.storage]), [[VERSION, true, true]]);
      for (const s of crd.spec.names.shortNames) shortNames.add(s);
    }
    assert.equal(shortNames.size, 5);
  });

  it('give every field a description (kubectl explain reads them)', () => {
    for (const crd of crds) {
      const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;
      assert.ok(schema.description);
      // The apiserver forbids anything but bounds under metadata.
      const missing = [...fields(schema, crd.spec.names.kind)].filter(([p, s]) => !p.includes('.metadata') && !s.description).map(([p]) => p);
      assert.deepEqual(missing, [], `fields without a description in ${crd.metadata.name}`);
    }
  });

  it('have the status subresource on all, and scale on the children only', () => {
    for (const crd of crds) {
      const sub = crd.spec.versions[0]!.subresources;
      assert.deepEqual(sub.status, {});
      if (crd.spec.names.kind === 'Cluster') assert.equal(sub.scale, undefined);
      else assert.deepEqual(sub.scale, { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' });
    }
  });

  it('print Desired, Ready, Updated, Phase, Rollout and Age for children (Revision with -o wide), Ready, Phase and Age for Clusters', () => {
    for (const crd of crds) {
      const cols = crd.spec.versions[0]!.additionalPrinterColumns.filter((c) => !c.priority).map((c) => `${c.name}=${c.jsonPath}`);
      if (crd.spec.names.kind === 'Cluster') {
        assert.deepEqual(cols, ['Ready=.status.readySummary', 'Phase=.status.phase', 'Age=.metadata.creationTimestamp']);
      } else {
        assert.deepEqual(cols, ['Desired=.spec.replicas', 'Ready=.status.readyReplicas', 'Updated=.status.updatedReplicas', 'Phase=.status.phase', 'Rollout=.status.rollout', 'Age=.metadata.creationTimestamp']);
        assert.ok(crd.spec.versions[0]!.additionalPrinterColumns.some((c) => c.name === 'Revision' && c.jsonPath === '.status.updateRevision' && c.priority === 1));
      }
    }
  });

  it('default each component\'s port in the Cluster and in its child kind', () => {
    const cluster = crds[0]!.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
    for (const c of COMPONENTS) {
      const kind = Object.values(KINDS).find((k) => 'component' in k && k.component === c)!;
      assert.ok('defaultPort' in kind);
      assert.equal(cluster.properties![c]!.properties!.port!.default, kind.defaultPort);
      const child = crds.find((x) => x.spec.names.kind === kind.kind)!.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
      assert.equal(child.properties!.port!.default, kind.defaultPort);
      assert.equal(child.properties!.replicas!.minimum, c === 'kernel' ? 1 : 0);
    }
  });

  it('pair every CEL rule with a TypeScript check, and transition rules are recognised', () => {
    let rules = 0;
    let transitions = 0;
    const visit = (s: Schema): void => {
      for (const r of s['x-kubernetes-validations'] ?? []) {
        rules++;
        if (ruleCheckOf(r).transition) transitions++;
        assert.equal(ruleCheckOf(r).transition, r.rule.includes('oldSelf'));
      }
      for (const v of Object.values(s.properties ?? {})) visit(v);
      if (s.items) visit(s.items);
      if (s.additionalProperties) visit(s.additionalProperties);
    };
    for (const crd of crds) visit(crd.spec.versions[0]!.schema.openAPIV3Schema);
    assert.ok(rules > 0 && transitions > 0);
  });
});
