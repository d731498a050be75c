// Where the demo keeps its things, and the names it uses: one folder (DEMO_DIR, default .demo/)
// holds the control plane (certificates, etcd data, kubeconfig, logs), the operator's log and pid,
// the scaler's token and the operator's CA. `make demo-down` removes it whole.
import { join, resolve } from 'node:path';
import { files } from '../../testenv/components.ts';

export const root = resolve(import.meta.dirname, '..', '..');

export interface DemoLayout {
  dir: string;
  kubeconfig: string;
  logs: string;
  operatorLog: string;
  /** JSON: the operator's pid and the ports it serves (OperatorRecord). */
  operatorRecord: string;
  scalerToken: string;
  operatorCa: string;
  /** The refused manifest of step 2, kept so the user can try it again. */
  badManifest: string;
}

export function demoLayout(dir = process.env.DEMO_DIR ?? join(root, '.demo')): DemoLayout {
  const abs = resolve(dir);
  const f = files(abs);
  return {
    dir: abs,
    kubeconfig: f.kubeconfig,
    logs: f.logs,
    operatorLog: join(f.logs, 'operator.log'),
    operatorRecord: join(abs, 'operator.json'),
    scalerToken: join(abs, 'scaler.token'),
    operatorCa: join(abs, 'operator-ca.crt'),
    badManifest: join(abs, 'cluster-full-typo.yaml'),
  };
}

/** The sample scaler (samples/scaler) lives in "apps", so the demo's Cluster does too. */
export const NAMESPACE = 'apps';
export const CLUSTER = 'full';
export const CLUSTER_MANIFEST = 'samples/cluster-full.yaml';
/** The operator as `make run` runs it: webhooks and the scaling API on 127.0.0.1:9443 (DEMO_WEBHOOK_PORT moves it). */
export const WEBHOOK_PORT = Number(process.env.DEMO_WEBHOOK_PORT ?? 9443);
/** Out of cluster, the operator keeps its webhook certificate Secret in "default". */
export const OPERATOR_NAMESPACE = 'default';
export const CERT_SECRET = 'engula-operator-webhook-cert';
export const SCALER_SERVICE_ACCOUNT = 'engula-autoscaler';
export const SCALING_AUDIENCE = 'engula-operator';
