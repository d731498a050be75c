// --max-replicas, the limit the webhook's refusals name: parsed by cmd/manager.ts as a positive
// integer (a clear error otherwise), defaulting to the webhook's own default, and listed in --help.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { main, splitOperatorFlags } from '../../../cmd/manager.ts';
import { WEBHOOK_DEFAULTS } from '../../../webhooks/index.ts';

describe('--max-replicas', () => {
  test('defaults to the webhook default, takes both spellings, and leaves other flags to the runtime', () => {
    assert.equal(splitOperatorFlags([]).operator.maxReplicas, WEBHOOK_DEFAULTS.maxReplicas);
    assert.equal(splitOperatorFlags(['--max-replicas=7']).operator.maxReplicas, 7);
    const { operator, rest } = splitOperatorFlags(['--max-replicas', '250', '--leader-elect=false']);
    assert.equal(operator.maxReplicas, 250);
    assert.deepEqual(rest, ['--leader-elect=false']);
  });

  test('refuses anything but a positive integer, naming the flag and the value', () => {
    for (const bad of ['0', '-1', '1.5', 'ten', '', '1e3', ' 5', '0x10', String(2 ** 31)]) {
      assert.throws(() => splitOperatorFlags([`--max-replicas=${bad}`]), { message: `--max-replicas takes a positive integer, got ${JSON.stringify(bad)}` }, bad);
    }
    assert.throws(() => splitOperatorFlags(['--max-replicas']), /--max-replicas needs a value/);
  });

  test('is listed in --help with its default', async () => {
    let out = '';
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => {
      out += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      assert.equal(await main(['--help']), 0);
    } finally {
      process.stdout.write = write;
    }
    assert.match(out, new RegExp(`--max-replicas int +the most replicas the webhook admits per component \\(default ${WEBHOOK_DEFAULTS.maxReplicas}\\)`));
  });
});
