// What differs between the four components, as data: one component reconciler reads this table
// instead of four near-copies of a controller. It sits beside the pure builders (which read it) so
// they depend on data, not on the controllers. What each one's container runs is in
// ../launch-profiles.ts, per Engula line.
import { COMPONENTS, KINDS, type ChildKindName, type ComponentName } from '../../api/v1alpha1/index.ts';

export interface ComponentTraits {
  component: ComponentName;
  kind: ChildKindName;
  defaultPort: number;
  /** Components that need a ready pod before this one's StatefulSet is first created. */
  dependsOn: readonly ComponentName[];
  /**
   * When a pod template change reaches this component, one component at a time: dependencies
   * first, as they start (journal, then storage, then the kernel that needs both, then the engine
   * that needs the kernel), so every component is rolled while what it depends on is whole, and
   * never more than one pod of the Cluster is down. Hibernation empties them in reverse.
   */
  rollOrder: number;
}

export const COMPONENT_TRAITS: Readonly<Record<ComponentName, ComponentTraits>> = {
  journal: { component: 'journal', kind: 'Journal', defaultPort: KINDS.Journal.defaultPort, dependsOn: [], rollOrder: 0 },
  storage: { component: 'storage', kind: 'Storage', defaultPort: KINDS.Storage.defaultPort, dependsOn: [], rollOrder: 1 },
  kernel: {
    component: 'kernel',
    kind: 'Kernel',
    defaultPort: KINDS.Kernel.defaultPort,
    dependsOn: ['journal', 'storage'],
    rollOrder: 2,
  },
  engine: {
    component: 'engine',
    kind: 'Engine',
    defaultPort: KINDS.Engine.defaultPort,
    dependsOn: ['kernel'],
    rollOrder: 3,
  },
};

/** The components in the order a template change rolls through them. */
/** The port a component serves on: its spec's, else the default (the CRD's default too). */
export function portOf(component: ComponentName, spec: { port?: number | undefined } | undefined): number {
  return spec?.port ?? COMPONENT_TRAITS[component].defaultPort;
}

export const ROLL_ORDER: readonly ComponentName[] = [...COMPONENTS].sort((a, b) => COMPONENT_TRAITS[a].rollOrder - COMPONENT_TRAITS[b].rollOrder);
