// What each action writes: a merge patch of the Cluster's spec (never of a child), nothing when the
// spec already says so, and the line kubectl would print.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActionRefused, actionLine, planScale, planSwitch } from '../../../plugin/actions.ts';
import { NOW, readyState } from './fixtures/state.ts';

describe('kubectl engula actions', () => {
  it('restart sets spec.restartedAt to now, to the millisecond', () => {
    const plan = planSwitch('restart', readyState().cluster, NOW);
    assert.deepEqual(plan, { patch: { spec: { restartedAt: '2025-06-01T12:00:00.000Z' } }, done: 'restarted' });
    assert.equal(actionLine('demo', plan), 'cluster.cluster.engula.io/demo restarted');
  });

  it('pause, resume, hibernate, wake set their switch, and write nothing when it is already so', () => {
    const c = readyState().cluster;
    assert.deepEqual(planSwitch('pause', c, NOW), { patch: { spec: { paused: true } }, done: 'paused' });
    assert.deepEqual(planSwitch('hibernate', c, NOW), { patch: { spec: { hibernate: true } }, done: 'hibernated' });
    assert.deepEqual(planSwitch('resume', c, NOW), { done: 'resumed' });
    assert.deepEqual(planSwitch('wake', c, NOW), { done: 'woken' });
    assert.equal(actionLine('demo', planSwitch('resume', c, NOW)), 'cluster.cluster.engula.io/demo resumed (no change)');
    c.spec.paused = true;
    c.spec.hibernate = true;
    assert.deepEqual(planSwitch('resume', c, NOW), { patch: { spec: { paused: false } }, done: 'resumed' });
    assert.deepEqual(planSwitch('pause', c, NOW), { done: 'paused' });
    const wake = planSwitch('wake', c, NOW);
    assert.deepEqual(wake.patch, { spec: { hibernate: false } });
    assert.match(wake.warning ?? '', /Cluster demo is paused: the pods come back once it is resumed \(kubectl engula resume demo\)/);
  });

  it("scale patches the Cluster's spec.<component>.replicas, and refuses a component the Cluster does not have", () => {
    const c = readyState().cluster;
    const plan = planScale(c, 'engine', 3);
    assert.deepEqual(plan, { patch: { spec: { engine: { replicas: 3 } } }, done: 'scaled', detail: '(engine: 2 -> 3)' });
    assert.equal(actionLine('demo', plan), 'cluster.cluster.engula.io/demo scaled (engine: 2 -> 3)');
    assert.equal(actionLine('demo', planScale(c, 'engine', 2)), 'cluster.cluster.engula.io/demo scaled (engine: 2) (no change)');
    delete c.spec.kernel;
    assert.throws(() => planScale(c, 'kernel', 1), (e: unknown) => e instanceof ActionRefused && /Cluster demo has no kernel/.test(e.message));
  });
});
