// docs/scaling.openapi.yaml is the contract callers outside the project code against: its route,
// methods, status codes and shapes must be the server's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { COMPONENTS } from '../../../api/v1alpha1/kinds.ts';
import { SCALE_RESPONSES } from '../../../webhooks/scaling/routes.ts';
import { SCALE_ROUTE, scaleOf } from '../../../webhooks/scaling/scale.ts';
import { failure } from '../../../webhooks/scaling/status.ts';

interface Schema {
  required?: string[];
  properties?: Record<string, Schema>;
  enum?: unknown[];
}
interface OpenApi {
  paths: Record<string, Record<string, { responses?: Record<string, unknown>; schema?: Schema }> & { parameters?: Array<{ name: string; schema: Schema }> }>;
  components: { schemas: Record<string, Schema> };
}

const doc = parse(readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'docs', 'scaling.openapi.yaml'), 'utf8')) as OpenApi;
const openApiPath = SCALE_ROUTE.replace(/:(\w+)/g, '{$1}');

test('one path, the server\'s route', () => {
  assert.deepEqual(Object.keys(doc.paths), [openApiPath]);
});

test('the methods and, for each, exactly the status codes the server answers with', () => {
  const item = doc.paths[openApiPath]!;
  const methods = Object.keys(item).filter((k) => k !== 'parameters').map((m) => m.toUpperCase()).sort();
  assert.deepEqual(methods, Object.keys(SCALE_RESPONSES).sort());
  for (const [method, codes] of Object.entries(SCALE_RESPONSES)) {
    const documented = Object.keys(item[method.toLowerCase()]?.responses ?? {}).map(Number).sort((a, b) => a - b);
    assert.deepEqual(documented, [...codes].sort((a, b) => a - b), method);
  }
});

test('components are the API\'s', () => {
  const component = doc.paths[openApiPath]!.parameters!.find((p) => p.name === 'component');
  assert.deepEqual(component?.schema.enum, [...COMPONENTS]);
});

test('a Scale and a Status as the server builds them have the documented required fields', () => {
  const scale = scaleOf({ metadata: { name: 'demo', namespace: 'ns', resourceVersion: '1' }, spec: { engine: { replicas: 1 } } }, 'engine', undefined);
  const s = doc.components.schemas;
  for (const k of s.Scale!.required!) assert.ok(k in scale, `Scale.${k}`);
  for (const part of ['metadata', 'spec', 'status'] as const) {
    for (const k of s.Scale!.properties![part]!.required!) assert.ok(k in scale[part], `Scale.${part}.${k}`);
  }
  const status = failure(422, 'no');
  for (const k of s.Status!.required!) assert.ok(k in status, `Status.${k}`);
});
