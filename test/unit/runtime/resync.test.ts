// --sync-period does something: the resync delivers every cached object as its own update, which
// no predicate can see a change in; the primary handler enqueues it anyway, so what no watch sees
// (a ServiceMonitor deleted by hand) is put back at the next resync.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enqueueObject } from '../../../runtime/handler.ts';
import type { KubeObject } from '../../../runtime/resource.ts';

const generationChanged = { update: (old: KubeObject, obj: KubeObject) => old.metadata.generation !== obj.metadata.generation };

describe('a resync re-reconciles', () => {
  it('the primary handler enqueues a resynced object whatever the predicates say; an unchanged update still does not', () => {
    const added: string[] = [];
    const handler = enqueueObject({ add: (k: string) => added.push(k) }, [generationChanged]);
    const obj: KubeObject = { apiVersion: 'v1', kind: 'X', metadata: { name: 'a', namespace: 'ns', generation: 1, resourceVersion: '5' } };
    handler.onUpdate?.(obj, obj);
    assert.deepEqual(added, ['ns/a'], 'the resync (the same object as old and new) is enqueued');
    handler.onUpdate?.(obj, { ...obj, metadata: { ...obj.metadata, resourceVersion: '6' } });
    assert.deepEqual(added, ['ns/a'], 'a status-only update is still filtered');
    handler.onUpdate?.(obj, { ...obj, metadata: { ...obj.metadata, generation: 2 } });
    assert.deepEqual(added, ['ns/a', 'ns/a']);
  });
});
