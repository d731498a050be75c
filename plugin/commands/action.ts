// restart, pause, resume, hibernate, wake and scale: read the Cluster (so a missing one is a plain
// NotFound, and an unchanged switch writes nothing), patch it, say what was done as kubectl does.
import type { Cluster } from '../../api/v1alpha1/types.generated.ts';
import { actionLine, planScale, planSwitch } from '../actions.ts';
import type { Command } from '../args.ts';
import type { Connected } from '../client.ts';
import type { PluginIO } from '../io.ts';
import { CLUSTERS } from '../resources.ts';

export async function runAction(cmd: Extract<Command, { kind: 'switch' | 'scale' }>, { api, namespace }: Connected, io: PluginIO): Promise<void> {
  const cluster = await api.get<Cluster>(CLUSTERS, namespace, cmd.name);
  const plan = cmd.kind === 'scale' ? planScale(cluster, cmd.component, cmd.replicas) : planSwitch(cmd.action, cluster, io.now());
  if (plan.patch) await api.mergePatch(CLUSTERS, namespace, cmd.name, plan.patch);
  if (plan.warning) io.err(`Warning: ${plan.warning}\n`);
  io.out(`${actionLine(cmd.name, plan)}\n`);
}
