// The command line, as kubectl hands it to the plugin (everything after `kubectl engula`), parsed
// into one command. Flags follow kubectl's spelling: long and short forms, `--flag=value` or
// `--flag value`, `-nvalue`, anywhere among the arguments, `--` ends them. Pure.
import { COMPONENTS, type ComponentName } from '../api/v1alpha1/kinds.ts';
import type { ConnectionFlags } from './client.ts';

export const COMMAND_NAMES = ['status', 'restart', 'pause', 'resume', 'hibernate', 'wake', 'scale', 'version', 'help'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** The commands that set one switch of a Cluster's spec. */
const SWITCH_ACTIONS = ['restart', 'pause', 'resume', 'hibernate', 'wake'] as const;
export type SwitchAction = (typeof SWITCH_ACTIONS)[number];

export type OutputFormat = 'text' | 'json' | 'yaml';
const OUTPUT_FORMATS: readonly OutputFormat[] = ['json', 'yaml'];

export type Command =
  | { kind: 'help'; topic?: CommandName }
  | { kind: 'version'; clientOnly: boolean; output: OutputFormat }
  | { kind: 'status'; name?: string; allNamespaces: boolean; output: OutputFormat }
  | { kind: 'switch'; action: SwitchAction; name: string }
  | { kind: 'scale'; name: string; component: ComponentName; replicas: number };

export interface Invocation {
  command: Command;
  connection: ConnectionFlags;
}

/** A command line that cannot run; `topic` is the command whose help would have helped. */
export class UsageError extends Error {
  readonly kind = 'usage' as const;
  readonly topic: CommandName | undefined;
  constructor(message: string, topic?: CommandName) {
    super(message);
    this.name = 'UsageError';
    this.topic = topic;
  }
}

interface FlagSpec {
  long: string;
  short?: string;
  takesValue: boolean;
  /** The commands that accept it; every command when absent. */
  commands?: readonly CommandName[];
}

const FLAGS: readonly FlagSpec[] = [
  { long: 'namespace', short: 'n', takesValue: true },
  { long: 'context', takesValue: true },
  { long: 'kubeconfig', takesValue: true },
  { long: 'help', short: 'h', takesValue: false },
  { long: 'output', short: 'o', takesValue: true, commands: ['status', 'version'] },
  { long: 'all-namespaces', short: 'A', takesValue: false, commands: ['status'] },
  { long: 'client', takesValue: false, commands: ['version'] },
];

function isCommandName(s: string): s is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(s);
}

function boolValue(flag: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`invalid argument "${value}" for "--${flag}" flag: must be true or false`);
}

interface Scanned {
  positional: string[];
  values: Map<string, string>;
  booleans: Map<string, boolean>;
}

/** Splits flags from positional arguments; what each flag means is decided afterwards. */
function scan(argv: readonly string[]): Scanned {
  const out: Scanned = { positional: [], values: new Map(), booleans: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    // A negative number is an argument (a replica count), for its own clear refusal later.
    if (!arg.startsWith('-') || arg === '-' || /^-\d+$/.test(arg)) {
      out.positional.push(arg);
      continue;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      spec = FLAGS.find((f) => f.long === name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
    } else {
      const letter = arg.slice(1, 2);
      spec = FLAGS.find((f) => f.short === letter);
      if (!spec) throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg}`);
      const rest = arg.slice(2);
      if (rest !== '') {
        // -ojson and -o=json; a switch takes only -A=false.
        if (!spec.takesValue && !rest.startsWith('=')) throw new UsageError(`unknown shorthand flag: '${rest.slice(0, 1)}' in ${arg}`);
        inline = rest.startsWith('=') ? rest.slice(1) : rest;
      }
    }
    if (spec.takesValue) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: --${spec.long}`);
      out.values.set(spec.long, value);
    } else {
      out.booleans.set(spec.long, inline === undefined ? true : boolValue(spec.long, inline));
    }
  }
  return out;
}

/** `demo`, `cluster/demo`, or the `cluster.cluster.engula.io/demo` an action prints. */
function clusterName(arg: string, command: CommandName): string {
  const slash = arg.indexOf('/');
  if (slash < 0) return arg;
  const kind = arg.slice(0, slash);
  if (!['cluster', 'clusters', 'cluster.cluster.engula.io', 'clusters.cluster.engula.io'].includes(kind)) {
    throw new UsageError(`${command} takes the name of a Cluster, not ${arg}`, command);
  }
  return arg.slice(slash + 1);
}

function exactly(n: number, positional: string[], command: CommandName, what: string): void {
  if (positional.length !== n) {
    throw new UsageError(positional.length < n ? `${command} needs ${what}` : `${command} takes ${what}, got also: ${positional.slice(n).join(' ')}`, command);
  }
}

function outputOf(scanned: Scanned): OutputFormat {
  const o = scanned.values.get('output');
  if (o === undefined) return 'text';
  if ((OUTPUT_FORMATS as readonly string[]).includes(o)) return o as OutputFormat;
  throw new UsageError(`unable to match a printer suitable for the output format "${o}", allowed formats are: ${OUTPUT_FORMATS.join(',')}`);
}

function replicasOf(arg: string): number {
  const n = Number(arg);
  if (!/^\d+$/.test(arg) || !Number.isSafeInteger(n)) throw new UsageError(`the number of replicas must be a whole number of 0 or more, not "${arg}"`, 'scale');
  return n;
}

export function parseArgs(argv: readonly string[]): Invocation {
  const scanned = scan(argv);
  const [first, ...positional] = scanned.positional;
  const connection: ConnectionFlags = {};
  for (const key of ['namespace', 'context', 'kubeconfig'] as const) {
    const v = scanned.values.get(key);
    if (v !== undefined) {
      if (v === '') throw new UsageError(`--${key} needs a value`);
      connection[key] = v;
    }
  }
  const help = scanned.booleans.get('help') === true;
  if (first === undefined) return { command: { kind: 'help' }, connection };
  if (!isCommandName(first)) throw new UsageError(`unknown command "${first}" for "kubectl engula"`);
  for (const spec of FLAGS) {
    const given = scanned.values.has(spec.long) || scanned.booleans.has(spec.long);
    if (given && spec.commands && !spec.commands.includes(first)) throw new UsageError(`unknown flag: --${spec.long} (${first} does not take it)`, first);
  }
  if (help) return { command: { kind: 'help', topic: first === 'help' ? undefined : first }, connection };
  switch (first) {
    case 'help': {
      const topic = positional[0];
      if (topic !== undefined && !isCommandName(topic)) throw new UsageError(`unknown help topic "${topic}"`);
      return { command: topic === undefined ? { kind: 'help' } : { kind: 'help', topic }, connection };
    }
    case 'version':
      exactly(0, positional, first, 'no arguments');
      return { command: { kind: 'version', clientOnly: scanned.booleans.get('client') === true, output: outputOf(scanned) }, connection };
    case 'status': {
      if (positional.length > 1) throw new UsageError(`status takes one Cluster name at most, got: ${positional.join(' ')}`, first);
      const allNamespaces = scanned.booleans.get('all-namespaces') === true;
      const name = positional[0] === undefined ? undefined : clusterName(positional[0], first);
      if (name !== undefined && allNamespaces) throw new UsageError('a Cluster cannot be retrieved by name across all namespaces: drop -A, or give -n NAMESPACE', first);
      return { command: { kind: 'status', ...(name !== undefined ? { name } : {}), allNamespaces, output: outputOf(scanned) }, connection };
    }
    case 'scale': {
      exactly(3, positional, first, 'CLUSTER COMPONENT REPLICAS');
      const [name, component, replicas] = positional as [string, string, string];
      if (!(COMPONENTS as readonly string[]).includes(component)) throw new UsageError(`unknown component "${component}": one of ${COMPONENTS.join(', ')}`, first);
      return { command: { kind: 'scale', name: clusterName(name, first), component: component as ComponentName, replicas: replicasOf(replicas) }, connection };
    }
    default:
      exactly(1, positional, first, 'the name of a Cluster');
      return { command: { kind: 'switch', action: first, name: clusterName(positional[0] ?? '', first) }, connection };
  }
}
