// The pod settings a hardened cluster expects, with the defaults the launch profile allows: Pod
// Security restricted with no setting, probes that do not kill a binary still waiting for its
// peers, pods spread across nodes. A spec's own values replace the defaults field by field.
import type { ChildObject, ComponentName } from '../../api/v1alpha1/index.ts';
import type { ComponentLaunch } from '../launch-profiles.ts';
import { selectorLabels } from './meta.ts';

type Json = Record<string, unknown>;

/** What Pod Security `restricted` requires of a pod, as the profile's binary allows it. */
export function podSecurityContextOf(child: ChildObject, launch: ComponentLaunch): Json {
  const defaults: Json = {
    runAsNonRoot: true,
    runAsUser: launch.runAs.user,
    runAsGroup: launch.runAs.user,
    fsGroup: launch.runAs.user,
    // A large volume is chowned once, not at every start.
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
  return { ...defaults, ...structuredClone(child.spec.podSecurityContext ?? {}) };
}

export function containerSecurityContextOf(child: ChildObject, launch: ComponentLaunch): Json {
  const defaults: Json = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    readOnlyRootFilesystem: launch.runAs.readOnlyRootFilesystem,
  };
  return { ...defaults, ...structuredClone(child.spec.securityContext ?? {}) };
}

/**
 * Started once the service port accepts connections. An Engula v0.2 server opens its store (and
 * the kernel its journal and storage) before it listens (bin/engula.rs: `open(...).await?` and only
 * then `serve`), so a kernel waiting for its peers has no port yet: it gets ten minutes before the
 * kubelet restarts it, and liveness, which starts only after this passed, never sees that wait.
 */
export function startupProbeOf(child: ChildObject): Json {
  return structuredClone(child.spec.startupProbe as Json | undefined) ?? { tcpSocket: { port: 'service' }, periodSeconds: 10, failureThreshold: 60 };
}

/** A server whose port stopped accepting for a minute is restarted. */
export function livenessProbeOf(child: ChildObject): Json {
  return structuredClone(child.spec.livenessProbe as Json | undefined) ?? { tcpSocket: { port: 'service' }, periodSeconds: 10, failureThreshold: 6 };
}

/**
 * The spec's constraints, each without a labelSelector given the component's pod labels (without
 * one Kubernetes counts no pod and the constraint does nothing), plus by default a spread across
 * nodes that a one-node cluster still satisfies (ScheduleAnyway).
 */
export function topologySpreadOf(child: ChildObject, instance: string, component: ComponentName): Json[] | undefined {
  const own = (child.spec.topologySpreadConstraints ?? []).map((c) => ({
    ...structuredClone(c),
    ...(c.labelSelector === undefined ? { labelSelector: { matchLabels: selectorLabels(instance, component) } } : {}),
  })) as Json[];
  const spread = child.spec.spreadAcrossNodes !== false && !own.some((c) => c.topologyKey === 'kubernetes.io/hostname');
  const out = spread
    ? [...own, { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels(instance, component) } }]
    : own;
  return out.length > 0 ? out : undefined;
}
