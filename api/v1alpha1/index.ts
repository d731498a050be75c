// The public face of the API package: types, names and constants, validation and defaulting.
export type * from './types.generated.ts';
export {
  API_VERSION, CATEGORY, CHILD_KIND_NAMES, COMPONENT_KINDS, COMPONENTS, CONDITION_TYPES, DEFAULT_METRICS_PORT, GROUP, KINDS,
  KIND_NAMES, MAX_NAME_LENGTH, MIN_REPLICAS, PHASES, STATEFUL_COMPONENTS, VERSION,
} from './kinds.ts';
export type { ChildKindName, ComponentName, ConditionType, KindName, Phase } from './kinds.ts';
export { PULL_POLICIES } from './schema/component.ts';
export { applyDefaults } from './defaults.ts';
export { isKindName, validate, type ValidationIssue } from './validate.ts';
