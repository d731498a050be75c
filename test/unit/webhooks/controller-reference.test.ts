// Ownership holds on UPDATE: an update (kubectl replace, edit, patch) that drops or replaces the
// controller reference of the Cluster that controls a child is refused, naming the Cluster and what
// to do instead; the garbage collector orphaning the children of a Cluster on its way out, a Cluster
// that is gone or was made again under the same name, and other owner references still pass. The
// decisions are the real handler's (validate) with the real generated validators.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validate } from '../../../webhooks/admission/handlers.ts';
import { parseAdmissionReview, type AdmissionReviewResponse } from '../../../webhooks/admission/review.ts';
import type { JsonObject } from '../../../webhooks/admission/rules.ts';
import { staticObjectReader, type ObjectReader } from '../../../webhooks/admission/state.ts';
import { apiSchemas } from '../../../webhooks/index.ts';
import { admissionReview, childOf, clusterObject } from '../../support/admission.ts';

const owner = clusterObject('demo', 'ns');
const other = clusterObject('other', 'ns');
/** The journal the ClusterController writes for `owner`, as stored. */
const stored = childOf(owner, 'journal');

type Meta = { ownerReferences?: Array<Record<string, unknown>>; deletionTimestamp?: string; uid?: string };
const metaOf = (o: JsonObject) => o.metadata as Meta;

function edited(change: (o: JsonObject) => void, from: JsonObject = stored): JsonObject {
  const copy = structuredClone(from);
  change(copy);
  return copy;
}

async function judgeUpdate(object: JsonObject, objects: JsonObject[] = [owner, other], reader?: ObjectReader): Promise<AdmissionReviewResponse> {
  const parsed = parseAdmissionReview(admissionReview({ operation: 'UPDATE', resource: 'journals', object, oldObject: stored }));
  if (!parsed.ok) throw new Error(parsed.message);
  return validate(parsed.request, { schemas: apiSchemas, reader: reader ?? staticObjectReader(objects), maxReplicas: 10 });
}

function refusalOf(a: AdmissionReviewResponse): string {
  assert.equal(a.response.allowed, false, 'expected a refusal');
  return a.response.status!.message;
}

function assertAdmitted(a: AdmissionReviewResponse): void {
  assert.equal(a.response.allowed, true, a.response.status?.message);
}

const dropped = edited((o) => delete metaOf(o).ownerReferences);

describe('an update that takes a child from its Cluster', () => {
  test('dropping the controller reference (kubectl replace from a file without it) is refused: 403, the field, the Cluster, what to do', async () => {
    const a = await judgeUpdate(dropped);
    assert.equal(a.response.status?.code, 403);
    assert.deepEqual(a.response.status?.details?.causes.map((c) => [c.field, c.reason]), [['metadata.ownerReferences', 'FieldValueForbidden']]);
    const message = refusalOf(a);
    assert.equal(
      message,
      'Journal "demo-journal" is forbidden: metadata.ownerReferences: Forbidden: null: Journal demo-journal is controlled by Cluster demo, ' +
        'and this update removes that controller reference; the reference stays while the Cluster exists. Keep metadata.ownerReferences as stored ' +
        '(kubectl get -o yaml keeps them for kubectl replace) and make changes on the Cluster instead: kubectl edit cluster demo -n ns; ' +
        "to detach the Cluster's children, delete the Cluster without them: kubectl delete cluster demo -n ns --cascade=orphan",
    );
  });

  test('an empty list, or the same reference with controller: false, drops it too', async () => {
    const emptied = edited((o) => (metaOf(o).ownerReferences = []));
    assert.match(refusalOf(await judgeUpdate(emptied)), /metadata\.ownerReferences: Forbidden: \[\]: Journal demo-journal is controlled by Cluster demo, and this update removes that controller reference/);
    const demoted = edited((o) => (metaOf(o).ownerReferences![0]!.controller = false));
    assert.match(refusalOf(await judgeUpdate(demoted)), /this update removes that controller reference/);
  });

  test('pointing it at another Cluster, or at another uid of the same name, is refused naming both', async () => {
    const moved = edited((o) => (metaOf(o).ownerReferences = [{ ...metaOf(o).ownerReferences![0]!, name: 'other', uid: 'uid-other' }]));
    assert.match(refusalOf(await judgeUpdate(moved)), /Journal demo-journal is controlled by Cluster demo, and this update replaces that controller reference with one to Cluster other;/);
    const forged = edited((o) => (metaOf(o).ownerReferences![0]!.uid = 'uid-forged'));
    assert.match(refusalOf(await judgeUpdate(forged)), /replaces that controller reference with one to uid "uid-forged"/);
  });

  test('the Cluster still judges the rest of the update: an owned field changed with the reference dropped is refused too', async () => {
    const both = edited((o) => {
      delete metaOf(o).ownerReferences;
      (o.spec as JsonObject).replicas = 5;
    });
    const a = await judgeUpdate(both);
    assert.deepEqual(a.response.status?.details?.causes.map((c) => c.field).sort(), ['metadata.ownerReferences', 'spec.replicas']);
    assert.match(refusalOf(a), /spec\.replicas: Forbidden: 5: Journal demo-journal belongs to Cluster demo, which sets this field/);
  });

  test('a refusal resting on a cache is checked again on the API server: a Cluster just deleted there lets go', async () => {
    let freshReads = 0;
    const server = staticObjectReader([]);
    const reader: ObjectReader = { ...staticObjectReader([owner]), fresh: { get: (...a) => (freshReads++, server.get(...a)) } };
    assertAdmitted(await judgeUpdate(dropped, [], reader));
    assert.equal(freshReads, 1);
  });
});

describe('updates that keep ownership, or that have none to keep, pass', () => {
  test('the controller reference kept, another (non-controller) owner reference added or blockOwnerDeletion changed', async () => {
    assertAdmitted(await judgeUpdate(stored));
    const more = edited((o) => metaOf(o).ownerReferences!.push({ apiVersion: 'v1', kind: 'ConfigMap', name: 'notes', uid: 'uid-notes' }));
    assertAdmitted(await judgeUpdate(more));
    assertAdmitted(await judgeUpdate(edited((o) => (metaOf(o).ownerReferences![0]!.blockOwnerDeletion = false))));
  });

  test('the garbage collector orphaning the children of a Cluster deleted with --cascade=orphan', async () => {
    const deleting = structuredClone(owner);
    metaOf(deleting).deletionTimestamp = '2026-01-01T00:00:00Z';
    assertAdmitted(await judgeUpdate(dropped, [deleting, other]));
  });

  test('a Cluster that is gone, or was deleted and made again under the same name (another uid)', async () => {
    assertAdmitted(await judgeUpdate(dropped, [other]));
    const again = structuredClone(owner);
    metaOf(again).uid = 'uid-demo-again';
    assertAdmitted(await judgeUpdate(dropped, [again]));
  });

  test('a stored child whose reference carries no uid was never the Cluster\'s (only a forged review has one)', async () => {
    const noUid = edited((o) => (metaOf(o).ownerReferences![0]!.uid = ''));
    const parsed = parseAdmissionReview(admissionReview({ operation: 'UPDATE', resource: 'journals', object: dropped, oldObject: noUid }));
    if (!parsed.ok) throw new Error(parsed.message);
    assertAdmitted(await validate(parsed.request, { schemas: apiSchemas, reader: staticObjectReader([owner]), maxReplicas: 10 }));
  });
});
