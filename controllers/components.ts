// What differs between the four components, as data: one component reconciler reads this table
// instead of four near-copies of a controller.
import { COMPONENT_KINDS, COMPONENTS, KINDS, type ChildKindName, type ComponentName } from '../api/v1alpha1/index.ts';

export interface ComponentTraits {
  component: ComponentName;
  kind: ChildKindName;
  defaultPort: number;
  /** Components that need a ready pod before this one's StatefulSet is first created. */
  dependsOn: readonly ComponentName[];
  /**
   * Whether the pods talk to the Kubernetes API. Only the kernel does (it watches the other
   * components' pods and keeps its status in a ConfigMap), so only its ServiceAccount mounts a
   * token and is bound to a Role.
   */
  apiAccess: boolean;
  /** Environment variables carrying the address (`<service>.<ns>.svc.<domain>:<port>`) of each component named. */
  addressEnv: Partial<Record<ComponentName, string>>;
}

export const COMPONENT_TRAITS: Readonly<Record<ComponentName, ComponentTraits>> = {
  journal: { component: 'journal', kind: 'Journal', defaultPort: KINDS.Journal.defaultPort, dependsOn: [], apiAccess: false, addressEnv: {} },
  storage: { component: 'storage', kind: 'Storage', defaultPort: KINDS.Storage.defaultPort, dependsOn: [], apiAccess: false, addressEnv: {} },
  kernel: {
    component: 'kernel',
    kind: 'Kernel',
    defaultPort: KINDS.Kernel.defaultPort,
    dependsOn: ['journal', 'storage'],
    apiAccess: true,
    addressEnv: { journal: 'ENGULA_JOURNAL_ADDR', storage: 'ENGULA_STORAGE_ADDR' },
  },
  engine: {
    component: 'engine',
    kind: 'Engine',
    defaultPort: KINDS.Engine.defaultPort,
    dependsOn: ['kernel'],
    apiAccess: false,
    addressEnv: { kernel: 'ENGULA_KERNEL_ADDR' },
  },
};

/** The components that wait for `component` (the reverse of dependsOn). */
export function dependentsOf(component: ComponentName): ComponentName[] {
  return COMPONENTS.filter((c) => COMPONENT_TRAITS[c].dependsOn.includes(component));
}

export function componentOfKind(kind: string): ComponentName | undefined {
  return COMPONENTS.find((c) => COMPONENT_KINDS[c] === kind);
}
