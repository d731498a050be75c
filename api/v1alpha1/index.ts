// The public face of the API package: types, names and constants, validation and defaulting.
export type * from './types.generated.ts';
export {
  API_VERSION, CATEGORY, CHILD_KIND_NAMES, COMPONENT_KINDS, COMPONENTS, GROUP, KINDS, LAUNCH_PROFILE_COMPONENTS, LAUNCH_PROFILES,
  KIND_NAMES, MAX_NAME_LENGTH, MIN_REPLICAS, PHASES, STATEFUL_COMPONENTS, VERSION,
} from './kinds.ts';
export type { ChildKindName, ComponentName, KindName, LaunchProfileName, Phase } from './kinds.ts';
export { PULL_POLICIES } from './schema/component.ts';
export { INHERITED_POD_SETTINGS, MERGED_POD_SETTINGS } from './schema/pod-settings.ts';
export { applyDefaults } from './defaults.ts';
export { validate, type ValidationIssue } from './validate.ts';
