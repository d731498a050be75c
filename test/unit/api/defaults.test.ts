import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDefaults, KINDS, type Cluster, type Journal } from '../../../api/v1alpha1/index.ts';

describe('applyDefaults', () => {
  const minimal: Cluster = {
    apiVersion: 'cluster.engula.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'c' },
    spec: {
      name: 'c',
      image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9' },
      journal: { replicas: 1 },
      storage: { replicas: 1 },
      kernel: { replicas: 1, image: { name: 'other' } },
      engine: { replicas: 1, port: 1234 },
    },
  };

  it('fills pullPolicy, the switches and each component\'s own port', () => {
    const d = applyDefaults('Cluster', minimal);
    assert.equal(d.spec.image.pullPolicy, 'IfNotPresent');
    assert.equal(d.spec.kernel?.image?.pullPolicy, 'IfNotPresent');
    assert.equal(d.spec.paused, false);
    assert.equal(d.spec.allowScaleDown, false);
    assert.equal(d.spec.journal?.port, KINDS.Journal.defaultPort);
    assert.equal(d.spec.storage?.port, KINDS.Storage.defaultPort);
    assert.equal(d.spec.kernel?.port, KINDS.Kernel.defaultPort);
    assert.equal(d.spec.engine?.port, 1234, 'a given value stays');
    assert.equal(d.spec.journal?.metricsPort, undefined, 'no metrics port unless the image is said to serve metrics');
    assert.equal(d.spec.launchProfile, 'v0.2-kube-dns', "the original operator's Engula line");
  });

  it('does not create objects the user left out, nor change its input', () => {
    const before = structuredClone(minimal);
    const d = applyDefaults('Cluster', minimal);
    assert.deepEqual(minimal, before);
    assert.equal(d.spec.journal?.image, undefined, 'a component without an image takes the Cluster\'s, not a default');
    assert.equal(d.spec.journal?.volume, undefined);
    assert.equal(d.status, undefined);
  });

  it('is idempotent', () => {
    const once = applyDefaults('Cluster', minimal);
    assert.deepEqual(applyDefaults('Cluster', once), once);
  });

  it('defaults a child with its component\'s port', () => {
    const j: Journal = { apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Journal', metadata: { name: 'j' }, spec: { replicas: 1 } };
    assert.deepEqual(applyDefaults('Journal', j).spec, { replicas: 1, port: 24570, launchProfile: 'v0.2-kube-dns', deletionProtection: false });
    assert.equal(applyDefaults('Engine', { ...j, kind: 'Engine' }).spec.port, 24568);
  });
});
