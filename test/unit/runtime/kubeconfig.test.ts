import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConnectionAccess, loadClusterAccess } from '../../../runtime/kubeconfig/load.ts';
import { inClusterConnection, KubeconfigError, resolveConnection, type KubeconfigDocument } from '../../../runtime/kubeconfig/parse.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function doc(content: unknown, dir = '/cfg'): KubeconfigDocument {
  return { dir, content };
}

const base = {
  'current-context': 'dev',
  contexts: [{ name: 'dev', context: { cluster: 'c', user: 'u' } }],
  clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA') } }],
  users: [{ name: 'u', user: { 'client-certificate': 'certs/me.crt', 'client-key-data': b64('KEY') } }],
};

describe('kubeconfig: resolveConnection', () => {
  it('resolves the current context: data decoded, relative paths against the file', () => {
    const r = resolveConnection([doc(base)]);
    assert.equal(r.kind, 'connection');
    if (r.kind !== 'connection') return;
    assert.equal(r.connection.server, 'https://127.0.0.1:6443');
    assert.deepEqual(r.connection.ca, { data: Buffer.from('CA') });
    assert.deepEqual(r.connection.clientCert, { file: '/cfg/certs/me.crt' });
    assert.deepEqual(r.connection.clientKey, { data: Buffer.from('KEY') });
    assert.equal(r.connection.insecureSkipTlsVerify, false);
  });

  it('merges files as Kubernetes does: the first to name an entry or set current-context wins', () => {
    const second = {
      'current-context': 'other',
      contexts: [{ name: 'dev', context: { cluster: 'c2', user: 'u' } }],
      clusters: [{ name: 'c', cluster: { server: 'https://second:1' } }],
      users: [{ name: 'u', user: { token: 'second' } }],
    };
    const r = resolveConnection([doc({ 'current-context': 'dev', users: [{ name: 'u', user: { tokenFile: 'tok' } }] }, '/a'), doc(base, '/b'), doc(second, '/c')]);
    assert.equal(r.kind, 'connection');
    if (r.kind !== 'connection') return;
    assert.equal(r.connection.server, 'https://127.0.0.1:6443');
    assert.equal(r.connection.tokenFile, '/a/tok');
    assert.equal(r.connection.token, undefined);
  });

  it('hands exec plugins and auth providers to the library, naming the field', () => {
    const exec = { ...base, users: [{ name: 'u', user: { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } } }] };
    assert.deepEqual(resolveConnection([doc(exec)]), { kind: 'needsLibrary', reason: 'users[u].exec' });
    const provider = { ...base, users: [{ name: 'u', user: { 'auth-provider': { name: 'oidc' } } }] };
    assert.deepEqual(resolveConnection([doc(provider)]), { kind: 'needsLibrary', reason: 'users[u].auth-provider' });
  });

  it('refuses what it cannot honour, naming the field and the reason', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...base, 'current-context': undefined }, /current-context is not set/],
      [{ ...base, 'current-context': 'nope' }, /current-context "nope": no such context/],
      [{ ...base, clusters: [] }, /cluster "c" not found/],
      [{ ...base, clusters: [{ name: 'c', cluster: {} }] }, /clusters\[c\]\.server: required/],
      [{ ...base, clusters: [{ name: 'c', cluster: { server: 'https://x', 'proxy-url': 'http://p' } }] }, /proxy-url: proxies are not supported/],
      [{ ...base, users: [{ name: 'u', user: { token: 't', as: 'admin' } }] }, /users\[u\]\.as: impersonation is not supported/],
      [{ ...base, users: [{ name: 'u', user: { 'client-certificate': 'a.crt' } }] }, /client-certificate and client-key go together/],
      [{ ...base, clusters: 'x' }, /clusters: must be a list/],
      [{ ...base, clusters: [{ cluster: { server: 'https://x' } }] }, /clusters\[0\]: needs a name and a cluster/],
      [{ ...base, users: [{ name: 'u', user: { token: 42 } }] }, /users\[u\]\.token: must be a string/],
    ];
    for (const [content, message] of cases) assert.throws(() => resolveConnection([doc(content)]), (e: unknown) => e instanceof KubeconfigError && message.test(e.message), String(message));
  });

  it('takes another context when asked (--context), and reports the context\'s namespace', () => {
    const two = {
      ...base,
      contexts: [...base.contexts, { name: 'prod', context: { cluster: 'p', user: 'u', namespace: 'apps' } }],
      clusters: [...base.clusters, { name: 'p', cluster: { server: 'https://prod:6443' } }],
    };
    const current = resolveConnection([doc(two)]);
    assert.equal(current.kind === 'connection' && current.connection.server, 'https://127.0.0.1:6443');
    assert.equal(current.namespace, undefined, 'the current context names no namespace');
    const prod = resolveConnection([doc(two)], { context: 'prod' });
    assert.equal(prod.kind === 'connection' && prod.connection.server, 'https://prod:6443');
    assert.equal(prod.namespace, 'apps');
    assert.throws(() => resolveConnection([doc(two)], { context: 'staging' }), /context "staging" does not exist/);
    const exec = { ...two, users: [{ name: 'u', user: { exec: { command: 'aws' } } }] };
    assert.deepEqual(resolveConnection([doc(exec)], { context: 'prod' }), { kind: 'needsLibrary', reason: 'users[u].exec', namespace: 'apps' });
  });

  it('builds the in-cluster connection from the Service environment, brackets for IPv6', () => {
    assert.equal(inClusterConnection({}, '/sa'), undefined);
    assert.deepEqual(inClusterConnection({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, '/sa'), {
      server: 'https://127.0.0.1:443',
      ca: { file: '/sa/ca.crt' },
      tokenFile: '/sa/token',
      insecureSkipTlsVerify: false,
    });
    assert.equal(inClusterConnection({ KUBERNETES_SERVICE_HOST: '::1', KUBERNETES_SERVICE_PORT: '443' }, '/sa')?.server, 'https://[::1]:443');
  });
});

describe('kubeconfig: loadClusterAccess', () => {
  it('prefers the flag, then KUBECONFIG, then in-cluster, then ~/.kube/config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    const write = (name: string, server: string): string => {
      const f = join(dir, name);
      writeFileSync(f, JSON.stringify({ ...base, clusters: [{ name: 'c', cluster: { server } }], users: [{ name: 'u', user: { token: 't' } }] }));
      return f;
    };
    const flag = write('flag', 'https://flag');
    const env = write('env', 'https://env');
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), JSON.stringify({ ...base, clusters: [{ name: 'c', cluster: { server: 'https://home' } }] }));
    const inCluster = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const server = async (o: Parameters<typeof loadClusterAccess>[0]): Promise<string | undefined> => (await loadClusterAccess(o)).access.getCurrentCluster()?.server;
    assert.equal(await server({ file: flag, env: { KUBECONFIG: env, ...inCluster }, home }), 'https://flag');
    assert.equal(await server({ env: { KUBECONFIG: `${join(dir, 'missing')}:${env}`, ...inCluster }, home }), 'https://env');
    assert.equal(await server({ env: inCluster, home }), 'https://127.0.0.1:443');
    assert.equal(await server({ env: {}, home }), 'https://home');
    await assert.rejects(loadClusterAccess({ env: {}, home: join(dir, 'nobody') }), /no kubeconfig: pass --kubeconfig/);
    await assert.rejects(loadClusterAccess({ env: { KUBECONFIG: join(dir, 'missing') }, home }), /KUBECONFIG names no file that exists/);
    writeFileSync(join(dir, 'bad'), 'a: [');
    await assert.rejects(loadClusterAccess({ file: join(dir, 'bad') }), /kubeconfig .*bad: not YAML/);
  });

  it('gives the namespace of the context, or in a pod its own; refuses a context a pod does not have', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-ns-'));
    const file = join(dir, 'config');
    writeFileSync(file, JSON.stringify({ ...base, contexts: [{ name: 'dev', context: { cluster: 'c', user: 'u', namespace: 'team' } }], users: [{ name: 'u', user: { token: 't' } }] }));
    assert.equal((await loadClusterAccess({ file, env: {} })).namespace, 'team');
    assert.equal((await loadClusterAccess({ env: { KUBECONFIG: file } })).namespace, 'team');
    await assert.rejects(loadClusterAccess({ file, context: 'other', env: {} }), /context "other" does not exist/);
    const sa = join(dir, 'sa');
    mkdirSync(sa);
    writeFileSync(join(sa, 'namespace'), 'apps\n');
    const inCluster = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
    assert.equal((await loadClusterAccess({ env: inCluster, serviceAccountDir: sa, home: dir })).namespace, 'apps');
    await assert.rejects(loadClusterAccess({ env: inCluster, serviceAccountDir: sa, home: dir, context: 'dev' }), /context "dev" does not exist: no kubeconfig file/);
  });

  it('re-reads a token file once a minute, so a rotated ServiceAccount token is used', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    writeFileSync(join(dir, 'token'), 'first\n');
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    let now = 0;
    const access = new ConnectionAccess({ server: 'https://x', tokenFile: join(dir, 'token'), ca: { file: join(dir, 'ca.crt') }, insecureSkipTlsVerify: false }, () => now);
    const headers = async (): Promise<unknown> => {
      const o: https.RequestOptions = {};
      await access.applyToHTTPSOptions(o);
      assert.deepEqual(o.ca, Buffer.from('CA'));
      return o.headers;
    };
    assert.deepEqual(await headers(), { Authorization: 'Bearer first' });
    writeFileSync(join(dir, 'token'), 'second\n');
    now = 59_999;
    assert.deepEqual(await headers(), { Authorization: 'Bearer first' });
    now = 60_000;
    assert.deepEqual(await headers(), { Authorization: 'Bearer second' });
  });

  it('sets client certificates, insecure mode, the TLS server name and basic auth', async () => {
    const access = new ConnectionAccess({
      server: 'https://x',
      clientCert: { data: Buffer.from('CERT') },
      clientKey: { data: Buffer.from('KEY') },
      insecureSkipTlsVerify: true,
      tlsServerName: 'kubernetes.default',
      basicAuth: { username: 'a', password: 'b' },
    });
    const o: https.RequestOptions = {};
    await access.applyToHTTPSOptions(o);
    assert.deepEqual([o.cert, o.key, o.rejectUnauthorized, o.servername, o.auth, o.headers], [Buffer.from('CERT'), Buffer.from('KEY'), false, 'kubernetes.default', 'a:b', undefined]);
  });
});
