// What `make uninstall` and `make undeploy` find and say before they delete: every object of every
// kind of the API group the cluster serves, listed by kind with namespace/name and counted; FORCE is
// read the way a Makefile variable is given. kubectl is a fake that answers from a table, and counts
// what it was asked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countObjects, describeObjects, forced, listEngulaObjects, type KubectlCommand } from '../../../hack/engula-objects.ts';

const crd = (group: string, kind: string, plural: string) => ({ spec: { group, names: { kind, plural } } });
const list = (...items: Array<[string, string]>) => ({ items: items.map(([namespace, name]) => ({ metadata: { namespace, name } })) });

function fakeKubectl(answers: Record<string, unknown>): { kubectl: KubectlCommand; asked: string[] } {
  const asked: string[] = [];
  const kubectl: KubectlCommand = async (args) => {
    const key = args.join(' ');
    asked.push(key);
    const answer = answers[key];
    return answer === undefined ? { code: 1, stdout: '', stderr: `no answer for ${key}` } : { code: 0, stdout: JSON.stringify(answer), stderr: '' };
  };
  return { kubectl, asked };
}

const crds = { items: [crd('cluster.engula.io', 'Journal', 'journals'), crd('example.com', 'Widget', 'widgets'), crd('cluster.engula.io', 'Cluster', 'clusters')] };

describe('the Engula objects before an uninstall or undeploy', () => {
  it('lists every object of every CRD of the group, in all namespaces; other groups are not ours', async () => {
    const { kubectl, asked } = fakeKubectl({
      'get customresourcedefinitions -o json': crds,
      'get journals.cluster.engula.io --all-namespaces -o json': list(['db', 'demo-journal'], ['solo', 'lone']),
      'get clusters.cluster.engula.io --all-namespaces -o json': list(['db', 'demo']),
    });
    const objects = await listEngulaObjects(kubectl);
    assert.deepEqual(objects, [
      { kind: 'Journal', namespace: 'db', name: 'demo-journal' },
      { kind: 'Journal', namespace: 'solo', name: 'lone' },
      { kind: 'Cluster', namespace: 'db', name: 'demo' },
    ]);
    assert.ok(!asked.some((a) => a.includes('widgets')));
    assert.equal(countObjects(objects), '3 Engula objects in 2 namespaces');
    assert.deepEqual(describeObjects(objects), ['  Cluster (1): db/demo', '  Journal (2): db/demo-journal, solo/lone']);
  });

  it('in named namespaces only, when asked (undeploy deletes its own namespace)', async () => {
    const { kubectl } = fakeKubectl({
      'get customresourcedefinitions -o json': crds,
      'get journals.cluster.engula.io --namespace engula-system -o json': list(),
      'get clusters.cluster.engula.io --namespace engula-system -o json': list(['engula-system', 'misplaced']),
    });
    const objects = await listEngulaObjects(kubectl, ['engula-system']);
    assert.deepEqual(objects, [{ kind: 'Cluster', namespace: 'engula-system', name: 'misplaced' }]);
    assert.equal(countObjects(objects), '1 Engula object in 1 namespace');
  });

  it('with no CRD of the group there is nothing to list; a kubectl that fails is an error, never "none"', async () => {
    assert.deepEqual(await listEngulaObjects(fakeKubectl({ 'get customresourcedefinitions -o json': { items: [] } }).kubectl), []);
    await assert.rejects(listEngulaObjects(fakeKubectl({ 'get customresourcedefinitions -o json': crds }).kubectl), /kubectl get journals\.cluster\.engula\.io --all-namespaces -o json exited 1/);
  });

  it('FORCE=1 (or yes, true) forces; unset, empty, 0, false and no do not', () => {
    for (const v of ['1', 'yes', 'true', 'TRUE']) assert.equal(forced({ FORCE: v }), true, v);
    for (const v of [undefined, '', ' ', '0', 'false', 'no']) assert.equal(forced(v === undefined ? {} : { FORCE: v }), false, String(v));
  });
});
