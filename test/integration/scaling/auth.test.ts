// Who may call the scaling API, decided by Kubernetes: tokens minted through the TokenRequest API
// are checked with a TokenReview for the audience engula-operator, and the caller's right with a
// SubjectAccessReview on clusters/scale. The operator runs as it ships (its own process, webhooks
// and scaling API on its HTTPS port, leader election), and an allowed change reaches the pods: the
// StatefulSet follows and the new pods become Ready.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getScale, putScale, type ScaleClientOptions } from '../../../samples/scaler/scale-client.ts';
import { kubectlOk, waitFor } from '../../support/kube.ts';
import { getJson, installCrds } from '../../support/operator.ts';
import {
  AUDIENCE, clientWith, closeAdmin, clusterManifest, expiredToken, getOnlyRole, installScalerRole, mintToken, rawCall, scalePath, scratchDir, serviceAccount,
} from '../../support/scaling-callers.ts';
import { operatorSuite } from '../../support/suite.ts';

describe('scaling API authentication and authorization', { concurrency: false }, () => {
  const suite = operatorSuite('scaling-auth', {
    install: async () => {
      await installCrds();
      await installScalerRole();
    },
  });
  let server = '';
  let ns = '';
  let dir = '';
  let ca = '';

  const client = async (sa: string, audiences = [AUDIENCE]): Promise<ScaleClientOptions> => clientWith(dir, server, ca, await mintToken(ns, sa, audiences));

  before(async () => {
    ns = suite.ns();
    server = `https://127.0.0.1:${suite.operator().webhookPort}`;
    // The CA a client trusts: the one the operator keeps in its certificate Secret (and puts in the caBundle).
    ca = Buffer.from(await kubectlOk(['get', 'secret', 'engula-operator-webhook-cert', '-n', ns, '-o', 'jsonpath={.data.ca-bundle\\.crt}']), 'base64').toString('utf8');
    dir = scratchDir(suite.cleanup, 'scaling-auth');
    await kubectlOk(['apply', '-n', ns, '-f', '-'], { input: clusterManifest('demo', { journal: 1, storage: 1, kernel: 1, engine: 1 }) });
    await serviceAccount(ns, 'scaler', { clusterRole: 'engula-cluster-scaler' });
    await getOnlyRole(ns, 'scale-reader');
    await serviceAccount(ns, 'reader', { role: 'scale-reader' });
    await serviceAccount(ns, 'stranger');
  });

  after(() => {
    closeAdmin();
  });

  test('no token: 401 with a Status, and nothing is read', async () => {
    const r = await rawCall(server, ca, 'GET', scalePath(ns, 'demo', 'engine'));
    assert.equal(r.code, 401);
    assert.equal(r.body.kind, 'Status');
    assert.equal(r.body.reason, 'Unauthorized');
    assert.equal(r.headers['www-authenticate'], 'Bearer');
    const notBearer = await rawCall(server, ca, 'GET', scalePath(ns, 'demo', 'engine'), { headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(notBearer.code, 401);
  });

  test('a token for another audience (the API server\'s own): 401', async () => {
    const r = await getScale(await client('scaler', ['https://kubernetes.default.svc.cluster.local']), ns, 'demo', 'engine');
    assert.equal(r.code, 401);
    assert.ok('status' in r);
    assert.match(r.status.message, /Unauthorized/);
  });

  test('an expired token: 401', async () => {
    const opts = clientWith(dir, server, ca, await expiredToken(ns, 'scaler', [AUDIENCE]));
    const r = await getScale(opts, ns, 'demo', 'engine');
    assert.equal(r.code, 401);
    assert.ok('status' in r);
    assert.match(r.status.message, /expired|not authenticated/i);
  });

  test('garbage for a token: 401', async () => {
    const r = await getScale(clientWith(dir, server, ca, 'not-a-token'), ns, 'demo', 'engine');
    assert.equal(r.code, 401);
  });

  test('a ServiceAccount without the right: 403 on GET and PUT, and the Cluster is unchanged', async () => {
    const opts = await client('stranger');
    const g = await getScale(opts, ns, 'demo', 'engine');
    assert.equal(g.code, 403);
    assert.ok('status' in g);
    assert.equal(g.status.reason, 'Forbidden');
    assert.match(g.status.message, new RegExp(`system:serviceaccount:${ns}:stranger cannot get`));
    const p = await putScale(opts, ns, 'demo', 'engine', 2);
    assert.equal(p.code, 403);
    const cluster = await getJson<{ spec: { engine: { replicas: number } } }>(ns, 'cluster', 'demo');
    assert.equal(cluster?.spec.engine.replicas, 1);
  });

  test('with get only: GET 200 with the Scale, PUT 403', async () => {
    const opts = await client('reader');
    const g = await getScale(opts, ns, 'demo', 'engine');
    assert.equal(g.code, 200);
    assert.ok('scale' in g);
    assert.equal(g.scale.kind, 'Scale');
    assert.equal(g.scale.apiVersion, 'autoscaling/v1');
    assert.equal(g.scale.spec.replicas, 1);
    assert.equal(g.scale.status.selector, 'app.kubernetes.io/name=engula,app.kubernetes.io/instance=demo-engine,app.kubernetes.io/component=engine');
    // The operator writes the Cluster's status meanwhile, so its version moves on: a version, not a fixed one.
    assert.match(g.scale.metadata.resourceVersion, /^\d+$/);
    const p = await putScale(opts, ns, 'demo', 'engine', 2);
    assert.equal(p.code, 403);
    assert.ok('status' in p);
    assert.match(p.status.message, /cannot update/);
  });

  test('unknown Cluster or component: 404', async () => {
    const opts = await client('scaler');
    assert.equal((await getScale(opts, ns, 'nope', 'engine')).code, 404);
    assert.equal((await getScale(opts, ns, 'demo', 'frontend')).code, 404);
    assert.equal((await putScale(opts, ns, 'nope', 'engine', 2)).code, 404);
  });

  test('an allowed ServiceAccount scales the engine: 200, and the StatefulSet follows with Ready pods', async () => {
    const opts = await client('scaler');
    await waitFor('the engine StatefulSet with 1 Ready pod', async () => {
      const sts = await getJson<{ status?: { readyReplicas?: number } }>(ns, 'statefulset', 'demo-engine');
      return sts?.status?.readyReplicas === 1;
    }, { timeoutMs: 120_000, intervalMs: 500 });

    // Unconditional: the operator writes the Cluster's status all along, so a version read here may
    // be stale by the PUT (validation.test.ts covers the conditional form, without an operator).
    const r = await putScale(opts, ns, 'demo', 'engine', 3);
    assert.equal(r.code, 200, JSON.stringify(r));
    assert.ok('scale' in r);
    assert.equal(r.scale.spec.replicas, 3);

    const cluster = JSON.parse(await kubectlOk(['get', 'cluster', 'demo', '-n', ns, '-o', 'json', '--show-managed-fields'])) as { spec: { engine: { replicas: number } }; metadata: { managedFields: Array<{ manager: string }> } };
    assert.equal(cluster.spec.engine.replicas, 3);
    assert.ok(cluster.metadata.managedFields.some((f) => f.manager === 'engula-scaling-api'), 'the change is recorded as the scaling API\'s');
    await waitFor('the engine StatefulSet at 3 replicas, all Ready', async () => {
      const sts = await getJson<{ spec: { replicas: number }; status?: { readyReplicas?: number } }>(ns, 'statefulset', 'demo-engine');
      return sts?.spec.replicas === 3 && sts.status?.readyReplicas === 3;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    const after = await waitFor('the Scale to report 3 pods', async () => {
      const g = await getScale(opts, ns, 'demo', 'engine');
      return 'scale' in g && g.scale.status.replicas === 3 ? g.scale : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    assert.equal(after.spec.replicas, 3);
  });

  test('every call above left one audit line saying who, what and why', () => {
    const lines = suite
      .operator()
      .log()
      .split('\n')
      .filter((l) => l.includes('"audit":"scaling"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const forbidden = lines.find((l) => l.code === 403 && l.user === `system:serviceaccount:${ns}:stranger`);
    assert.ok(forbidden, 'the stranger\'s refusal is audited');
    assert.equal(forbidden.allowed, false);
    assert.ok(Array.isArray(forbidden.groups) && (forbidden.groups as string[]).includes(`system:serviceaccounts:${ns}`));
    const scaled = lines.find((l) => l.method === 'PUT' && l.code === 200);
    assert.ok(scaled);
    assert.equal(scaled.user, `system:serviceaccount:${ns}:scaler`);
    assert.equal(scaled.cluster, 'demo');
    assert.equal(scaled.component, 'engine');
    assert.equal(scaled.from, 1);
    assert.equal(scaled.to, 3);
    assert.equal(scaled.allowed, true);
    assert.equal(typeof scaled.latencyMs, 'number');
    const unauthenticated = lines.filter((l) => l.code === 401);
    assert.ok(unauthenticated.length >= 4 && unauthenticated.every((l) => typeof l.reason === 'string' && l.user === undefined));
  });
});
