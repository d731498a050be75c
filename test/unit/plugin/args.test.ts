// The plugin's command line: kubectl's flag spellings anywhere among the arguments, one command
// each, and a usage error that names the command whose help would have helped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs, UsageError } from '../../../plugin/args.ts';

function refused(argv: string[], message: RegExp, topic?: string): void {
  assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && message.test(e.message) && e.topic === topic, `${argv.join(' ')} → ${message}`);
}

describe('kubectl engula: the command line', () => {
  it('status: a name or none, -o in every spelling, the connection flags anywhere', () => {
    assert.deepEqual(parseArgs(['status', 'demo', '-n', 'apps']), { command: { kind: 'status', name: 'demo', allNamespaces: false, output: 'text' }, connection: { namespace: 'apps' } });
    for (const argv of [['status', 'demo', '-o', 'json'], ['status', '-ojson', 'demo'], ['status', '--output=json', 'demo'], ['-o', 'json', 'status', 'demo'], ['status', 'demo', '--output', 'json']]) {
      assert.deepEqual(parseArgs(argv).command, { kind: 'status', name: 'demo', allNamespaces: false, output: 'json' }, argv.join(' '));
    }
    assert.deepEqual(parseArgs(['status', '-A', '-o', 'yaml']).command, { kind: 'status', allNamespaces: true, output: 'yaml' });
    assert.deepEqual(parseArgs(['status', '--all-namespaces=true']).command, { kind: 'status', allNamespaces: true, output: 'text' });
    assert.deepEqual(parseArgs(['status', 'x', '--context', 'prod', '--kubeconfig=/k', '--namespace=ns']).connection, { context: 'prod', kubeconfig: '/k', namespace: 'ns' });
    assert.deepEqual(parseArgs(['status', '-nns', 'x']).connection, { namespace: 'ns' });
  });

  it('takes the names kubectl prints: cluster/NAME and cluster.cluster.engula.io/NAME', () => {
    assert.deepEqual(parseArgs(['restart', 'cluster.cluster.engula.io/demo']).command, { kind: 'switch', action: 'restart', name: 'demo' });
    assert.deepEqual(parseArgs(['status', 'clusters/demo']).command, { kind: 'status', name: 'demo', allNamespaces: false, output: 'text' });
    refused(['status', 'journal/demo-journal'], /status takes the name of a Cluster, not journal\/demo-journal/, 'status');
  });

  it('the actions take one Cluster; scale a component and a whole number', () => {
    for (const action of ['restart', 'pause', 'resume', 'hibernate', 'wake'] as const) {
      assert.deepEqual(parseArgs([action, 'demo', '-n', 'apps']).command, { kind: 'switch', action, name: 'demo' });
      refused([action], new RegExp(`${action} needs the name of a Cluster`), action);
      refused([action, 'a', 'b'], /takes the name of a Cluster, got also: b/, action);
    }
    assert.deepEqual(parseArgs(['scale', 'demo', 'engine', '3']).command, { kind: 'scale', name: 'demo', component: 'engine', replicas: 3 });
    refused(['scale', 'demo', 'engine'], /scale needs CLUSTER COMPONENT REPLICAS/, 'scale');
    refused(['scale', 'demo', 'proxy', '3'], /unknown component "proxy": one of journal, storage, kernel, engine/, 'scale');
    refused(['scale', 'demo', 'engine', '-1'], /whole number of 0 or more, not "-1"/, 'scale');
    refused(['scale', 'demo', 'engine', '2.5'], /whole number of 0 or more, not "2.5"/, 'scale');
  });

  it('help: none, --help, -h, help COMMAND', () => {
    assert.deepEqual(parseArgs([]).command, { kind: 'help' });
    assert.deepEqual(parseArgs(['--help']).command, { kind: 'help' });
    assert.deepEqual(parseArgs(['scale', '-h']).command, { kind: 'help', topic: 'scale' });
    assert.deepEqual(parseArgs(['help', 'status']).command, { kind: 'help', topic: 'status' });
    assert.deepEqual(parseArgs(['version', '--client', '-o', 'yaml']).command, { kind: 'version', clientOnly: true, output: 'yaml' });
  });

  it('refuses what kubectl would refuse, in its words', () => {
    refused(['frobnicate'], /unknown command "frobnicate" for "kubectl engula"/);
    refused(['status', '--colour'], /unknown flag: --colour/);
    refused(['status', '-x'], /unknown shorthand flag: 'x' in -x/);
    refused(['status', 'demo', '-n'], /flag needs an argument: --namespace/);
    refused(['status', 'demo', '-o', 'wide'], /unable to match a printer suitable for the output format "wide", allowed formats are: json,yaml/);
    refused(['status', 'demo', '-A'], /cannot be retrieved by name across all namespaces/, 'status');
    refused(['restart', 'demo', '-o', 'json'], /unknown flag: --output \(restart does not take it\)/, 'restart');
    refused(['status', '-A=maybe'], /invalid argument "maybe" for "--all-namespaces" flag/);
    refused(['status', '-Ax'], /unknown shorthand flag: 'x' in -Ax/);
  });
});
