// The admission decisions through the fastify routes (inject, no socket), with the real generated
// validators and defaults, and the Cluster lookups served from plain objects.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { applyJsonPatch } from '../../support/json-patch.ts';
import { MUTATE_PATH, VALIDATE_PATH } from '../../../webhooks/admission/routes.ts';
import { cachedObjectReader, staticObjectReader, type ObjectCache, type ObjectReader } from '../../../webhooks/admission/state.ts';
import type { KubeObject } from '../../../runtime/resource.ts';
import type { JsonObject } from '../../../webhooks/admission/rules.ts';
import { apiSchemas } from '../../../webhooks/index.ts';
import { buildWebhookServer, type WebhookServer } from '../../../webhooks/server.ts';
import { StaticCertificates } from '../../../webhooks/tls/source.ts';
import { admissionReview, childOf, clusterObject, loopbackCertificates, quietLogger, scaleObject, standaloneChild } from '../../support/admission.ts';

interface Answer {
  response: { uid: string; allowed: boolean; patch?: string; patchType?: string; status?: { code: number; message: string; details?: { causes: { field: string }[] } } };
}

const cluster = clusterObject('demo', 'ns', { allowScaleDown: false });
const permissive = clusterObject('open', 'ns', { allowScaleDown: true });

let app: WebhookServer;
let reader: ObjectReader;

async function build(r: ObjectReader): Promise<WebhookServer> {
  const certs = new StaticCertificates(await loopbackCertificates());
  return buildWebhookServer({ certificates: certs, logger: quietLogger(), admission: { schemas: apiSchemas, reader: r, maxReplicas: 10 } });
}

before(async () => {
  reader = staticObjectReader([cluster, permissive, childOf(cluster, 'journal'), childOf(permissive, 'storage')]);
  app = await build(reader);
});
after(() => app.close());

async function post(path: string, review: JsonObject): Promise<Answer> {
  const res = await app.inject({ method: 'POST', url: path, payload: review });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<Answer>();
}

async function refusal(review: JsonObject): Promise<string> {
  const a = await post(VALIDATE_PATH, review);
  assert.equal(a.response.allowed, false, 'expected a refusal');
  return a.response.status!.message;
}

async function admitted(review: JsonObject): Promise<void> {
  const a = await post(VALIDATE_PATH, review);
  assert.equal(a.response.allowed, true, a.response.status?.message);
}

function update(obj: JsonObject, change: (o: JsonObject) => void): JsonObject {
  const copy = structuredClone(obj);
  change(copy);
  return copy;
}

// Tests poke at nested spec fields freely; the objects are checked by the code under test.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const spec = (o: JsonObject) => o.spec as Record<string, any>;

describe('mutating webhook', () => {
  test('fills ports and pullPolicy with a JSON patch that keeps what was given', async () => {
    const obj = clusterObject('fresh', 'ns', { storage: { replicas: 1, port: 30000 } });
    const a = await post(MUTATE_PATH, admissionReview({ resource: 'clusters', object: obj }));
    assert.equal(a.response.allowed, true);
    assert.equal(a.response.patchType, 'JSONPatch');
    const patched = applyJsonPatch(obj, JSON.parse(Buffer.from(a.response.patch!, 'base64').toString())) as JsonObject;
    assert.equal(spec(patched).journal!.port, 24570);
    assert.equal(spec(patched).storage!.port, 30000, 'a given port is kept');
    assert.equal(spec(patched).kernel!.port, 24567);
    assert.equal(spec(patched).engine!.port, 24568);
    assert.equal(spec(patched).image!.pullPolicy, 'IfNotPresent');
  });

  test('defaults children too, and sends no patch when nothing is missing', async () => {
    const child = standaloneChild('Journal', 'j1', 'ns', { image: { name: 'x' } });
    const a = await post(MUTATE_PATH, admissionReview({ resource: 'journals', object: child }));
    const patched = applyJsonPatch(child, JSON.parse(Buffer.from(a.response.patch!, 'base64').toString())) as JsonObject;
    assert.equal(spec(patched).port, 24570);
    assert.equal((spec(patched).image as JsonObject).pullPolicy, 'IfNotPresent');
    const again = await post(MUTATE_PATH, admissionReview({ resource: 'journals', object: patched }));
    assert.equal(again.response.allowed, true);
    assert.equal(again.response.patch, undefined);
  });

  test('lets the scale subresource through unchanged', async () => {
    const a = await post(MUTATE_PATH, admissionReview({ operation: 'UPDATE', resource: 'journals', subResource: 'scale', object: scaleObject('demo-journal', 'ns', 3), oldObject: scaleObject('demo-journal', 'ns', 3) }));
    assert.deepEqual([a.response.allowed, a.response.patch], [true, undefined]);
  });
});

describe('validating webhook: replicas', () => {
  test('a valid Cluster passes', () => admitted(admissionReview({ resource: 'clusters', object: cluster })));

  test('above --max-replicas is refused with the field, the value and the limit', async () => {
    const msg = await refusal(admissionReview({ resource: 'clusters', object: update(cluster, (o) => (spec(o).engine!.replicas = 11)) }));
    assert.match(msg, /spec\.engine\.replicas: Invalid value: 11: must be an integer from 0 to 10 \(the operator's --max-replicas is 10\)/);
  });

  test('a string where a number belongs is refused by the schema', async () => {
    const msg = await refusal(admissionReview({ resource: 'clusters', object: update(cluster, (o) => (spec(o).journal!.replicas = '3')) }));
    assert.match(msg, /spec\.journal\.replicas: Invalid value: "3": must be of type integer/);
  });

  test('a kernel needs at least one replica', async () => {
    const msg = await refusal(admissionReview({ resource: 'kernels', object: standaloneChild('Kernel', 'k', 'ns', { replicas: 0 }) }));
    assert.match(msg, /spec\.replicas: Invalid value: 0/);
  });

  test('a fractional or negative count is refused', async () => {
    assert.match(await refusal(admissionReview({ resource: 'engines', object: standaloneChild('Engine', 'e', 'ns', { replicas: 1.5 }) })), /spec\.replicas: Invalid value: 1\.5/);
    assert.match(await refusal(admissionReview({ resource: 'engines', object: standaloneChild('Engine', 'e', 'ns', { replicas: -1 }) })), /spec\.replicas: Invalid value: -1/);
  });
});

describe('validating webhook: scaling down journal and storage', () => {
  test('is refused on a Cluster without allowScaleDown, with the command that allows it', async () => {
    const msg = await refusal(admissionReview({ operation: 'UPDATE', resource: 'clusters', object: update(cluster, (o) => (spec(o).journal!.replicas = 2)), oldObject: cluster }));
    assert.match(msg, /spec\.journal\.replicas/);
    assert.match(msg, /allowScaleDown/);
  });

  test('removing storage from a Cluster counts as scaling it down', async () => {
    const msg = await refusal(admissionReview({ operation: 'UPDATE', resource: 'clusters', object: update(cluster, (o) => delete spec(o).storage), oldObject: cluster }));
    assert.match(msg, /allowScaleDown/);
  });

  test('passes when the Cluster allows it, and kernel/engine may always shrink', async () => {
    await admitted(admissionReview({ operation: 'UPDATE', resource: 'clusters', object: update(permissive, (o) => (spec(o).journal!.replicas = 1)), oldObject: permissive }));
    await admitted(admissionReview({ operation: 'UPDATE', resource: 'clusters', object: update(cluster, (o) => (spec(o).engine!.replicas = 0)), oldObject: cluster }));
  });

  test("a child's scale-down follows its Cluster's switch (the operator propagating an allowed change)", async () => {
    const owned = childOf(permissive, 'storage');
    const shrunk = update(permissive, (o) => (spec(o).storage!.replicas = 1));
    const r = staticObjectReader([shrunk]);
    const local = await build(r);
    try {
      const res = await local.inject({ method: 'POST', url: VALIDATE_PATH, payload: admissionReview({ operation: 'UPDATE', resource: 'storages', object: update(owned, (o) => (spec(o).replicas = 1)), oldObject: owned }) });
      assert.equal(res.json<Answer>().response.allowed, true, res.body);
    } finally {
      await local.close();
    }
  });
});

describe('validating webhook: a child follows its Cluster', () => {
  test("shrinking to the Cluster's replicas passes even after allowScaleDown was turned off again", async () => {
    // The Cluster went 3 → 2 with allowScaleDown, then allowScaleDown back to false, before the
    // operator wrote the child: its write must not be stranded by a second check.
    const shrunk = update(cluster, (o) => (spec(o).journal!.replicas = 2));
    const local = await build(staticObjectReader([shrunk]));
    try {
      const old = childOf(cluster, 'journal');
      const res = await local.inject({ method: 'POST', url: VALIDATE_PATH, payload: admissionReview({ operation: 'UPDATE', resource: 'journals', object: childOf(shrunk, 'journal'), oldObject: old }) });
      assert.equal(res.json<Answer>().response.allowed, true, res.body);
      const below = await local.inject({ method: 'POST', url: VALIDATE_PATH, payload: admissionReview({ operation: 'UPDATE', resource: 'journals', object: update(old, (o) => (spec(o).replicas = 1)), oldObject: old }) });
      assert.match(below.json<Answer>().response.status!.message, /spec\.replicas: Forbidden: 1: Journal demo-journal belongs to Cluster demo/);
    } finally {
      await local.close();
    }
  });
});

describe('validating webhook: Clusters read from the informer cache', () => {
  /** A cache holding `objects` (frozen, as the informers hold them), counting the fresh reads behind it. */
  function cachedReader(objects: JsonObject[], fresh: JsonObject[]): { reader: ObjectReader; freshReads: () => number } {
    const byKey = new Map(objects.map((o) => [`${String(o.kind)}/${(o.metadata as { name: string }).name}`, Object.freeze(structuredClone(o))]));
    const cache: ObjectCache = { peek: (ref, _ns, name) => ({ synced: true, obj: byKey.get(`${ref.kind}/${name}`) as unknown as KubeObject | undefined }) };
    const server = staticObjectReader(fresh);
    let reads = 0;
    const counted: ObjectReader = { get: (kind, ns, name) => (reads++, server.get(kind, ns, name)) };
    return { reader: cachedObjectReader(cache, counted), freshReads: () => reads };
  }

  test('admits from the cache with no read of the API server; a miss reads it', async () => {
    const { reader: r, freshReads } = cachedReader([cluster], [cluster, permissive]);
    const local = await build(r);
    try {
      const ok = await local.inject({ method: 'POST', url: VALIDATE_PATH, payload: admissionReview({ operation: 'CREATE', resource: 'journals', object: childOf(cluster, 'journal') }) });
      assert.equal(ok.json<Answer>().response.allowed, true, ok.body);
      assert.equal(freshReads(), 0);
      const miss = await local.inject({ method: 'POST', url: VALIDATE_PATH, payload: admissionReview({ operation: 'CREATE', resource: 'storages', object: childOf(permissive, 'storage') }) });
      assert.equal(miss.json<Answer>().response.allowed, true, miss.body);
      assert.equal(freshReads(), 1);
    } finally {
      await local.close();
    }
  });

  test("a refusal from a cache behind the Cluster is checked again on the API server's state", async () => {
    // The Cluster was just scaled to 5: the controller writes the child that follows, while this
    // replica's cache still has 3.
    const scaled = update(cluster, (o) => (spec(o).journal!.replicas = 5));
    const { reader: r, freshReads } = cachedReader([cluster], [scaled]);
    const local = await build(r);
    try {
      const old = childOf(cluster, 'journal');
      const follows = await local.inject({ method: 'POST', url: VALIDATE_PATH, payload: admissionReview({ operation: 'UPDATE', resource: 'journals', object: childOf(scaled, 'journal'), oldObject: old }) });
      assert.equal(follows.json<Answer>().response.allowed, true, follows.body);
      assert.equal(freshReads(), 1);
      // A hand edit is refused on both: the refusal names the API server's Cluster.
      const edit = await local.inject({ method: 'POST', url: VALIDATE_PATH, payload: admissionReview({ operation: 'UPDATE', resource: 'journals', object: update(old, (o) => (spec(o).replicas = 4)), oldObject: old }) });
      assert.match(edit.json<Answer>().response.status!.message, /spec\.replicas: Forbidden: 4: Journal demo-journal belongs to Cluster demo/);
      assert.equal(freshReads(), 2);
    } finally {
      await local.close();
    }
  });
});

describe('validating webhook: volumes', () => {
  const withVolume = update(cluster, (o) => (spec(o).storage!.volume = { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }));

  test('a changed claim template is refused, naming the StatefulSet rule', async () => {
    const bigger = update(withVolume, (o) => ((spec(o).storage!.volume as JsonObject).spec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } }));
    const msg = await refusal(admissionReview({ operation: 'UPDATE', resource: 'clusters', object: bigger, oldObject: withVolume }));
    assert.match(msg, /spec\.storage\.volume/);
    assert.match(msg, /volume claim templates are immutable/);
  });

  test('adding a volume to a running child is refused; a new component may bring one', async () => {
    const child = standaloneChild('Storage', 's', 'ns');
    const msg = await refusal(admissionReview({ operation: 'UPDATE', resource: 'storages', object: update(child, (o) => (spec(o).volume = { source: { claimName: 'x' } })), oldObject: child }));
    assert.match(msg, /spec\.volume/);
    const noStorage = update(cluster, (o) => delete spec(o).storage);
    await admitted(admissionReview({ operation: 'UPDATE', resource: 'clusters', object: withVolume, oldObject: noStorage }));
  });
});

describe('validating webhook: fields a Cluster owns', () => {
  const journal = childOf(cluster, 'journal');

  test('a hand edit of replicas is refused, naming the Cluster and the kubectl patch to use', async () => {
    const msg = await refusal(admissionReview({ operation: 'UPDATE', resource: 'journals', object: update(journal, (o) => (spec(o).replicas = 5)), oldObject: journal }));
    assert.match(msg, /spec\.replicas: Forbidden: 5: Journal demo-journal belongs to Cluster demo, which sets this field; change it on the Cluster instead/);
    assert.match(msg, /kubectl patch cluster demo -n ns --type merge -p '\{"spec":\{"journal":\{"replicas":5\}\}\}'/);
  });

  test('kubectl scale of an owned child is refused the same way', async () => {
    const msg = await refusal(
      admissionReview({ operation: 'UPDATE', resource: 'journals', subResource: 'scale', name: 'demo-journal', object: scaleObject('demo-journal', 'ns', 4), oldObject: scaleObject('demo-journal', 'ns', 3) }),
    );
    assert.match(msg, /Journal demo-journal belongs to Cluster demo/);
    assert.match(msg, /kubectl patch cluster demo/);
  });

  test("an image edit is refused, while writing the Cluster's own values passes (the operator's writes)", async () => {
    const msg = await refusal(admissionReview({ operation: 'UPDATE', resource: 'journals', object: update(journal, (o) => (spec(o).image = { name: 'other:1' })), oldObject: journal }));
    assert.match(msg, /spec\.image: Forbidden/);
    // The Cluster's image as the child stores it: the pull policy filled in by the defaulting.
    const withClusterImage = update(journal, (o) => (spec(o).image = { ...spec(cluster).image, pullPolicy: 'IfNotPresent' }));
    const withoutImage = update(journal, (o) => delete spec(o).image);
    await admitted(admissionReview({ operation: 'UPDATE', resource: 'journals', object: withClusterImage, oldObject: withoutImage }));
    await admitted(admissionReview({ operation: 'CREATE', resource: 'journals', object: journal }));
  });

  test('a field the Cluster leaves unset, and a metadata-only edit, pass', async () => {
    await admitted(admissionReview({ operation: 'UPDATE', resource: 'journals', object: update(journal, (o) => (spec(o).nodeSelector = { zone: 'a' })), oldObject: journal }));
    await admitted(admissionReview({ operation: 'UPDATE', resource: 'journals', object: update(journal, (o) => ((o.metadata as JsonObject).labels = { a: 'b' })), oldObject: journal }));
  });

  test('a standalone child is scaled freely within the limits', async () => {
    await admitted(admissionReview({ operation: 'UPDATE', resource: 'journals', subResource: 'scale', name: 'nobody', namespace: 'ns', object: scaleObject('nobody', 'ns', 1), oldObject: scaleObject('nobody', 'ns', 4) }));
    const msg = await refusal(admissionReview({ operation: 'UPDATE', resource: 'kernels', subResource: 'scale', name: 'nobody', namespace: 'ns', object: scaleObject('nobody', 'ns', 0), oldObject: scaleObject('nobody', 'ns', 1) }));
    assert.match(msg, /spec\.replicas: Invalid value: 0/);
  });
});

describe('validating webhook: requests it must not judge', () => {
  test('DELETE is allowed untouched', async () => {
    await admitted(admissionReview({ operation: 'DELETE', resource: 'clusters', oldObject: cluster }));
  });

  test('an object being deleted may lose its finalizers even if its spec is now invalid', async () => {
    const dying = update(cluster, (o) => {
      (o.metadata as JsonObject).deletionTimestamp = '2026-01-01T00:00:00Z';
      spec(o).engine!.replicas = 99;
    });
    await admitted(admissionReview({ operation: 'UPDATE', resource: 'clusters', object: dying, oldObject: dying }));
  });

  test('another group, resource or subresource is refused with a reason', async () => {
    const other = admissionReview({ resource: 'clusters', object: cluster });
    ((other.request as JsonObject).resource as JsonObject).group = 'apps';
    assert.match(await refusal(other), /serves cluster\.engula\.io\/v1alpha1 only/);
    assert.match(await refusal(admissionReview({ resource: 'clusters', subResource: 'status', object: cluster })), /does not serve the clusters\/status/);
    assert.match(await refusal(admissionReview({ resource: 'journals', object: cluster })), /request is for cluster\.engula\.io\/v1alpha1 Journal/);
  });

  test('a failing Cluster lookup becomes a refusal that says so', async () => {
    const broken = await build({ get: async () => Promise.reject(new Error('apiserver unreachable')) });
    try {
      const journal = childOf(cluster, 'journal');
      const res = await broken.inject({ method: 'POST', url: VALIDATE_PATH, payload: admissionReview({ operation: 'UPDATE', resource: 'journals', object: journal, oldObject: journal }) });
      const a = res.json<Answer>();
      assert.equal(a.response.allowed, false);
      assert.match(a.response.status!.message, /could not check Journal "demo-journal": apiserver unreachable/);
    } finally {
      await broken.close();
    }
  });
});

describe('server', () => {
  test('health routes answer', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.ok(ready.json<{ certificate: { serial: string } }>().certificate.serial);
  });

  test('refusals carry one cause per field', async () => {
    const bad = update(cluster, (o) => {
      spec(o).engine!.replicas = 11;
      spec(o).kernel!.replicas = 0;
    });
    const a = await post(VALIDATE_PATH, admissionReview({ resource: 'clusters', object: bad }));
    assert.equal(a.response.status!.code, 422);
    assert.deepEqual(a.response.status!.details!.causes.map((c) => c.field).sort(), ['spec.engine.replicas', 'spec.kernel.replicas']);
  });
});
