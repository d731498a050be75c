// Names and per-component constants of the API, shared by the schemas, the controllers and the
// webhook. Plain data with no dependencies, so anything may import it.

export const GROUP = 'cluster.engula.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;

/** The category every kind is in: `kubectl get engula` lists them all. */
export const CATEGORY = 'engula';

export const COMPONENTS = ['journal', 'storage', 'kernel', 'engine'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

/** Components that keep data on volumes: shrinking them needs `spec.allowScaleDown` on the Cluster. */
export const STATEFUL_COMPONENTS = ['journal', 'storage'] as const satisfies readonly ComponentName[];

/**
 * The Engula lines the operator knows how to start (controllers/launch-profiles.ts has how), the
 * first the default: the kube-dns fork of Engula v0.2 that the original engula-operator deploys.
 */
export const LAUNCH_PROFILES = ['v0.2-kube-dns', 'v0.2.0'] as const;
export type LaunchProfileName = (typeof LAUNCH_PROFILES)[number];

/** Which components each line has a binary for: a component outside its line needs spec.command. */
export const LAUNCH_PROFILE_COMPONENTS: Readonly<Record<LaunchProfileName, readonly ComponentName[]>> = {
  'v0.2-kube-dns': COMPONENTS,
  'v0.2.0': ['journal', 'storage'],
};

export const KINDS = {
  Cluster: { kind: 'Cluster', listKind: 'ClusterList', plural: 'clusters', singular: 'cluster', shortName: 'egc' },
  Journal: {
    kind: 'Journal', listKind: 'JournalList', plural: 'journals', singular: 'journal', shortName: 'egj',
    component: 'journal', defaultPort: 24570,
  },
  Storage: {
    kind: 'Storage', listKind: 'StorageList', plural: 'storages', singular: 'storage', shortName: 'egs',
    component: 'storage', defaultPort: 24569,
  },
  Kernel: {
    kind: 'Kernel', listKind: 'KernelList', plural: 'kernels', singular: 'kernel', shortName: 'egk',
    component: 'kernel', defaultPort: 24567,
  },
  Engine: {
    kind: 'Engine', listKind: 'EngineList', plural: 'engines', singular: 'engine', shortName: 'ege',
    component: 'engine', defaultPort: 24568,
  },
} as const;

export type KindName = keyof typeof KINDS;
export type ChildKindName = Exclude<KindName, 'Cluster'>;
export const KIND_NAMES = Object.keys(KINDS) as KindName[];
export const CHILD_KIND_NAMES = ['Journal', 'Storage', 'Kernel', 'Engine'] as const satisfies readonly ChildKindName[];

/** The child kind that runs each component. */
export const COMPONENT_KINDS = {
  journal: 'Journal',
  storage: 'Storage',
  kernel: 'Kernel',
  engine: 'Engine',
} as const satisfies Record<ComponentName, ChildKindName>;

/** Least replicas per component: the kernel coordinates the others, so it cannot be scaled to zero. */
export const MIN_REPLICAS = { journal: 0, storage: 0, kernel: 1, engine: 0 } as const satisfies Record<ComponentName, number>;

/** Phases, from the least to the most settled. */
export const PHASES = ['Pending', 'Progressing', 'Ready', 'Degraded', 'Paused', 'Hibernated'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * The longest metadata.name each kind accepts. A StatefulSet's controller-revision-hash label is
 * `<name>-<10 chars>` and must fit a 63-character label value, so a child's name is at most 52; a
 * Cluster's child is `<cluster>-<component>` (at most 8 more), so a Cluster's name is at most 44.
 */
export const MAX_NAME_LENGTH = { Cluster: 44, Journal: 52, Storage: 52, Kernel: 52, Engine: 52 } as const satisfies Record<KindName, number>;
