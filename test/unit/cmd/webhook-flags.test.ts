import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitOperatorFlags } from '../../../cmd/manager.ts';

describe('operator flags for where the webhooks are served and registered', () => {
  it('defaults: configuration engula-operator, our own address, the default bind', () => {
    const { operator, rest } = splitOperatorFlags(['--leader-elect']);
    assert.equal(operator.webhookConfigurationName, 'engula-operator');
    assert.equal(operator.webhookUrl, '');
    assert.equal(operator.webhookHost, '');
    assert.deepEqual(rest, ['--leader-elect'], 'runtime flags pass through');
  });

  it('takes a balancer URL, a configuration name and a bind address', () => {
    const { operator } = splitOperatorFlags(['--webhook-url=https://127.0.0.1:9555/', '--webhook-configuration-name', 'x', '--webhook-host=127.0.0.1']);
    assert.equal(operator.webhookUrl, 'https://127.0.0.1:9555');
    assert.equal(operator.webhookConfigurationName, 'x');
    assert.equal(operator.webhookHost, '127.0.0.1');
  });

  it('refuses a webhook URL that the apiserver could not call', () => {
    assert.throws(() => splitOperatorFlags(['--webhook-url=http://127.0.0.1:1']), /https URL|https:\/\/host:port/);
    assert.throws(() => splitOperatorFlags(['--webhook-url=https://127.0.0.1:1/validate']), /no path/);
    assert.throws(() => splitOperatorFlags(['--webhook-url=not a url']), /https URL/);
  });
});
