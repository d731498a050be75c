// The operator as the Deployment in config/default runs it: several replicas of one process, leader
// election on, every replica serving admission behind one address (here a loopback balancer in
// place of the webhook Service), and the webhook configurations made beforehand, as `make deploy`
// makes them from config/webhook, with the operator only keeping their caBundle.
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from '../../webhooks/configurations.ts';
import { LoopbackBalancer } from './balancer.ts';
import { kubectlOk, waitFor } from './kube.ts';
import { deleteClusterScoped, startOperator, testConfigurationName, waitUntilAdmissionServed, type OperatorOptions, type OperatorProcess } from './operator.ts';

type Scope = { after: (fn: () => Promise<void>) => void };

export interface Replicas {
  balancer: LoopbackBalancer;
  configurationName: string;
  /** The current process in each slot (a restarted slot holds its new process). */
  readonly processes: OperatorProcess[];
  /** Starts a new process in `slot` (after the old one was killed or stopped). */
  restart(slot: number): Promise<OperatorProcess>;
  /** The slot whose process says it leads, waiting for one. */
  leader(timeoutMs?: number): Promise<number>;
  /** Every log line of every process this harness started, in start order. */
  logs(): string;
  /** Every process this harness started, killed ones included. */
  all(): OperatorProcess[];
}

export interface ReplicasOptions extends Pick<OperatorOptions, 'env'> {
  replicas?: number;
  /** Flags for every process, or per slot (each replica's own kubeconfig or request log). */
  extraArgs?: string[] | ((slot: number) => string[]);
  configurationName?: string;
}

export async function startReplicas(t: Scope, namespaces: string[], opts: ReplicasOptions = {}): Promise<Replicas> {
  const home = namespaces[0];
  if (!home) throw new Error('startReplicas needs at least one namespace');
  const configurationName = opts.configurationName ?? testConfigurationName(namespaces);
  const balancer = await LoopbackBalancer.start();
  const namespaceSelector = { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }] };
  const cfg = { name: configurationName, target: { url: balancer.url }, namespaceSelector };
  const manifests = { apiVersion: 'v1', kind: 'List', items: [validatingWebhookConfiguration(cfg), mutatingWebhookConfiguration(cfg)] };
  await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(manifests) });
  t.after(async () => {
    await deleteClusterScoped(`validatingwebhookconfiguration/${configurationName}`, `mutatingwebhookconfiguration/${configurationName}`);
    await balancer.close();
  });

  const processes: OperatorProcess[] = [];
  const started: OperatorProcess[] = [];
  const startSlot = async (slot: number): Promise<OperatorProcess> => {
    const args = typeof opts.extraArgs === 'function' ? opts.extraArgs(slot) : (opts.extraArgs ?? []);
    const p = await startOperator(t, namespaces, args, { webhooks: 'external', configurationName, ...(opts.env ? { env: opts.env } : {}) });
    processes[slot] = p;
    started.push(p);
    if (p.webhookPort === undefined) throw new Error('replica started without its webhook server');
    balancer.set(`replica-${slot}`, { port: p.webhookPort, probePort: p.probePort });
    return p;
  };
  await Promise.all(Array.from({ length: opts.replicas ?? 2 }, (_, i) => startSlot(i)));
  await waitUntilAdmissionServed(home);

  return {
    balancer,
    configurationName,
    processes,
    restart: startSlot,
    async leader(timeoutMs = 60_000) {
      return waitFor('a replica to lead', () => {
        const leading = processes.map((p, i) => (p.alive && leadsNow(p.log()) ? i : -1)).filter((i) => i >= 0);
        return leading.length === 1 ? leading[0] : undefined;
      }, { timeoutMs, intervalMs: 100 });
    },
    logs: () => started.map((p) => p.log()).join(''),
    all: () => [...started],
  };
}

/** Whether the last leadership line of a process says it leads. */
function leadsNow(log: string): boolean {
  const became = log.lastIndexOf('"msg":"became leader"');
  const lost = Math.max(log.lastIndexOf('"msg":"leader election lost'), log.lastIndexOf('"msg":"released the lease"'));
  return became >= 0 && became > lost;
}
