// What each action changes in a Cluster's spec, as a merge patch: the switches (restartedAt,
// paused, hibernate) and a component's replicas. Always on the Cluster, never on a child: the
// Cluster owns its children's specs, and admission refuses a direct edit of them. Pure: the
// Cluster as read and the time in, the patch and the line to print out.
import type { ComponentName } from '../api/v1alpha1/kinds.ts';
import type { Cluster } from '../api/v1alpha1/types.generated.ts';
import type { SwitchAction } from './args.ts';
import { CLUSTERS, objectName } from './resources.ts';

export interface ActionPlan {
  /** Undefined when the spec already says what was asked: nothing is written. */
  patch?: { spec: Record<string, unknown> };
  /** The word kubectl would print: restarted, paused, scaled... */
  done: string;
  /** Said after the word, e.g. `(engine: 2 -> 3)`. */
  detail?: string;
  /** Printed to stderr: the change is written but waits for something. */
  warning?: string;
}

/** An action that makes no sense for this Cluster (a component it does not have). */
export class ActionRefused extends Error {
  readonly kind = 'refused' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ActionRefused';
  }
}

function pausedWarning(cluster: Cluster, what: string): string | undefined {
  const name = cluster.metadata?.name ?? '';
  return cluster.spec.paused === true ? `Cluster ${name} is paused: ${what} once it is resumed (kubectl engula resume ${name})` : undefined;
}

function toggle(field: 'paused' | 'hibernate', current: boolean | undefined, wanted: boolean, done: string, warning?: string): ActionPlan {
  const plan: ActionPlan = (current === true) === wanted ? { done } : { patch: { spec: { [field]: wanted } }, done };
  return warning ? { ...plan, warning } : plan;
}

export function planSwitch(action: SwitchAction, cluster: Cluster, now: Date): ActionPlan {
  switch (action) {
    case 'restart': {
      // Milliseconds, so two restarts within a second are still two new values (kubectl rollout restart's whole seconds are not).
      const warning = pausedWarning(cluster, 'the pods are replaced');
      return { patch: { spec: { restartedAt: now.toISOString() } }, done: 'restarted', ...(warning ? { warning } : {}) };
    }
    case 'pause':
      return toggle('paused', cluster.spec.paused, true, 'paused');
    case 'resume':
      return toggle('paused', cluster.spec.paused, false, 'resumed');
    case 'hibernate':
      return toggle('hibernate', cluster.spec.hibernate, true, 'hibernated', pausedWarning(cluster, 'the pods go'));
    case 'wake':
      return toggle('hibernate', cluster.spec.hibernate, false, 'woken', pausedWarning(cluster, 'the pods come back'));
  }
}

export function planScale(cluster: Cluster, component: ComponentName, replicas: number): ActionPlan {
  const name = cluster.metadata?.name ?? '';
  const spec = cluster.spec[component];
  if (!spec) throw new ActionRefused(`Cluster ${name} has no ${component}: scale changes a component of the spec; add one with kubectl edit cluster ${name}`);
  const detail = `(${component}: ${spec.replicas} -> ${replicas})`;
  const warning = pausedWarning(cluster, 'the pods follow');
  const plan: ActionPlan = spec.replicas === replicas ? { done: 'scaled', detail: `(${component}: ${replicas})` } : { patch: { spec: { [component]: { replicas } } }, done: 'scaled', detail };
  return warning ? { ...plan, warning } : plan;
}

/** `cluster.cluster.engula.io/demo scaled (engine: 2 -> 3)`; `(no change)` when nothing was written, as kubectl patch says. */
export function actionLine(name: string, plan: ActionPlan): string {
  return [objectName(CLUSTERS, name), plan.done, plan.detail, plan.patch ? undefined : '(no change)'].filter((s) => s !== undefined).join(' ');
}
