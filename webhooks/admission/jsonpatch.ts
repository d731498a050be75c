// The smallest RFC 6902 patch that turns one JSON value into another. The mutating webhook must
// answer with a patch, not the defaulted object; a patch that only adds what defaulting added
// also cannot undo a concurrent change made by another mutating webhook.
import { isDeepStrictEqual } from 'node:util';
import { isRecord, type JsonPatchOperation } from '../../runtime/index.ts';

export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Arrays are replaced whole: element-wise patches of lists are fragile and defaults rarely touch them. */
export function diffJson(from: unknown, to: unknown, path = ''): JsonPatchOperation[] {
  if (isDeepStrictEqual(from, to)) return [];
  if (!isRecord(from) || !isRecord(to)) {
    return path === '' && to === undefined ? [{ op: 'remove', path }] : [{ op: 'replace', path, value: to }];
  }
  const ops: JsonPatchOperation[] = [];
  for (const key of Object.keys(from)) {
    if (!(key in to)) ops.push({ op: 'remove', path: `${path}/${escapePointerToken(key)}` });
  }
  for (const [key, value] of Object.entries(to)) {
    const child = `${path}/${escapePointerToken(key)}`;
    if (!(key in from)) ops.push({ op: 'add', path: child, value });
    else ops.push(...diffJson(from[key], value, child));
  }
  return ops;
}

