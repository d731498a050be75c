// How each Engula line starts each component, as data: the argv, the environment the binary reads,
// where its data lives, how readiness is told, whether it serves metrics, whether it calls the
// Kubernetes API. kwok never starts a container, so nothing in the test suite can see a launch the
// binary refuses: every entry below rests on the binary's source, cited beside it, and the suite
// checks every StatefulSet the operator writes against the same line's CLI grammar
// (test/support/launch-check/). Facts: ../shared/research/engula-launch.md, and the sources it names.
//
// In `args`, `{port}` and `{data}` are filled in by the builder (the component's configured port and
// the data mount path); `$(VAR)` is left for the kubelet to expand from the container's environment.
import { LAUNCH_PROFILES, type ComponentName, type LaunchProfileName } from '../api/v1alpha1/index.ts';

/** One environment variable the binary reads: a literal, a port of a component, the cluster's name, or the pod's own name. */
type LaunchEnvSource =
  | { value: string }
  | { portOf: ComponentName }
  | { clusterName: true }
  | { fieldPath: 'metadata.name' };

export interface ComponentLaunch {
  /** argv[0]: the binary, at its path in the image. */
  command: readonly string[];
  /** The rest of argv, in the order the binary's parser demands. */
  args: readonly string[];
  /** The variables the binary reads, in the order they are written. */
  env: ReadonlyArray<{ name: string } & LaunchEnvSource>;
  /** Where the data volume is mounted (and what `{data}` stands for). */
  dataPath: string;
  /**
   * The binary writes under dataPath whatever the spec says: without spec.volume the pod gets an
   * emptyDir there (data lives as long as the pod), since the image's root file system is not the
   * place for it.
   */
  writesData: boolean;
  /** Metrics served by the binary itself, or none. Without them no ServiceMonitor is made unless the spec states a port. */
  metrics?: { port: number; path: string };
  /** Whether the binary calls the Kubernetes API (and so needs a token and a Role). */
  apiAccess: boolean;
  /**
   * Whom the binary runs as: a numeric user (Pod Security restricted needs runAsNonRoot, which the
   * kubelet can only check against a number), and whether it can run on a read-only root file
   * system (it writes nowhere but dataPath).
   */
  runAs: { user: number; readOnlyRootFilesystem: boolean };
}

// The images run as root unless told otherwise (the Go operator sets no securityContext). 65532
// is distroless's `nonroot`, the user the original operator's own image runs as (its Dockerfile:
// USER 65532:65532). Every Engula v0.2 server writes only under the path it is given (bin/engula.rs
// passes it to FileJournal::open, FileStorage::new, FileKernel::open) and logs to stdout, so the
// root file system stays read-only; fsGroup makes the data volume writable by that user.
const NON_ROOT = { user: 65532, readOnlyRootFilesystem: true } as const;

interface LaunchProfile {
  name: LaunchProfileName;
  /** What it runs, for docs and refusals. */
  description: string;
  /** Where the facts were read. */
  source: string;
  /** The components this line has a binary for; a missing one is refused by admission unless spec.command names one. */
  components: Partial<Record<ComponentName, ComponentLaunch>>;
}

/** The annotation on each StatefulSet that names the launch it runs: a profile's name, or CUSTOM_LAUNCH. */
export const LAUNCH_PROFILE_ANNOTATION = 'cluster.engula.io/launch-profile';
/** The annotation's value when spec.command or spec.args replaced the profile's. */
export const CUSTOM_LAUNCH = 'custom';

// zojw/engula-operator resource/statefulset.go (3f61194) buildEnv: the same six variables in every
// component's container. The ports are the Go operator's defaults there (a TODO in its source); here
// they carry the ports actually configured, which is what the fork's kernel dials.
const KUBE_DNS_ENV: ComponentLaunch['env'] = [
  { name: 'POD_NAME', fieldPath: 'metadata.name' },
  { name: 'kubecluster', clusterName: true },
  { name: 'journalport', portOf: 'journal' },
  { name: 'storageport', portOf: 'storage' },
  { name: 'kernelport', portOf: 'kernel' },
  { name: 'RUST_BACKTRACE', value: '1' },
];

// resource/statefulset.go: command `/bin/engula <component> run <args...>`, volume at /data
// (`MountPath = "/data"`), no readiness probe (a TODO there; a TCP probe of the service port is the
// only check the binary allows, as it serves gRPC only), `AutomountServiceAccountToken: false`.
const kubeDns = (args: readonly string[], writesData: boolean): ComponentLaunch => ({
  command: ['/bin/engula'],
  args,
  env: KUBE_DNS_ENV,
  dataPath: '/data',
  writesData,
  apiAccess: false,
  runAs: NON_ROOT,
});

// engula/engula bin/engula.rs at v0.2.0 (a9380b5): `<component> run <ADDR> [options] <MODE>`, MODE a
// nested subcommand (`--mem` or `--file <PATH>`) that takes everything after it, so it comes last;
// ADDR is a SocketAddr (an IP literal). No variables, no metrics, no engine subcommand.
const v020 = (args: readonly string[]): ComponentLaunch => ({
  command: ['/bin/engula'],
  args,
  env: [],
  dataPath: '/data',
  writesData: true,
  apiAccess: false,
  runAs: NON_ROOT,
});

export const PROFILES: Readonly<Record<LaunchProfileName, LaunchProfile>> = {
  'v0.2-kube-dns': {
    name: 'v0.2-kube-dns',
    description:
      "the kube-dns fork of Engula v0.2 that the original engula-operator deploys (image uhub.service.ucloud.cn/zojw/engula:0.9), started as that operator starts it",
    source: 'github.com/zojw/engula-operator 3f61194: resource/statefulset.go, controllers/{journal,storage,kernel,engine}_controller.go',
    components: {
      // controllers/journal_controller.go: "0.0.0.0:"+port, "--file", MountPath (9ccbf30: --mem became --file /data).
      journal: kubeDns(['journal', 'run', '0.0.0.0:{port}', '--file', '{data}'], true),
      // controllers/storage_controller.go: the same shape as the journal.
      storage: kubeDns(['storage', 'run', '0.0.0.0:{port}', '--file', '{data}'], true),
      // controllers/kernel_controller.go (313340c "fix kernel start"): --journal and --storage are
      // required by the CLI but unused ("no use but need pass"): the fork's kernel finds journal and
      // storage through DNS, <kubecluster>-journal:<journalport> and <kubecluster>-storage:<storageport>.
      // Its state is a file under the volume: --kube /data/kernel.
      kernel: kubeDns(['kernel', 'run', '--journal', '0.0.0.0:9999', '--storage', '0.0.0.0:9999', '0.0.0.0:{port}', '--kube', '{data}/kernel'], true),
      // controllers/engine_controller.go (e55414b: engine became demo-engine): no data argument; the
      // original mounts a volume at /data when one is given, and so does this.
      engine: kubeDns(['demo-engine', 'run', '0.0.0.0:{port}'], false),
    },
  },
  'v0.2.0': {
    name: 'v0.2.0',
    description: 'upstream Engula v0.2.0 (github.com/engula/engula tag v0.2.0): journal and storage servers',
    source: 'github.com/engula/engula v0.2.0 (a9380b5): bin/engula.rs',
    components: {
      journal: v020(['journal', 'run', '0.0.0.0:{port}', '--file', '{data}']),
      storage: v020(['storage', 'run', '0.0.0.0:{port}', '--file', '{data}']),
      // No kernel: v0.2.0's `kernel run` takes --journal and --storage as SocketAddr, IP literals read
      // once at start. The operator gives peers stable DNS names; a pod IP changes with every restart,
      // and a ClusterIP in front of several independent journals would scatter one kernel's streams
      // across them. Run it with spec.command/args naming addresses you keep stable.
      // No engine: v0.2.0 has no engine binary (engines are libraries).
    },
  },
};

/** What a build the operator does not know is given where its line has no binary for the component: only what the spec says. */
export const UNKNOWN_BUILD: ComponentLaunch = { command: [], args: [], env: [], dataPath: '/data', writesData: false, apiAccess: false, runAs: NON_ROOT };

export const DEFAULT_LAUNCH_PROFILE: LaunchProfileName = LAUNCH_PROFILES[0];

export function launchOf(profile: LaunchProfileName | undefined, component: ComponentName): ComponentLaunch | undefined {
  return PROFILES[profile ?? DEFAULT_LAUNCH_PROFILE].components[component];
}
