// The operator's own kubeconfig loader against the real API server: a client certificate (the
// test control plane's admin kubeconfig), the in-cluster ServiceAccount (a minted token and the
// CA, where a pod has them), and an exec plugin (handed to @kubernetes/client-node).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadClusterAccess, RestClient } from '../../../runtime/index.ts';
import { testEnv, testNamespace } from '../../support/kube.ts';
import { mintToken, serviceAccount } from '../../support/scaling-callers.ts';

interface Review {
  status: { userInfo: { username: string; groups?: string[] } };
}

/** Who the API server says the caller is: SelfSubjectReview needs no permission at all. */
async function whoAmI(rest: RestClient): Promise<Review['status']['userInfo']> {
  const review = await rest.request<Review>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  return review.status.userInfo;
}

async function identity(opts: Parameters<typeof loadClusterAccess>[0]): Promise<{ source: string; username: string }> {
  const { access, source } = await loadClusterAccess(opts);
  const rest = new RestClient(access);
  try {
    return { source, username: (await whoAmI(rest)).username };
  } finally {
    rest.close();
  }
}

describe('kubeconfig loader against the API server', { timeout: 60_000 }, () => {
  it('authenticates with the client certificate of a kubeconfig file', async () => {
    const env = testEnv();
    const { source, username } = await identity({ file: env.kubeconfig, env: {} });
    assert.equal(source, env.kubeconfig);
    assert.match(username, /admin/);
  });

  it('authenticates in a pod: the Service environment, the ServiceAccount token and CA', async (t) => {
    const env = testEnv();
    const ns = await testNamespace(t, 'kubeconfig');
    await serviceAccount(ns, 'operator');
    const dir = mkdtempSync(join(tmpdir(), 'serviceaccount-'));
    writeFileSync(join(dir, 'token'), await mintToken(ns, 'operator', []));
    writeFileSync(join(dir, 'ca.crt'), readFileSync(env.caCertPath));
    const url = new URL(env.apiServerUrl);
    const { source, username } = await identity({ env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port }, serviceAccountDir: dir, home: dir });
    assert.equal(source, 'in-cluster ServiceAccount');
    assert.equal(username, `system:serviceaccount:${ns}:operator`);
  });

  it('runs an exec credential plugin through @kubernetes/client-node', async () => {
    const env = testEnv();
    const admin = parseYaml(readFileSync(env.kubeconfig, 'utf8')) as { users: Array<{ user: Record<string, string> }> };
    const user = admin.users[0]?.user ?? {};
    const dir = mkdtempSync(join(tmpdir(), 'exec-'));
    // The plugin answers with the admin's certificate, as a cloud provider's plugin answers with a token.
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: {
        clientCertificateData: Buffer.from(user['client-certificate-data'] ?? '', 'base64').toString(),
        clientKeyData: Buffer.from(user['client-key-data'] ?? '', 'base64').toString(),
      },
    };
    writeFileSync(join(dir, 'plugin.mjs'), `process.stdout.write(${JSON.stringify(JSON.stringify(credential))});\n`);
    const config = parseYaml(readFileSync(env.kubeconfig, 'utf8')) as Record<string, unknown>;
    config.users = [{ name: 'admin', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [join(dir, 'plugin.mjs')], interactiveMode: 'Never' } } }];
    writeFileSync(join(dir, 'kubeconfig'), JSON.stringify(config));
    const { source, username } = await identity({ file: join(dir, 'kubeconfig'), env: {} });
    assert.match(source, /users\[admin\]\.exec, through @kubernetes\/client-node/);
    assert.match(username, /admin/);
  });
});
