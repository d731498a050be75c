// What a kustomization renders, for the tests that read the shipped manifests: the renderer the
// chart generator uses too (hack/kustomize.ts), with the control plane's own kubectl when a run has one.
export { renderKustomization, repoRoot, type ManifestDoc, type PolicyRule } from '../../hack/kustomize.ts';
