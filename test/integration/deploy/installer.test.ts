// `make build-installer` writes one file that `kubectl apply --server-side -f` takes whole: the
// Namespace first, the CRDs next, the deletion-protection policy, and the operator as `make deploy`
// applies it, with the image given. The shared control plane checks the file (a server-side dry
// run: nothing is written, so the CRDs and cluster-wide objects of the other test files are not
// touched) and must accept every object of it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { installCrds } from '../../support/crds.ts';
import { objectsOf } from '../../support/helm.ts';
import { kubectl, kubectlOk, testEnv } from '../../support/kube.ts';
import { renderKustomization } from '../../support/kustomize.ts';
import { make, transcript } from '../../support/make.ts';

const IMG = 'registry.example/engula-operator:v0-installer-test';

describe('make build-installer', () => {
  it('writes the CRDs, deletion protection and the operator in one file kubectl applies at once, ordered for it', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'engula-installer-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'install.yaml');
    const r = await make('build-installer', { IMG, INSTALL_YAML: file, KUBECTL: join(testEnv().binDir, 'kubectl') }, testEnv().kubeconfig);
    t.diagnostic(`make build-installer IMG=${IMG}\n${transcript(r)}`);
    assert.equal(r.code, 0, transcript(r));

    const text = readFileSync(file, 'utf8');
    const objects = objectsOf(text);
    const kinds = objects.map((o) => o.kind);
    assert.equal(kinds[0], 'Namespace', 'the Namespace first: everything after it lives in it');
    const crds = kinds.flatMap((k, i) => (k === 'CustomResourceDefinition' ? [i] : []));
    assert.deepEqual(crds, [1, 2, 3, 4, 5], 'the five CRDs right after it, before anything else');
    assert.ok(kinds.includes('ValidatingAdmissionPolicy') && kinds.includes('ValidatingAdmissionPolicyBinding'), 'deletion protection, as make install applies it');
    // Everything make install and make deploy apply, nothing else.
    const expected = [...renderKustomization('config/crd'), ...renderKustomization('config/policy'), ...renderKustomization('config/default')].map((o) => `${o.kind}/${o.metadata.name}`);
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), expected.sort());
    assert.match(text, new RegExp(`^ +image: ${IMG}$`, 'm'));
    assert.doesNotMatch(text, /controller:latest/);

    // A dry run needs the Namespace to exist already (a dry-run Namespace is never made): on a
    // fresh cluster the one apply makes it first. This test's own, removed after.
    await installCrds();
    const existed = (await kubectlOk(['get', 'namespace', 'engula-system', '--ignore-not-found', '-o', 'name'])).trim() !== '';
    if (!existed) {
      await kubectlOk(['create', 'namespace', 'engula-system']);
      t.after(async () => void (await kubectl(['delete', 'namespace', 'engula-system', '--wait=false'])));
    }
    const applied = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', file], { timeoutMs: 120_000 });
    t.diagnostic(`kubectl apply --server-side --dry-run=server -f install.yaml\n${transcript(applied)}`);
    assert.equal(applied.code, 0, transcript(applied));
    const lines = applied.stdout.trim().split('\n');
    assert.equal(lines.length, objects.length, 'one line per object');
    for (const line of lines) assert.match(line, /serverside-applied \(server dry run\)$/);
  });
});
