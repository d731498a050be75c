// The PersistentVolumeClaims of a Cluster: those its StatefulSets made from their volume claim
// template (`<template>-<statefulset>-<ordinal>`, labelled with the child's name), and existing
// claims a component mounts (spec.<component>.volume.source). Pure.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { ComponentName } from '../../api/v1alpha1/kinds.ts';
import { isoOf } from './time.ts';
import type { ClaimView } from './types.ts';

const ACCESS_MODES: Readonly<Record<string, string>> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

export function accessModeShort(mode: string): string {
  return ACCESS_MODES[mode] ?? mode;
}

export interface ClaimOwners {
  /** The label that names the child (and StatefulSet) a claim was made for. */
  instanceLabel: string;
  /** Child name → component. */
  children: ReadonlyMap<string, ComponentName>;
  /** Claim name → component, for claims the spec names (volume.source). */
  sources: ReadonlyMap<string, ComponentName>;
}

/** The pod a template claim belongs to: `<template>-<child>-<n>` → `<child>-<n>`. */
function podOfClaim(claim: string, child: string): string | undefined {
  const m = new RegExp(`-(${child.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+)$`).exec(claim);
  return m?.[1];
}

export function claimViews(claims: readonly V1PersistentVolumeClaim[], owners: ClaimOwners, order: readonly ComponentName[]): ClaimView[] {
  const out: ClaimView[] = [];
  for (const c of claims) {
    const name = c.metadata?.name ?? '';
    const child = c.metadata?.labels?.[owners.instanceLabel];
    const fromTemplate = child !== undefined ? owners.children.get(child) : undefined;
    const component = fromTemplate ?? owners.sources.get(name);
    if (component === undefined) continue;
    const pod = fromTemplate !== undefined && child !== undefined ? podOfClaim(name, child) : undefined;
    const created = isoOf(c.metadata?.creationTimestamp);
    const capacity = c.status?.capacity?.storage;
    const requested = c.spec?.resources?.requests?.storage;
    out.push({
      name,
      component,
      ...(pod ? { pod } : {}),
      ...(c.status?.phase ? { status: c.status.phase } : {}),
      ...(capacity !== undefined ? { capacity: String(capacity) } : {}),
      ...(requested !== undefined ? { requested: String(requested) } : {}),
      accessModes: (c.status?.accessModes ?? c.spec?.accessModes ?? []).map(String),
      ...(c.spec?.storageClassName ? { storageClass: c.spec.storageClassName } : {}),
      ...(c.spec?.volumeName ? { volume: c.spec.volumeName } : {}),
      ...(created ? { createdAt: created } : {}),
    });
  }
  // Component by component in `order`, then by pod ordinal (numeric: pod-10 after pod-9).
  const rank = (c: ClaimView): number => (c.component ? order.indexOf(c.component) : order.length);
  return out.sort((a, b) => rank(a) - rank(b) || (a.pod ?? a.name).localeCompare(b.pod ?? b.name, 'en', { numeric: true }));
}
