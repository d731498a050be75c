import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitOperatorFlags } from '../../../cmd/manager.ts';

describe('operator flags of the scaling API and secure metrics', () => {
  it('defaults: audience engula-operator, 5 calls/s in bursts of 20, plain /metrics', () => {
    const { operator } = splitOperatorFlags([]);
    assert.equal(operator.scalingAudience, 'engula-operator');
    assert.equal(operator.scalingQps, 5);
    assert.equal(operator.scalingBurst, 20);
    assert.equal(operator.metricsSecure, false);
  });

  it('takes an audience, a rate and --metrics-secure in both spellings', () => {
    const { operator, rest } = splitOperatorFlags(['--scaling-audience', 'scaler', '--scaling-qps=0.5', '--scaling-burst=3', '--metrics-secure', '--leader-elect']);
    assert.equal(operator.scalingAudience, 'scaler');
    assert.equal(operator.scalingQps, 0.5);
    assert.equal(operator.scalingBurst, 3);
    assert.equal(operator.metricsSecure, true);
    assert.deepEqual(rest, ['--leader-elect']);
    assert.equal(splitOperatorFlags(['--metrics-secure=false']).operator.metricsSecure, false);
  });

  it('refuses a rate that is not a positive number', () => {
    assert.throws(() => splitOperatorFlags(['--scaling-qps=0']), /positive number/);
    assert.throws(() => splitOperatorFlags(['--scaling-burst=many']), /positive number/);
    assert.throws(() => splitOperatorFlags(['--metrics-secure=yes']), /true or false/);
  });
});
