import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutOwnWrites, type OwnWrites } from '../../../runtime/handler.ts';
import { resource, type KubeObject } from '../../../runtime/resource.ts';

const parts = resource('v1', 'ConfigMap', 'configmaps');
const part = (rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p', namespace: 'ns', uid: 'u', resourceVersion: rv } });

const noError = (err: unknown): void => assert.fail(`unexpected handler error: ${String(err)}`);

/** A writer with one write out, whose response (version `rv`) is read when `land` is called. */
function writerWithWriteOut(): OwnWrites & { land(rv: string): Promise<void> } {
  const own = new Set<string>();
  let land!: () => void;
  let out: Promise<void> | undefined = new Promise<void>((r) => (land = r));
  return {
    isOwnWrite: (obj) => own.has(obj.metadata.resourceVersion ?? ''),
    writesSettled: () => out,
    async land(rv) {
      own.add(rv);
      land();
      await out;
      out = undefined;
      // Let the waiting judgements run.
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('withoutOwnWrites', () => {
  it('an event that arrives before its write returns waits for it, and is dropped if it is the echo', async () => {
    const writer = writerWithWriteOut();
    const seen: string[] = [];
    const h = withoutOwnWrites(writer, parts, { onAdd: (o) => seen.push(`add ${o.metadata.resourceVersion}`), onUpdate: (_old, o) => seen.push(`update ${o.metadata.resourceVersion}`) }, noError);
    h.onAdd?.(part('7'));
    h.onUpdate?.(part('7'), part('8'));
    assert.deepEqual(seen, [], 'nothing is judged while the write is out');
    await writer.land('7');
    assert.deepEqual(seen, ['update 8'], 'the echo (7) is dropped; another writer\'s version (8) passes');
    h.onUpdate?.(part('8'), part('7'));
    h.onUpdate?.(part('8'), part('9'));
    assert.deepEqual(seen, ['update 8', 'update 9'], 'with no write out, judged at once');
  });

  it('a handler that throws after the wait is reported, not left as an unhandled rejection', async () => {
    const writer = writerWithWriteOut();
    const errors: unknown[] = [];
    const h = withoutOwnWrites(writer, parts, { onAdd: () => { throw new Error('bad mapping'); } }, (err) => errors.push(err));
    h.onAdd?.(part('8'));
    await writer.land('7');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /bad mapping/);
  });

  it('deletions always pass', () => {
    const writer = writerWithWriteOut();
    const deleted: string[] = [];
    withoutOwnWrites(writer, parts, { onDelete: (o) => deleted.push(o.metadata.name ?? '') }, noError).onDelete?.(part('7'), false);
    assert.deepEqual(deleted, ['p']);
  });
});
