// Would a real node start the Engula binary this StatefulSet describes, and would the binary run?
// kwok never starts a container, so this is the suite's stand-in: the argv the kubelet would build
// for pod <name>-0 (kubelet-expand.ts), parsed by the grammar of the Engula line the StatefulSet's
// launch-profile annotation names (grammars.ts), plus what the grammar cannot see: the component,
// the port, the data path's volume, the variables the line reads.
import { posix } from 'node:path';
import { COMPONENTS, type ComponentName, type LaunchProfileName } from '../../../api/v1alpha1/index.ts';
import { CUSTOM_LAUNCH, LAUNCH_PROFILE_ANNOTATION, PROFILES } from '../../../controllers/launch-profiles.ts';
import { parseEngulaArgv, type EngulaComponent, type EngulaLaunch } from './grammars.ts';
import { argvOf, containerEnvironment, unresolvedReferences } from './kubelet-expand.ts';
import { LaunchRefused } from './refused.ts';
import { readMeta, readPodTemplate, type ContainerView, type PodTemplateView, type StatefulSetMeta } from './statefulset-view.ts';

export { LaunchRefused } from './refused.ts';

export type LaunchCheck = { profile: LaunchProfileName; component: ComponentName; argv: string[] } | { skipped: 'custom' | 'not-engula' };

const COMPONENT_LABEL = 'app.kubernetes.io/component';
const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
// controllers/desired/meta.ts MANAGED_BY, spelled out: the check must not move with the code it checks.
const OPERATOR = 'engula-operator';
/** The container port the Service targets (controllers/desired/workload.ts names it `service`). */
const SERVICE_PORT = 'service';

/** The subcommand each component runs under: the fork renamed `engine` to `demo-engine` (engula-operator e55414b). */
const BINARY_COMPONENT: Readonly<Record<ComponentName, EngulaComponent>> = { journal: 'journal', storage: 'storage', kernel: 'kernel', engine: 'demo-engine' };

/**
 * Checks one StatefulSet: skipped when its launch is custom (spec.command/args, the user's own
 * binary) or it is not the operator's; otherwise the argv its first pod would get, or a
 * LaunchRefused prefixed with namespace/name.
 */
export function checkStatefulSet(sts: unknown): LaunchCheck {
  const meta = readMeta(sts);
  try {
    return check(meta, sts);
  } catch (err) {
    throw err instanceof LaunchRefused ? err.prefixed(meta.key) : err;
  }
}

function check(meta: StatefulSetMeta, sts: unknown): LaunchCheck {
  const annotation = meta.annotations[LAUNCH_PROFILE_ANNOTATION];
  if (annotation === CUSTOM_LAUNCH) return { skipped: 'custom' };
  if (annotation === undefined) {
    if (meta.labels[MANAGED_BY_LABEL] !== OPERATOR) return { skipped: 'not-engula' };
    throw new LaunchRefused(`no ${LAUNCH_PROFILE_ANNOTATION} annotation: which Engula line runs here is unknown`, LAUNCH_PROFILE_ANNOTATION);
  }
  const profile = profileNamed(annotation);
  const component = componentOf(meta);
  const launch = PROFILES[profile].components[component];
  if (!launch) throw new LaunchRefused(`the ${profile} line has no ${component} binary, yet the launch is not custom`, COMPONENT_LABEL);

  const template = readPodTemplate(sts);
  const [container, ...others] = template.containers;
  if (!container || others.length > 0) throw new LaunchRefused(`the pod template has ${template.containers.length} containers, not 1`, 'containers');
  const pod = { name: `${meta.name}-0`, namespace: meta.namespace };

  const unresolved = unresolvedReferences(container, pod);
  if (unresolved.length > 0) {
    const why = container.hasEnvFrom ? ' (envFrom is not read by this check)' : '';
    throw new LaunchRefused(`${unresolved.map((n) => `$(${n})`).join(', ')} in command/args: not defined in the container's env${why}; the binary would get it literally`, `$(${unresolved[0] ?? ''})`);
  }
  // An empty command runs the image's ENTRYPOINT, which is not in the StatefulSet.
  if ((container.command ?? []).length === 0) throw new LaunchRefused('no command: the image entrypoint would run, which this check cannot see', 'command');
  const argv = argvOf(container, pod);
  const parsed = parseEngulaArgv(profile, argv);

  const expected = BINARY_COMPONENT[component];
  if (parsed.component !== expected) throw new LaunchRefused(`the ${component} StatefulSet runs 'engula ${parsed.component}', not 'engula ${expected}'`, parsed.component);
  checkListen(parsed, container);
  if (parsed.path !== undefined) checkDataPath(parsed.path, container, template);
  checkProfileEnv(profile, component, container, pod);
  return { profile, component, argv };
}

function profileNamed(annotation: string): LaunchProfileName {
  const name = Object.keys(PROFILES).find((p): p is LaunchProfileName => p === annotation);
  if (!name) throw new LaunchRefused(`${LAUNCH_PROFILE_ANNOTATION} is '${annotation}': no such Engula line (${Object.keys(PROFILES).join(', ')}, or ${CUSTOM_LAUNCH})`, LAUNCH_PROFILE_ANNOTATION);
  return name;
}

function componentOf(meta: StatefulSetMeta): ComponentName {
  const label = meta.labels[COMPONENT_LABEL];
  const component = COMPONENTS.find((c) => c === label);
  if (!component) throw new LaunchRefused(`label ${COMPONENT_LABEL} is ${label === undefined ? 'missing' : `'${label}'`}: not an Engula component`, COMPONENT_LABEL);
  return component;
}

/** The server listens where the Service sends traffic: the `service` port, on every interface. */
function checkListen(parsed: EngulaLaunch, container: ContainerView): void {
  const port = container.ports.find((p) => p.name === SERVICE_PORT)?.containerPort;
  if (port === undefined) throw new LaunchRefused(`no container port named '${SERVICE_PORT}'`, 'ports');
  if (parsed.listen.port !== port) {
    throw new LaunchRefused(`the server listens on port ${parsed.listen.port} but the '${SERVICE_PORT}' container port is ${port}`, String(parsed.listen.port));
  }
  // The pod's IP is not known when the StatefulSet is written, and a loopback listener cannot be
  // reached through the Service: only the unspecified address works in a pod.
  if (!parsed.listen.unspecified) {
    throw new LaunchRefused(`the server listens on ${parsed.listen.ip} only; a pod's server must listen on 0.0.0.0 or [::]`, parsed.listen.ip);
  }
}

/** A `--file`/`--kube` PATH is written by the binary: it must lie on a writable mount whose volume exists. */
function checkDataPath(path: string, container: ContainerView, template: PodTemplateView): void {
  // A relative path resolves against the image's working directory, which is not in the StatefulSet.
  if (!path.startsWith('/')) throw new LaunchRefused(`data path '${path}' is relative`, path);
  const target = posix.normalize(path);
  const under = (mountPath: string): boolean => {
    const root = posix.normalize(mountPath).replace(/(.)\/+$/, '$1');
    return target === root || target.startsWith(root === '/' ? '/' : `${root}/`);
  };
  // The deepest mount holding the path is the one the binary writes to.
  const mount = container.volumeMounts
    .filter((m) => m.mountPath.startsWith('/') && under(m.mountPath))
    .sort((a, b) => posix.normalize(b.mountPath).length - posix.normalize(a.mountPath).length)[0];
  if (!mount) throw new LaunchRefused(`data path '${path}' is on no volume mount: the data would live in the container's file system`, path);
  if (!template.volumes.has(mount.name) && !template.claimTemplates.has(mount.name)) {
    throw new LaunchRefused(`data path '${path}' is on mount '${mount.name}' (${mount.mountPath}), but no volume or volumeClaimTemplate has that name`, mount.name);
  }
  if (mount.readOnly) throw new LaunchRefused(`data path '${path}' is on read-only mount '${mount.name}'`, mount.name);
}

/** Every variable the line's binary reads (launch-profiles.ts, from resource/statefulset.go buildEnv) is set, and not empty. */
function checkProfileEnv(profile: LaunchProfileName, component: ComponentName, container: ContainerView, pod: { name: string; namespace: string }): void {
  const env = containerEnvironment(container, pod);
  for (const { name } of PROFILES[profile].components[component]?.env ?? []) {
    const value = env.get(name);
    if (value === undefined || value === '') {
      throw new LaunchRefused(`env ${name} is ${value === undefined ? 'missing' : 'empty'}: the ${profile} ${component} reads it`, name);
    }
  }
}
