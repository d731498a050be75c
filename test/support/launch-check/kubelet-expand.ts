// What a kubelet makes of a container's command, args and env before the runtime starts it: the
// `$(VAR)` expansion, the env list resolved in order, and the argv. kwok never starts a container,
// so the launch check computes here the argv a real node would pass to the binary.
//
// Ported from k8s.io/kubernetes v1.36.3 (Go module source):
// - third_party/forked/golang/expansion/expand.go: MappingFuncFor, Expand, tryReadVariableName.
// - pkg/kubelet/kubelet_pods.go: (*Kubelet).makeEnvironmentVariables, the order rule.
// - pkg/kubelet/container/helpers.go: ExpandContainerCommandAndArgs.

const OPERATOR = '$';
const REFERENCE_OPENER = '(';
const REFERENCE_CLOSER = ')';

/** Resolves a variable name to the text that replaces `$(name)`. */
export type Mapping = (name: string) => string;

/**
 * expand.go MappingFuncFor: the first context that defines the name wins; an undefined name
 * yields `$(name)` again, so the reference reaches the binary literally.
 */
export function mappingFuncFor(...context: ReadonlyArray<ReadonlyMap<string, string>>): Mapping {
  return (name) => {
    for (const vars of context) {
      const value = vars.get(name);
      if (value !== undefined) return value;
    }
    return `${OPERATOR}${REFERENCE_OPENER}${name}${REFERENCE_CLOSER}`;
  };
}

/**
 * expand.go tryReadVariableName, on the text after a `$`: what to write, whether it is a variable
 * name to map, and how many units of input it consumed.
 */
function tryReadVariableName(input: string): { read: string; isVar: boolean; advance: number } {
  // v1.36.3 decodes one rune here (utf8.DecodeRuneInString), so `$£` stays `$£`; earlier
  // releases took a byte and mangled multi-byte characters. '$', '(' and ')' are ASCII, so JS
  // string indexes stand in for Go's byte offsets everywhere else.
  const rune = String.fromCodePoint(input.codePointAt(0) ?? 0);
  switch (rune) {
    case OPERATOR:
      // Escaped operator: `$$` writes one `$`.
      return { read: rune, isVar: false, advance: rune.length };
    case REFERENCE_OPENER:
      for (let i = 1; i < input.length; i++) {
        if (input[i] === REFERENCE_CLOSER) return { read: input.slice(1, i), isVar: true, advance: i + 1 };
      }
      // Incomplete reference: `$(` is written as is and scanning resumes after the `(`.
      return { read: OPERATOR + REFERENCE_OPENER, isVar: false, advance: 1 };
    default:
      // An operator that begins no expression: the operator and the rune after it.
      return { read: OPERATOR + rune, isVar: false, advance: rune.length };
  }
}

/** expand.go Expand: replaces `$(NAME)` references in `input` through `mapping`. */
export function expand(input: string, mapping: Mapping): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    // A `$` as the last character is never an operator: it is copied with the rest.
    if (input[cursor] === OPERATOR && cursor + 1 < input.length) {
      out += input.slice(checkpoint, cursor);
      const { read, isVar, advance } = tryReadVariableName(input.slice(cursor + 1));
      out += isVar ? mapping(read) : read;
      cursor += advance;
      checkpoint = cursor + 1;
    }
  }
  return out + input.slice(checkpoint);
}

/** The kubelet's expansion of one string against defined variables: `$$` is `$`, an undefined `$(NAME)` stays. */
export function expandKubelet(input: string, vars: ReadonlyMap<string, string>): string {
  return expand(input, mappingFuncFor(vars));
}

/** The parts of core/v1 EnvVarSource the kubelet reads (a V1EnvVarSource fits). */
export interface EnvVarSourceLike {
  fieldRef?: { fieldPath: string; apiVersion?: string };
  resourceFieldRef?: { resource: string; containerName?: string };
  configMapKeyRef?: { name?: string; key: string };
  secretKeyRef?: { name?: string; key: string };
  fileKeyRef?: { volumeName: string; path: string; key: string };
}

export interface EnvVarLike {
  name: string;
  value?: string;
  valueFrom?: EnvVarSourceLike;
}

/** The parts of core/v1 Container the kubelet reads to build argv and environment (a V1Container fits). */
export interface ContainerLike {
  command?: readonly string[];
  args?: readonly string[];
  env?: readonly EnvVarLike[];
}

export interface PodIdentity {
  name: string;
  namespace: string;
}

/**
 * A source whose value exists when the container starts but cannot be known here (a node name, a
 * Secret's key, a CPU limit): a stand-in that is defined and non-empty. Checked in the order of
 * the kubelet's switch. (An optional key that is missing at runtime leaves the variable out; here
 * it counts as present.)
 */
function opaqueValue(from: EnvVarSourceLike): string {
  if (from.fieldRef) return `<fieldRef:${from.fieldRef.fieldPath}>`;
  if (from.resourceFieldRef) return `<resourceFieldRef:${from.resourceFieldRef.containerName ? `${from.resourceFieldRef.containerName}/` : ''}${from.resourceFieldRef.resource}>`;
  if (from.configMapKeyRef) return `<configMapKeyRef:${from.configMapKeyRef.name ?? ''}/${from.configMapKeyRef.key}>`;
  if (from.secretKeyRef) return `<secretKeyRef:${from.secretKeyRef.name ?? ''}/${from.secretKeyRef.key}>`;
  if (from.fileKeyRef) return `<fileKeyRef:${from.fileKeyRef.volumeName}/${from.fileKeyRef.path}#${from.fileKeyRef.key}>`;
  // A valueFrom naming no source matches no case of the kubelet's switch: the value stays empty.
  return '';
}

/**
 * The container's `env` as the kubelet resolves it (kubelet_pods.go makeEnvironmentVariables, step
 * 1): in declaration order, a non-empty `value` is expanded against the variables resolved before
 * it (a later entry is not yet defined; a repeated name is overwritten); an empty `value` falls to
 * `valueFrom`. metadata.name and metadata.namespace come from the pod; every other source gets an
 * opaque stand-in (see opaqueValue).
 *
 * Not modelled: `envFrom` (its keys live in a ConfigMap or Secret this check does not read) and
 * the service-link variables (KUBERNETES_SERVICE_HOST...), which the kubelet adds after these.
 */
export function containerEnvironment(container: ContainerLike, pod: PodIdentity): Map<string, string> {
  const env = new Map<string, string>();
  const mapping = mappingFuncFor(env);
  for (const entry of container.env ?? []) {
    let value = entry.value ?? '';
    if (value !== '') {
      value = expand(value, mapping);
    } else if (entry.valueFrom) {
      const path = entry.valueFrom.fieldRef?.fieldPath;
      if (path === 'metadata.name') value = pod.name;
      else if (path === 'metadata.namespace') value = pod.namespace;
      else value = opaqueValue(entry.valueFrom);
    }
    env.set(entry.name, value);
  }
  return env;
}

/** helpers.go ExpandContainerCommandAndArgs: command then args, each expanded against the container's environment. */
export function argvOf(container: ContainerLike, pod: PodIdentity): string[] {
  const mapping = mappingFuncFor(containerEnvironment(container, pod));
  return [...(container.command ?? []), ...(container.args ?? [])].map((part) => expand(part, mapping));
}

/**
 * The `$(NAME)` references in command and args that the environment does not define: the kubelet
 * leaves each one literal, so the binary gets `$(NAME)` as an argument.
 */
export function unresolvedReferences(container: ContainerLike, pod: PodIdentity): string[] {
  const env = containerEnvironment(container, pod);
  const missing = new Set<string>();
  const recording: Mapping = (name) => {
    const value = env.get(name);
    if (value !== undefined) return value;
    missing.add(name);
    return '';
  };
  for (const part of [...(container.command ?? []), ...(container.args ?? [])]) expand(part, recording);
  return [...missing];
}
