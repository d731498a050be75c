import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { cpuMillis, deploymentLimits, memoryBytes } from '../../../bench/pod-limits.ts';

describe('bench pod limits', () => {
  it('reads memory and CPU quantities as Kubernetes writes them', () => {
    assert.equal(memoryBytes('512Mi'), 512 * 2 ** 20);
    assert.equal(memoryBytes('1G'), 1e9);
    assert.equal(memoryBytes(1048576), 1048576);
    assert.equal(memoryBytes('1.5Gi'), 1.5 * 2 ** 30);
    assert.throws(() => memoryBytes('12 MiB'), /unsupported memory quantity/);
    assert.equal(cpuMillis('500m'), 500);
    assert.equal(cpuMillis(2), 2000);
    assert.equal(cpuMillis('0.25'), 250);
    assert.throws(() => cpuMillis('1 core'), /unsupported CPU quantity/);
  });

  it('takes the manager container\'s limits from the shipped Deployment', () => {
    const limits = deploymentLimits(resolve(import.meta.dirname, '..', '..', '..'));
    assert.equal(typeof limits.memoryBytes, 'number');
    assert.equal(typeof limits.cpuMillis, 'number');
  });
});
