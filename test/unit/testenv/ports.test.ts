import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { ephemeralRange, freePort } from '../../../testenv/ports.ts';

describe('testenv ports', () => {
  it('reads the kernel\'s ephemeral range, with the default when it cannot', () => {
    assert.deepEqual(ephemeralRange('32768\t60999\n'), [32768, 60999]);
    assert.deepEqual(ephemeralRange('40000 50000'), [40000, 50000]);
    assert.deepEqual(ephemeralRange(''), [32768, 60999]);
    assert.deepEqual(ephemeralRange('x y'), [32768, 60999]);
  });

  it('hands out ports below the ephemeral range that can be listened on', async () => {
    const [low] = ephemeralRange();
    for (let i = 0; i < 5; i++) {
      const port = await freePort();
      assert.ok(port >= 10_000 && port < low, `port ${port} is below the ephemeral range (${low})`);
      await new Promise<void>((resolve, reject) => {
        const srv = createServer();
        srv.once('error', reject);
        srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
      });
    }
  });
});
