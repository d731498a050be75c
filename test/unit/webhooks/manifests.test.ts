// The checked-in kustomize base in config/webhook is what the builders make today.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { webhookManifests } from '../../../webhooks/manifests.ts';

const root = join(import.meta.dirname, '..', '..', '..');

test('config/webhook is up to date (run `make manifests` when this fails)', () => {
  for (const [path, content] of Object.entries(webhookManifests())) {
    assert.equal(readFileSync(join(root, path), 'utf8'), content, `${path} is stale`);
  }
});

test('the webhooks are scoped to our group, CREATE/UPDATE only, failing closed, with no side effects', () => {
  const docs = webhookManifests()['config/webhook/manifests.yaml']!.split(/^---$/m).map((d) => parse(d) as { kind: string; webhooks: Record<string, unknown>[] });
  assert.deepEqual(docs.map((d) => d.kind), ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
  for (const d of docs) {
    for (const w of d.webhooks) {
      assert.equal(w.failurePolicy, 'Fail');
      assert.equal(w.sideEffects, 'None');
      assert.deepEqual(w.admissionReviewVersions, ['v1']);
      assert.ok((w.timeoutSeconds as number) <= 10);
      for (const r of w.rules as { apiGroups: string[]; operations: string[] }[]) {
        assert.deepEqual(r.apiGroups, ['cluster.engula.io']);
        assert.deepEqual(r.operations, ['CREATE', 'UPDATE']);
      }
    }
  }
  const validating = docs[0]!.webhooks[0]!.rules as { resources: string[] }[];
  assert.ok(validating[0]!.resources.includes('journals/scale'), 'the scale subresource is validated');
});
