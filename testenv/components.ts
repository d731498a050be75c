// Command lines of the control plane's components: pure functions of the layout and ports, so the
// flags live in one place and can be read (and unit-tested) apart from the process handling.
import { join } from 'node:path';

export interface Layout {
  dir: string;
  ports: { etcdClient: number; etcdPeer: number; apiServer: number; controllerManager: number; scheduler: number };
  advertiseAddress?: string;
}

export const files = (dir: string) => ({
  caCert: join(dir, 'pki', 'ca.crt'),
  servingCert: join(dir, 'pki', 'serving.crt'),
  servingKey: join(dir, 'pki', 'serving.key'),
  adminCert: join(dir, 'pki', 'admin.crt'),
  adminKey: join(dir, 'pki', 'admin.key'),
  saKey: join(dir, 'pki', 'sa.key'),
  saPub: join(dir, 'pki', 'sa.pub'),
  kubeconfig: join(dir, 'kubeconfig'),
  etcdData: join(dir, 'etcd'),
  logs: join(dir, 'logs'),
  state: join(dir, 'state.json'),
  env: join(dir, 'env'),
});

export function etcdArgs(l: Layout): string[] {
  const client = `http://127.0.0.1:${l.ports.etcdClient}`;
  const peer = `http://127.0.0.1:${l.ports.etcdPeer}`;
  return [
    '--name=testenv',
    `--data-dir=${files(l.dir).etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=testenv=${peer}`,
    // Test data is thrown away: durability only costs time here.
    '--unsafe-no-fsync=true',
    '--quota-backend-bytes=4294967296',
    '--log-level=warn',
  ];
}

export function apiServerArgs(l: Layout, mode: 'full' | 'apiserver'): string[] {
  const f = files(l.dir);
  return [
    `--etcd-servers=http://127.0.0.1:${l.ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${l.ports.apiServer}`,
    ...(l.advertiseAddress ? [`--advertise-address=${l.advertiseAddress}`] : []),
    `--cert-dir=${join(l.dir, 'apiserver-certs')}`,
    `--tls-cert-file=${f.servingCert}`,
    `--tls-private-key-file=${f.servingKey}`,
    `--client-ca-file=${f.caCert}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${f.saPub}`,
    `--service-account-signing-key-file=${f.saKey}`,
    '--authorization-mode=Node,RBAC',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    '--profiling=false',
    // Real clusters (OpenShift among them) run this plugin: setting blockOwnerDeletion on an owner
    // reference needs `update` on the owner's finalizers, which a test must catch if the shipped
    // ClusterRole lacks it.
    '--enable-admission-plugins=OwnerReferencesPermissionEnforcement',
    // Without the controller-manager nobody creates the "default" ServiceAccount, and this plugin
    // would then refuse every pod (as envtest does).
    ...(mode === 'apiserver' ? ['--disable-admission-plugins=ServiceAccount'] : []),
  ];
}

/** Flags that kube-controller-manager and kube-scheduler share: admin access, loopback serving, no election. */
function clientComponentArgs(l: Layout, port: number): string[] {
  const f = files(l.dir);
  return [
    `--kubeconfig=${f.kubeconfig}`,
    `--authentication-kubeconfig=${f.kubeconfig}`,
    `--authorization-kubeconfig=${f.kubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
    '--profiling=false',
  ];
}

export function controllerManagerArgs(l: Layout): string[] {
  const f = files(l.dir);
  return [
    ...clientComponentArgs(l, l.ports.controllerManager),
    `--service-account-private-key-file=${f.saKey}`,
    `--root-ca-file=${f.caCert}`,
    '--use-service-account-credentials=true',
    '--controllers=*',
  ];
}

export function schedulerArgs(l: Layout): string[] {
  return clientComponentArgs(l, l.ports.scheduler);
}

export function kwokArgs(l: Layout, stagesFiles: string[]): string[] {
  return [
    `--kubeconfig=${files(l.dir).kubeconfig}`,
    ...stagesFiles.map((f) => `--config=${f}`),
    '--manage-all-nodes=true',
    // The heartbeat-with-lease stage only updates node status every few minutes; the lease is what
    // keeps the node-lifecycle controller from marking the nodes NotReady. kwok renews it every
    // quarter of its duration: 10 s, as a kubelet does with its default 40 s lease.
    '--node-lease-duration-seconds=40',
    // Pod IPs are handed out from here; nothing ever dials them.
    '--cidr=10.244.0.0/16',
    '--node-ip=198.51.100.10',
  ];
}
