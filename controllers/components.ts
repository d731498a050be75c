// What differs between the four components, as data: one component reconciler reads this table
// instead of four near-copies of a controller. What each one's container runs is in
// launch-profiles.ts, per Engula line.
import { COMPONENT_KINDS, COMPONENTS, KINDS, type ChildKindName, type ComponentName } from '../api/v1alpha1/index.ts';

export interface ComponentTraits {
  component: ComponentName;
  kind: ChildKindName;
  defaultPort: number;
  /** Components that need a ready pod before this one's StatefulSet is first created. */
  dependsOn: readonly ComponentName[];
}

export const COMPONENT_TRAITS: Readonly<Record<ComponentName, ComponentTraits>> = {
  journal: { component: 'journal', kind: 'Journal', defaultPort: KINDS.Journal.defaultPort, dependsOn: [] },
  storage: { component: 'storage', kind: 'Storage', defaultPort: KINDS.Storage.defaultPort, dependsOn: [] },
  kernel: {
    component: 'kernel',
    kind: 'Kernel',
    defaultPort: KINDS.Kernel.defaultPort,
    dependsOn: ['journal', 'storage'],
  },
  engine: {
    component: 'engine',
    kind: 'Engine',
    defaultPort: KINDS.Engine.defaultPort,
    dependsOn: ['kernel'],
  },
};

/** The components that wait for `component` (the reverse of dependsOn). */
export function dependentsOf(component: ComponentName): ComponentName[] {
  return COMPONENTS.filter((c) => COMPONENT_TRAITS[c].dependsOn.includes(component));
}

export function componentOfKind(kind: string): ComponentName | undefined {
  return COMPONENTS.find((c) => COMPONENT_KINDS[c] === kind);
}
