// A KubeConfig like the given one, but pointed at a loopback TCP proxy (same TLS identity: the
// apiserver's certificate names 127.0.0.1, whatever the port).
import * as k8s from '@kubernetes/client-node';
import { testEnv, type CleanupScope } from './kube.ts';
import { TcpProxy } from './tcp-proxy.ts';

export function kubeConfigVia(file: string, port: number): k8s.KubeConfig {
  const base = new k8s.KubeConfig();
  base.loadFromFile(file);
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error(`${file} has no current cluster`);
  const url = new URL(cluster.server);
  url.port = String(port);
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: base.clusters.map((c) => (c.name === cluster.name ? { ...c, server: url.toString().replace(/\/$/, '') } : c)),
    users: base.users,
    contexts: base.contexts,
    currentContext: base.currentContext,
  });
  return kc;
}

export function apiServerPort(file: string): number {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error(`${file} has no current cluster`);
  return Number(new URL(server).port || 443);
}

/**
 * A TcpProxy in front of the test control plane's kube-apiserver, closed when `t` ends, and the
 * admin KubeConfig pointed at it.
 */
export async function apiServerProxy(t: CleanupScope): Promise<{ proxy: TcpProxy; config: k8s.KubeConfig }> {
  const { kubeconfig } = testEnv();
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: apiServerPort(kubeconfig) });
  t.after(() => proxy.close());
  return { proxy, config: kubeConfigVia(kubeconfig, proxy.port) };
}
