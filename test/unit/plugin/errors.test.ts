// Failures in kubectl's words: the server's refusals as `Error from server (Reason): message`, RBAC
// with how to check the rights, the CRDs missing with how to install them, a server out of reach.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../../runtime/errors.ts';
import { KubeconfigError } from '../../../runtime/kubeconfig/parse.ts';
import { ActionRefused } from '../../../plugin/actions.ts';
import { UsageError } from '../../../plugin/args.ts';
import { CallFailed } from '../../../plugin/client.ts';
import { formatError, isUnservedPath } from '../../../plugin/errors.ts';
import { CLUSTERS } from '../../../plugin/resources.ts';

const path = '/apis/cluster.engula.io/v1alpha1/namespaces/apps/clusters/x';
const getCluster = (cause: unknown): CallFailed => new CallFailed({ verb: 'get', path, ref: CLUSTERS, namespace: 'apps', name: 'x' }, cause);

describe('kubectl engula: errors', () => {
  it('an unknown Cluster: the server\'s NotFound as kubectl prints it', () => {
    const err = getCluster(new ApiError(404, 'NotFound', 'clusters.cluster.engula.io "x" not found', 'GET', path));
    assert.equal(isUnservedPath(err), false);
    assert.equal(formatError(err), 'Error from server (NotFound): clusters.cluster.engula.io "x" not found');
  });

  it('the CRDs missing: a 404 without a Status, confirmed by discovery, says to install them', () => {
    const err = getCluster(new ApiError(404, 'Not Found', '404 page not found\n', 'GET', path));
    assert.equal(isUnservedPath(err), true);
    assert.match(formatError(err, { crdsMissing: true }), /^error: the server doesn't have a resource type "clusters" \(clusters\.cluster\.engula\.io\): the Engula CRDs are not installed in this cluster\.\nInstall them with `make install`/);
  });

  it('RBAC: the server names the user, the verb and the resource; the plugin adds how to check', () => {
    const message = 'clusters.cluster.engula.io "x" is forbidden: User "system:serviceaccount:apps:nobody" cannot get resource "clusters" in API group "cluster.engula.io" in the namespace "apps"';
    assert.equal(formatError(getCluster(new ApiError(403, 'Forbidden', message, 'GET', path))), `Error from server (Forbidden): ${message}\n(check with: kubectl auth can-i get clusters.cluster.engula.io -n apps)`);
    // A webhook's refusal is a 403 too, but no RBAC: its message stands alone.
    const webhook = 'admission webhook "vcluster.engula.io" denied the request: spec.journal.replicas: Forbidden: journal cannot shrink';
    assert.equal(formatError(getCluster(new ApiError(403, 'Forbidden', webhook, 'PATCH', path))), `Error from server (Forbidden): ${webhook}`);
    assert.equal(formatError(getCluster(new ApiError(401, 'Unauthorized', 'Unauthorized', 'GET', path))), 'error: You must be logged in to the server (Unauthorized)');
  });

  it('a server out of reach', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    assert.equal(formatError(getCluster(refused), { server: 'https://127.0.0.1:6443' }), 'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?');
    const unknown = Object.assign(new Error('getaddrinfo ENOTFOUND api.example'), { code: 'ENOTFOUND' });
    assert.equal(formatError(getCluster(unknown), { server: 'https://api.example' }), 'Unable to connect to the server: getaddrinfo ENOTFOUND api.example');
  });

  it('usage, kubeconfig and refused actions', () => {
    assert.equal(formatError(new UsageError('scale needs CLUSTER COMPONENT REPLICAS', 'scale')), "error: scale needs CLUSTER COMPONENT REPLICAS\nSee 'kubectl engula scale --help' for usage.");
    assert.equal(formatError(new UsageError('unknown command "x" for "kubectl engula"')), "error: unknown command \"x\" for \"kubectl engula\"\nSee 'kubectl engula --help' for usage.");
    assert.equal(formatError(new KubeconfigError('context "prod" does not exist')), 'error: context "prod" does not exist');
    assert.equal(formatError(new ActionRefused('Cluster x has no kernel')), 'error: Cluster x has no kernel');
  });
});
