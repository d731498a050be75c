// One pod as `status` shows it: kubectl's STATUS reason (the same rules as `kubectl get pods`),
// readiness, restarts, and its revision against its StatefulSet's. Pure.
import type { V1Pod, V1PodCondition, V1StatefulSet } from '@kubernetes/client-node';
import type { ComponentName } from '../../api/v1alpha1/kinds.ts';
import { isoOf } from './time.ts';
import type { PodView, RevisionState } from './types.ts';

/** The StatefulSet controller labels each pod with the ControllerRevision it was made from. */
const REVISION_LABEL = 'controller-revision-hash';

/** kubectl's STATUS column (printPod in kubectl's printers): the most telling reason of the pod's state. */
export function podStatusReason(pod: V1Pod): string {
  const status = pod.status ?? {};
  let reason = status.reason ?? status.phase ?? 'Unknown';
  const inits = status.initContainerStatuses ?? [];
  let initializing = false;
  for (const [i, c] of inits.entries()) {
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated?.exitCode === 0) continue;
    initializing = true;
    if (terminated) reason = terminated.reason ? `Init:${terminated.reason}` : terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
    else if (waiting?.reason && waiting.reason !== 'PodInitializing') reason = `Init:${waiting.reason}`;
    else reason = `Init:${i}/${inits.length}`;
    break;
  }
  if (!initializing) {
    let running = false;
    for (const c of [...(status.containerStatuses ?? [])].reverse()) {
      const { waiting, terminated } = c.state ?? {};
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (c.ready && c.state?.running) running = true;
    }
    if (reason === 'Completed' && running) reason = isReady(pod) ? 'Running' : 'NotReady';
  }
  if (pod.metadata?.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function condition(pod: V1Pod, type: string): V1PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

function isReady(pod: V1Pod): boolean {
  return condition(pod, 'Ready')?.status === 'True';
}

function because(reason: string | undefined, message: string | undefined, fallback: string): string {
  const r = reason ?? fallback;
  return message ? `${r}: ${message}` : r;
}

/** Why a pod is not Ready, in the order that explains most: not scheduled, a container waiting, the Ready condition. */
function notReadyBecause(pod: V1Pod): string | undefined {
  if (isReady(pod)) return undefined;
  const scheduled = condition(pod, 'PodScheduled');
  if (scheduled?.status === 'False') return `PodScheduled False, ${because(scheduled.reason, scheduled.message, 'NotScheduled')}`;
  for (const c of pod.status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting;
    if (waiting?.reason) return `container ${c.name} waiting, ${because(waiting.reason, waiting.message, '')}`;
  }
  const ready = condition(pod, 'Ready');
  if (ready) return `Ready ${ready.status}, ${because(ready.reason, ready.message, 'NotReady')}`;
  return pod.status?.phase ? `phase ${pod.status.phase}` : undefined;
}

export function revisionState(revision: string | undefined, sts: V1StatefulSet | undefined): RevisionState {
  const update = sts?.status?.updateRevision;
  const current = sts?.status?.currentRevision;
  if (revision === undefined || (update === undefined && current === undefined)) return 'unknown';
  if (revision === update) return 'update';
  if (revision === current) return 'current';
  return 'other';
}

/** The ordinal of a StatefulSet's pod, from its name `<statefulset>-<n>`. */
export function ordinalOf(podName: string, stsName: string): number | undefined {
  if (!podName.startsWith(`${stsName}-`)) return undefined;
  const rest = podName.slice(stsName.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

/** `owner`: the component and child (= StatefulSet) name the pod belongs to, when known. */
export function podView(pod: V1Pod, owner: { component: ComponentName; child: string } | undefined, sts: V1StatefulSet | undefined): PodView {
  const name = pod.metadata?.name ?? '';
  const revision = pod.metadata?.labels?.[REVISION_LABEL];
  const statuses = pod.status?.containerStatuses ?? [];
  const containers = Math.max(pod.spec?.containers.length ?? 0, statuses.length);
  const ordinal = owner ? ordinalOf(name, owner.child) : undefined;
  const created = isoOf(pod.metadata?.creationTimestamp);
  const why = notReadyBecause(pod);
  return {
    name,
    ...(owner ? { component: owner.component } : {}),
    ...(ordinal !== undefined ? { ordinal } : {}),
    ...(revision ? { revision } : {}),
    revisionState: revisionState(revision, sts),
    ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
    status: podStatusReason(pod),
    ready: isReady(pod),
    readyContainers: statuses.filter((c) => c.ready).length,
    containers,
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
    ...(created ? { createdAt: created } : {}),
    ...(why ? { notReadyBecause: why } : {}),
  };
}
