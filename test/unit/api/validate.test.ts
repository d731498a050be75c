import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDefaults, validate } from '../../../api/v1alpha1/index.ts';
import { INVALID, UPDATES, samples } from './fixtures/objects.ts';

describe('validate', () => {
  for (const s of samples()) {
    it(`accepts samples/${s.file}, before and after defaulting`, () => {
      assert.deepEqual(validate(s.kind, s.object), []);
      assert.deepEqual(validate(s.kind, applyDefaults(s.kind, s.object)), []);
    });
  }

  it('accepts every sample updated to itself (no transition rule trips on a no-op)', () => {
    for (const s of samples()) {
      const o = applyDefaults(s.kind, s.object);
      assert.deepEqual(validate(s.kind, o, o), [], s.file);
    }
  });

  for (const c of INVALID) {
    it(`refuses ${c.what}, naming ${c.field}`, () => {
      const issues = validate(c.kind, applyDefaults(c.kind, c.object));
      assert.deepEqual(
        issues.map((i) => i.field),
        [c.field],
        JSON.stringify(issues),
      );
      assert.ok(issues[0]!.message.length > 10, 'the message says what is wrong');
    });
  }

  for (const c of UPDATES) {
    it(`${c.field ? 'refuses' : 'allows'} ${c.what}`, () => {
      const before = applyDefaults(c.kind, c.before);
      const after = applyDefaults(c.kind, c.after);
      assert.deepEqual(validate(c.kind, before), [], 'the object before the change is valid');
      assert.deepEqual(validate(c.kind, after), [], 'the object after the change is valid on its own');
      const issues = validate(c.kind, after, before);
      assert.deepEqual(issues.map((i) => i.field), c.field ? [c.field] : [], JSON.stringify(issues));
    });
  }

  it('reports the value and a message listing what is allowed', () => {
    const [issue] = validate('Cluster', {
      kind: 'Cluster',
      metadata: { name: 'x' },
      spec: { name: 'x', image: { name: 'i', pullPolicy: 'Sometimes' } },
    });
    assert.deepEqual(issue, {
      field: 'spec.image.pullPolicy',
      value: 'Sometimes',
      message: 'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
    });
  });

  it('reports every problem at once', () => {
    const issues = validate('Cluster', {
      kind: 'Cluster',
      metadata: { name: 'x' },
      spec: { name: 'x', image: { name: 'i' }, journal: { replicas: -1 }, kernel: { replicas: 0 }, engine: {} },
    });
    assert.deepEqual(issues.map((i) => i.field).sort(), ['spec.engine.replicas', 'spec.journal.replicas', 'spec.kernel.replicas']);
  });

  it('refuses a missing spec and an object of another kind', () => {
    assert.deepEqual(validate('Journal', { kind: 'Journal', metadata: { name: 'j' } }).map((i) => i.field), ['spec']);
    assert.deepEqual(validate('Journal', { kind: 'Cluster', metadata: { name: 'j' }, spec: { replicas: 1 } }).map((i) => i.field), ['kind']);
  });

  it('never throws on input of any shape', () => {
    for (const input of [null, undefined, 3, 'x', [], {}, { spec: null }, { spec: [] }, { spec: { volume: 'x' } }]) {
      for (const kind of ['Cluster', 'Journal'] as const) {
        assert.ok(Array.isArray(validate(kind, input)));
        assert.ok(Array.isArray(validate(kind, input, input)));
      }
    }
  });
});
