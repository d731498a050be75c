// The traits table lives beside the pure builders (desired/traits.ts); this name stays for the
// kubectl plugin, which reads the roll order from here.
export { COMPONENT_TRAITS, ROLL_ORDER, type ComponentTraits } from './desired/traits.ts';
