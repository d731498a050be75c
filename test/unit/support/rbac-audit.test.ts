import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allows, apiCallOf, permissionsGranted, permissionsUsed } from '../../support/rbac-audit.ts';

describe('rbac-audit: request paths as RBAC sees them', () => {
  it('names group, resource, subresource, verb, namespace and object', () => {
    assert.deepEqual(apiCallOf('GET', '/api/v1/namespaces/a/configmaps/b'), { group: '', resource: 'configmaps', verb: 'get', name: 'b', namespace: 'a' });
    assert.deepEqual(apiCallOf('GET', '/apis/apps/v1/statefulsets', '?watch=true&labelSelector=x'), { group: 'apps', resource: 'statefulsets', verb: 'watch' });
    assert.deepEqual(apiCallOf('GET', '/apis/apps/v1/namespaces/a/statefulsets'), { group: 'apps', resource: 'statefulsets', verb: 'list', namespace: 'a' });
    assert.deepEqual(apiCallOf('PUT', '/apis/cluster.engula.io/v1alpha1/namespaces/a/clusters/c/status'), { group: 'cluster.engula.io', resource: 'clusters/status', verb: 'update', name: 'c', namespace: 'a' });
    assert.equal(apiCallOf('PATCH', '/api/v1/namespaces/a/events/e')?.verb, 'patch');
    assert.equal(apiCallOf('POST', '/api/v1/namespaces/a/events')?.verb, 'create');
    assert.equal(apiCallOf('DELETE', '/api/v1/namespaces/a/services')?.verb, 'deletecollection');
    assert.equal(apiCallOf('GET', '/apis'), undefined, 'discovery is not a resource');
    assert.deepEqual(apiCallOf('GET', '/api/v1/namespaces/x'), { group: '', resource: 'namespaces', verb: 'get', name: 'x' });
  });

  it('a watch narrowed by field selector counts as a call on that object', () => {
    const call = apiCallOf('GET', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', '?watch=true&fieldSelector=metadata.name%3Dengula-operator');
    assert.equal(call?.name, 'engula-operator');
    const rules = [{ apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], resourceNames: ['engula-operator'], verbs: ['watch'] }];
    assert.ok(call && allows(rules, call));
    assert.equal(allows(rules, { ...call!, name: 'other' }), false);
  });

  it('used and granted permissions compare as plain sets', () => {
    const used = permissionsUsed([
      { at: 'done', time: '', method: 'GET', path: '/apis/apps/v1/statefulsets', query: '?watch=true', code: 200 },
      { at: 'sent', time: '', method: 'PATCH', path: '/apis/apps/v1/namespaces/a/statefulsets/s' },
    ]);
    assert.deepEqual([...used], ['apps/statefulsets:watch']);
    const applied = permissionsUsed([{ at: 'done', time: '', method: 'PATCH', path: '/api/v1/namespaces/a/services/s', code: 201 }]);
    assert.deepEqual([...applied].sort(), ['/services:create', '/services:patch'], 'an apply that creates needs create');
    assert.deepEqual([...permissionsGranted([{ apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['watch', 'list'] }])], ['apps/statefulsets:watch', 'apps/statefulsets:list']);
  });
});
