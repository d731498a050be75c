// The command lines of the two Engula lines in controllers/launch-profiles.ts, as their clap
// parser takes them. Each parse returns what the binary would run, or throws LaunchRefused where
// the binary would print a clap error and exit 2 before serving anything.
//
// v0.2.0: engula/engula tag v0.2.0 (a9380b5), bin/engula.rs:
//   engula storage run <ADDR> <MODE>
//   engula journal run <ADDR> [--segment-size <N>] <MODE>
//   engula kernel  run <ADDR> --journal <ADDR> --storage <ADDR> <MODE>
//   MODE: the subcommand `--mem`, or `--file <PATH>`. ADDR: std::net::SocketAddr.
// v0.2-kube-dns: the kube-dns branch of zojw/engula (unpublished), known from what
// zojw/engula-operator 3f61194 passes (controllers/*_controller.go, resource/statefulset.go): as
// v0.2.0 for storage and journal; the kernel's MODE may also be `--kube <PATH>`; and
//   engula demo-engine run <ADDR>
// Both images hold the binary at /bin/engula (resource/statefulset.go buildCmd).
import type { LaunchProfileName } from '../../../api/v1alpha1/index.ts';
import { parseArgs, type CommandSpec, type OptionSpec, type ValueSpec } from './clap.ts';
import { LaunchRefused } from './refused.ts';
import { ADDR_PARSE_ERROR, parseSocketAddr, type SocketAddr } from './socket-addr.ts';

export { LaunchRefused } from './refused.ts';

export const ENGULA_BINARY = '/bin/engula';

export const ENGULA_COMPONENTS = ['journal', 'storage', 'kernel', 'demo-engine'] as const;
export type EngulaComponent = (typeof ENGULA_COMPONENTS)[number];
const MODES = { '--mem': 'mem', '--file': 'file', '--kube': 'kube' } as const;

/** What the binary would run. */
export interface EngulaLaunch {
  line: LaunchProfileName;
  component: EngulaComponent;
  subcommand: 'run';
  /** ADDR: where the server listens. */
  listen: SocketAddr;
  /** MODE, when the component takes one. */
  mode: 'mem' | 'file' | 'kube' | undefined;
  /** The PATH of `--file` or `--kube`. */
  path: string | undefined;
  /** Options given, by long name (`journal`, `storage`, `segment-size`). */
  options: Readonly<Record<string, string>>;
}

const socketAddr = (value: string): string | undefined => (parseSocketAddr(value) ? undefined : ADDR_PARSE_ERROR);

/** `usize::from_str` on a 64-bit target (the field `segment_size: usize`): an optional `+`, then ASCII digits. */
function usize(value: string): string | undefined {
  if (value === '') return 'cannot parse integer from empty string';
  const digits = value.startsWith('+') ? value.slice(1) : value;
  if (!/^[0-9]+$/.test(digits)) return 'invalid digit found in string';
  return BigInt(digits) > 2n ** 64n - 1n ? 'number too large to fit in target type' : undefined;
}

const ADDR: ValueSpec = { name: 'ADDR', validate: socketAddr };
// Field names become the placeholders: `journal: SocketAddr` is `--journal <JOURNAL>`.
const addrOption = (long: string): OptionSpec => ({ long, value: long.toUpperCase(), required: true, validate: socketAddr });
const SEGMENT_SIZE: OptionSpec = { long: 'segment-size', value: 'SEGMENT_SIZE', required: false, validate: usize };

// RunMode: `#[clap(name = "--mem")] Mem`, `#[clap(name = "--file")] File { path: PathBuf }`.
// PathBuf parses from any OS string, so PATH has no validator.
const MEM: CommandSpec = { name: '--mem' };
const FILE: CommandSpec = { name: '--file', positionals: [{ name: 'PATH' }] };
// The fork's kernel keeps its manifest in a file: `--kube /data/kernel` (engula-operator 313340c).
const KUBE: CommandSpec = { name: '--kube', positionals: [{ name: 'PATH' }] };

const run = (positionals: readonly ValueSpec[], options: readonly OptionSpec[], modes?: readonly CommandSpec[]): CommandSpec => ({
  name: 'run',
  positionals,
  options,
  ...(modes ? { subcommands: modes } : {}),
});
const component = (name: EngulaComponent, runSpec: CommandSpec): CommandSpec => ({ name, subcommands: [runSpec] });

const STORAGE = component('storage', run([ADDR], [], [MEM, FILE]));
const JOURNAL = component('journal', run([ADDR], [SEGMENT_SIZE], [MEM, FILE]));

export const GRAMMARS: Readonly<Record<LaunchProfileName, CommandSpec>> = {
  'v0.2.0': {
    name: 'engula',
    version: true,
    subcommands: [STORAGE, JOURNAL, component('kernel', run([ADDR], [addrOption('journal'), addrOption('storage')], [MEM, FILE]))],
  },
  'v0.2-kube-dns': {
    name: 'engula',
    version: true,
    subcommands: [
      STORAGE,
      JOURNAL,
      // --journal and --storage stay required though the fork's kernel finds its peers by DNS:
      // the Go operator passes 0.0.0.0:9999 for both, "no use but need pass".
      component('kernel', run([ADDR], [addrOption('journal'), addrOption('storage')], [MEM, FILE, KUBE])),
      // engula-operator e55414b: `engine` became `demo-engine`; no mode, no options.
      component('demo-engine', run([ADDR], [])),
    ],
  },
};

/** Parses a whole argv (argv[0] included) as the `line` binary would, or throws LaunchRefused. */
export function parseEngulaArgv(line: LaunchProfileName, argv: readonly string[]): EngulaLaunch {
  const [bin, ...rest] = argv;
  if (bin === undefined) throw new LaunchRefused('empty command: the image entrypoint would run, not the Engula binary');
  if (bin !== ENGULA_BINARY) throw new LaunchRefused(`argv[0] is '${bin}': the ${line} image has its binary at ${ENGULA_BINARY}`, bin);
  const top = parseArgs(GRAMMARS[line], rest);
  // The grammar guarantees the shape: component, then run, then maybe a mode.
  const comp = top.subcommand;
  const runM = comp?.subcommand;
  const listen = parseSocketAddr(runM?.positionals.ADDR ?? '');
  const name = ENGULA_COMPONENTS.find((c) => c === comp?.name);
  const modeM = runM?.subcommand;
  const mode = modeM && Object.entries(MODES).find(([flag]) => flag === modeM.name)?.[1];
  if (!runM || !listen || !name || (modeM && !mode)) throw new Error('launch-check grammar out of shape');
  return {
    line,
    component: name,
    subcommand: 'run',
    listen,
    mode,
    path: modeM?.positionals.PATH,
    options: runM.options,
  };
}

/** engula/engula v0.2.0. */
export const parseV020 = (argv: readonly string[]): EngulaLaunch => parseEngulaArgv('v0.2.0', argv);
/** The kube-dns fork of v0.2 that zojw/engula-operator deploys. */
export const parseKubeDns = (argv: readonly string[]): EngulaLaunch => parseEngulaArgv('v0.2-kube-dns', argv);
