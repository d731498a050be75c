// The flags that bound what a flood of scaling calls can cost: per source address before
// authentication, reviews in flight, connections. Their defaults are the constants the server uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitOperatorFlags } from '../../../cmd/manager.ts';
import { DEFAULT_MAX_INFLIGHT_REVIEWS, DEFAULT_SOURCE_LIMIT } from '../../../webhooks/scaling/index.ts';
import { DEFAULT_MAX_CONNECTIONS } from '../../../webhooks/defaults.ts';

describe('operator flags against abuse of the webhook port', () => {
  it('defaults: 1 refused token reviewed per second per address in bursts of 20, 64 reviews in flight, 1024 connections', () => {
    const { operator } = splitOperatorFlags([]);
    assert.equal(operator.scalingSourceQps, DEFAULT_SOURCE_LIMIT.perSecond);
    assert.equal(operator.scalingSourceBurst, DEFAULT_SOURCE_LIMIT.burst);
    assert.equal(operator.scalingMaxInflightReviews, DEFAULT_MAX_INFLIGHT_REVIEWS);
    assert.equal(operator.webhookMaxConnections, DEFAULT_MAX_CONNECTIONS);
    assert.deepEqual([operator.scalingSourceQps, operator.scalingSourceBurst, operator.scalingMaxInflightReviews, operator.webhookMaxConnections], [1, 20, 64, 1024]);
  });

  it('takes each in both spellings and leaves the rest to the runtime', () => {
    const { operator, rest } = splitOperatorFlags(['--scaling-source-qps=0.5', '--scaling-source-burst', '3', '--scaling-max-inflight-reviews=8', '--webhook-max-connections', '200', '--leader-elect']);
    assert.equal(operator.scalingSourceQps, 0.5);
    assert.equal(operator.scalingSourceBurst, 3);
    assert.equal(operator.scalingMaxInflightReviews, 8);
    assert.equal(operator.webhookMaxConnections, 200);
    assert.deepEqual(rest, ['--leader-elect']);
  });

  it('refuses what cannot be a limit', () => {
    assert.throws(() => splitOperatorFlags(['--scaling-source-qps=0']), /positive number/);
    assert.throws(() => splitOperatorFlags(['--scaling-source-burst=2.5']), /positive integer/);
    assert.throws(() => splitOperatorFlags(['--scaling-max-inflight-reviews=0']), /positive integer/);
    assert.throws(() => splitOperatorFlags(['--webhook-max-connections=-1']), /positive integer/);
  });
});
