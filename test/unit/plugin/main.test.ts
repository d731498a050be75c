// The dispatcher without a server: help, the client's version, and usage errors on stderr with
// exit code 1 and nothing on stdout, as kubectl behaves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMPONENTS } from '../../../api/v1alpha1/kinds.ts';
import { COMMAND_NAMES } from '../../../plugin/args.ts';
import type { PluginIO } from '../../../plugin/io.ts';
import { main } from '../../../plugin/main.ts';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: PluginIO = { out: (t) => void (out += t), err: (t) => void (err += t), colour: false, env, now: () => new Date() };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('kubectl engula: the dispatcher', () => {
  it('--help lists every command; each has its own help', async () => {
    const top = await run(['--help']);
    assert.equal(top.code, 0);
    for (const name of COMMAND_NAMES.filter((n) => n !== 'help')) {
      assert.match(top.out, new RegExp(`^  ${name} {2,}\\S`, 'm'), `${name} listed`);
      const own = await run([name, '--help']);
      assert.equal(own.code, 0);
      assert.match(own.out, new RegExp(`Usage:\\n  kubectl engula ${name}`), `${name} --help`);
    }
    assert.match((await run(['scale', '-h'])).out, new RegExp(`COMPONENT is one of: ${COMPONENTS.join(', ')}`));
    assert.deepEqual(await run([]), top, 'no command: the help');
  });

  it('version --client needs no server', async () => {
    const r = await run(['version', '--client']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Client Version: v\d+\.\d+\.\d+\nAPI Version: cluster\.engula\.io\/v1alpha1\n$/);
    assert.deepEqual(Object.keys(JSON.parse((await run(['version', '--client', '-o', 'json'])).out) as object), ['clientVersion', 'apiVersion']);
  });

  it('a usage error: stderr, exit 1, stdout empty', async () => {
    const r = await run(['scale', 'demo', 'engine', 'many']);
    assert.deepEqual(r, { code: 1, out: '', err: "error: the number of replicas must be a whole number of 0 or more, not \"many\"\nSee 'kubectl engula scale --help' for usage.\n" });
  });

  it('a kubeconfig that cannot be found: said, exit 1', async () => {
    const r = await run(['status', 'demo'], { KUBECONFIG: '/nonexistent/kubeconfig' });
    assert.deepEqual(r, { code: 1, out: '', err: 'error: KUBECONFIG names no file that exists: /nonexistent/kubeconfig\n' });
  });
});
