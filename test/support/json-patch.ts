// Applies a patch the mutating webhook made (webhooks/admission/jsonpatch.ts diffJson: add, remove,
// replace on objects), to check in tests that it turns the request's object into the defaulted one.
import { isRecord, type JsonPatchOperation } from '../../runtime/index.ts';

export function applyJsonPatch(doc: unknown, ops: JsonPatchOperation[]): unknown {
  let root = structuredClone(doc);
  for (const op of ops) {
    if (op.path === '') {
      root = structuredClone(op.value);
      continue;
    }
    const tokens = op.path.slice(1).split('/').map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = tokens.pop()!;
    let parent: unknown = root;
    for (const t of tokens) parent = (parent as Record<string, unknown>)[t];
    if (!isRecord(parent) && !Array.isArray(parent)) throw new Error(`patch path ${op.path} has no parent`);
    const target = parent as Record<string, unknown>;
    if (op.op === 'remove') delete target[last];
    else if (op.op === 'add' || op.op === 'replace') target[last] = structuredClone(op.value);
  }
  return root;
}
