import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildCrd } from '../../../api/v1alpha1/crds.ts';
import { applyDefaults } from '../../../api/v1alpha1/index.ts';
import { namespaceSuite } from '../../support/suite.ts';
import { samples } from '../../unit/api/fixtures/objects.ts';
import { CRD_NAMES, installCrds, k, kOk, ROOT } from './kubectl-api.ts';

const flat = (s: string) => s.replace(/\s+/g, ' ');

describe('the CRDs on a real apiserver', () => {
  const suite = namespaceSuite('api-crds', { install: installCrds });
  before(async () => {
    // --validate=strict: a field the schema does not know fails the apply instead of being dropped.
    await kOk(['apply', '--validate=strict', '-n', suite.ns(), '-f', join(ROOT, 'samples')]);
  });

  it('are installed and Established, and installing again changes nothing', async () => {
    await installCrds();
    for (const name of CRD_NAMES) {
      assert.equal(
        await kOk(['get', 'crd', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']),
        'True',
      );
    }
  });

  it('accept every sample, stored as written plus the same defaults applyDefaults() gives', async () => {
    const ns = suite.ns();
    for (const s of samples()) {
      const got = JSON.parse(await kOk(['get', '-n', ns, s.kind.toLowerCase(), s.object.metadata.name, '-o', 'json'])) as {
        spec: Record<string, unknown>;
      };
      assert.deepEqual(got.spec, applyDefaults(s.kind, s.object).spec, s.file);
    }
  });

  it('apply defaults on the server: pullPolicy, ports, switches, the launch profile', async () => {
    const ns = suite.ns();
    const spec = JSON.parse(await kOk(['get', '-n', ns, 'cluster', 'minimal', '-o', 'jsonpath={.spec}'])) as Record<string, { port?: number; pullPolicy?: string } | boolean | string>;
    assert.deepEqual(
      [spec.image, spec.paused, spec.allowScaleDown, spec.launchProfile, spec.journal, spec.kernel],
      [
        { name: 'uhub.service.ucloud.cn/zojw/engula:0.9', pullPolicy: 'IfNotPresent' },
        false,
        false,
        'v0.2-kube-dns',
        // No metricsPort: no Engula line serves metrics.
        { replicas: 1, port: 24570 },
        { replicas: 1, port: 24567 },
      ],
    );
  });

  it('make `kubectl explain cluster.spec.storage.volume` read like documentation', async () => {
    const out = flat(await kOk(['explain', 'cluster.spec.storage.volume']));
    const volume = buildCrd('Cluster').spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!.properties!.storage!.properties!.volume!;
    assert.ok(out.includes(flat(volume.description!)), out);
    assert.ok(out.includes(flat(volume.properties!.spec!.description!)), out);
    assert.ok(out.includes(flat(volume.properties!.source!.description!)), out);
    const claim = flat(await kOk(['explain', 'cluster.spec.storage.volume.spec.storageClassName']));
    assert.match(claim, /StorageClass that provisions the volumes/);
  });

  it('list every sample under `kubectl get engula` with the printer columns', async () => {
    const ns = suite.ns();
    // Status is written through the status subresource, as the controllers will.
    await kOk(['patch', '-n', ns, 'journal', 'standalone-journal', '--subresource=status', '--type=merge', '-p',
      JSON.stringify({ status: { replicas: 1, readyReplicas: 1, updatedReplicas: 1, phase: 'Ready', rollout: 'Rolling standalone-journal: replacing pod standalone-journal-0', selector: 'app.kubernetes.io/instance=standalone-journal' } })]);
    await kOk(['patch', '-n', ns, 'cluster', 'full', '--subresource=status', '--type=merge', '-p',
      JSON.stringify({ status: { readySummary: '2/4', phase: 'Progressing' } })]);
    const out = await kOk(['get', 'engula', '-n', ns]);
    const lines = out.split('\n').map((l) => l.trim().split(/\s+/));
    const row = (name: string) => lines.find((l) => l[0] === name);
    const headers = lines.filter((l) => l[0] === 'NAME').map((l) => l.join(' '));
    assert.deepEqual([...new Set(headers)].sort(), ['NAME DESIRED READY UPDATED PHASE ROLLOUT AGE', 'NAME READY PHASE AGE']);
    for (const s of samples()) assert.ok(row(`${s.kind.toLowerCase()}.cluster.engula.io/${s.object.metadata.name}`), `${s.file} in:\n${out}`);
    assert.deepEqual(row('journal.cluster.engula.io/standalone-journal')?.slice(1, 5), ['1', '1', '1', 'Ready']);
    assert.match(out, /standalone-journal +1 +1 +1 +Ready +Rolling standalone-journal: replacing pod standalone-journal-0 /);
    assert.deepEqual(row('cluster.cluster.engula.io/full')?.slice(1, 3), ['2/4', 'Progressing']);
    // Each short name works too.
    for (const [short, name] of [['egc', 'full'], ['egj', 'standalone-journal'], ['egs', 'standalone-storage'], ['egk', 'standalone-kernel'], ['ege', 'standalone-engine']]) {
      assert.match(await kOk(['get', '-n', ns, short!, name!, '-o', 'name']), new RegExp(`/${name}$`, 'm'));
    }
  });

  it('let `kubectl scale journal/<name> --replicas=3` change spec.replicas of a standalone Journal', async () => {
    const ns = suite.ns();
    await kOk(['scale', '-n', ns, 'journal/standalone-journal', '--replicas=3']);
    assert.equal(await kOk(['get', '-n', ns, 'journal', 'standalone-journal', '-o', 'jsonpath={.spec.replicas}']), '3');
    const scale = JSON.parse(await kOk(['get', '-n', ns, 'journal', 'standalone-journal', '--subresource=scale', '-o', 'json'])) as {
      kind: string;
      spec: { replicas: number };
      status: { selector?: string };
    };
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.spec.replicas, 3);
    assert.equal(scale.status.selector, 'app.kubernetes.io/instance=standalone-journal');
  });

  it('refuse scaling a Kernel to zero through the scale subresource', async () => {
    const ns = suite.ns();
    const r = await k(['scale', '-n', ns, 'kernel/standalone-kernel', '--replicas=0']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.replicas: Invalid value: 0/);
  });
});
