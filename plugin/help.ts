// What `kubectl engula --help` and `kubectl engula COMMAND --help` print: kubectl's layout (a
// sentence, examples, usage, flags), one entry per command.
import { COMPONENTS } from '../api/v1alpha1/kinds.ts';
import type { CommandName } from './args.ts';

interface CommandHelp {
  short: string;
  long: string;
  usage: string;
  examples: string[];
  flags: string[];
}

const CONNECTION_FLAGS = [
  '-n, --namespace NAME     the Cluster\'s namespace (default: the context\'s, else "default")',
  '    --context NAME       the kubeconfig context to use',
  '    --kubeconfig FILE    the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)',
  '-h, --help               help for the command',
];

const switchHelp = (short: string, field: string, effect: string, verb: string, example: string): CommandHelp => ({
  short,
  long: `${short}: sets ${field} on the Cluster (a merge patch, as \`kubectl patch --type merge\` makes).\n${effect}\nPrints "cluster.cluster.engula.io/NAME ${verb}".`,
  usage: `kubectl engula ${example} CLUSTER [flags]`,
  examples: [`kubectl engula ${example} demo -n apps`],
  flags: CONNECTION_FLAGS,
});

const COMMAND_HELP: Readonly<Record<Exclude<CommandName, 'help'>, CommandHelp>> = {
  status: {
    short: 'Show a Cluster: components, pods, the roll in progress, conditions, claims and events',
    long:
      'Show one Cluster as the operator sees it: each component with its ready and desired pods and its\n' +
      'revisions; each pod with its revision (the one the roll brings it to, or not yet), readiness,\n' +
      'restarts, age and node; the roll in progress and what it waits for; the conditions of the Cluster\n' +
      'and of its components; its PersistentVolumeClaims; and recent Events of all of them.\n' +
      'Without a name: a table of the Clusters of the namespace (-A: of every namespace).',
    usage: 'kubectl engula status [CLUSTER] [flags]',
    examples: ['kubectl engula status demo -n apps', 'kubectl engula status demo -n apps -o json', 'kubectl engula status -A'],
    flags: [
      '-o, --output FORMAT      json or yaml: the same information as a document (default: text)',
      '-A, --all-namespaces     without a name: list the Clusters of every namespace',
      ...CONNECTION_FLAGS,
    ],
  },
  restart: switchHelp(
    'Replace every pod of a Cluster, one at a time, in the roll order',
    'spec.restartedAt to the current time',
    'Every component rolls, journal, storage, kernel, engine, one pod at a time, each step once the\ncomponent is whole again (docs/rollouts.md). It also releases a change held back (UpdatePending).',
    'restarted',
    'restart',
  ),
  pause: switchHelp(
    'Stop the operator from changing a Cluster',
    'spec.paused: true',
    'The operator writes nothing for the Cluster and its components until it is resumed; status still reports.',
    'paused',
    'pause',
  ),
  resume: switchHelp('Let the operator change a paused Cluster again', 'spec.paused: false', 'It continues where it left off.', 'resumed', 'resume'),
  hibernate: switchHelp(
    'Scale every component of a Cluster to zero pods, keeping its claims',
    'spec.hibernate: true',
    'Components empty in reverse dependency order (engine, kernel, storage, journal); the replicas in the\nspec and every PersistentVolumeClaim are kept.',
    'hibernated',
    'hibernate',
  ),
  wake: switchHelp(
    'Bring a hibernated Cluster back',
    'spec.hibernate: false',
    'Components start in bootstrap order (journal and storage, then kernel, then engine) on their old claims.',
    'woken',
    'wake',
  ),
  scale: {
    short: 'Set the number of pods of one component of a Cluster',
    long:
      'Set spec.COMPONENT.replicas of the Cluster (a merge patch), which is how a component is scaled: the\n' +
      'admission webhook refuses a direct change of a child (Journal, Storage, Kernel, Engine) the Cluster owns,\n' +
      'and refuses a count it does not allow (the kernel below 1, journal or storage lowered without\n' +
      `spec.allowScaleDown, more than the operator's --max-replicas), saying why.\nCOMPONENT is one of: ${COMPONENTS.join(', ')}.`,
    usage: 'kubectl engula scale CLUSTER COMPONENT REPLICAS [flags]',
    examples: ['kubectl engula scale demo engine 3 -n apps'],
    flags: CONNECTION_FLAGS,
  },
  version: {
    short: "Print the plugin's version, and the server's",
    long: "Print the plugin's version and the API it speaks; with a server, its Kubernetes version and whether the Engula CRDs are installed.",
    usage: 'kubectl engula version [flags]',
    examples: ['kubectl engula version', 'kubectl engula version --client'],
    flags: ['    --client             the plugin only; do not contact the server', '-o, --output FORMAT      json or yaml', ...CONNECTION_FLAGS],
  },
};

function indent(lines: string[]): string {
  return lines.map((l) => `  ${l}`).join('\n');
}

function commandHelp(name: Exclude<CommandName, 'help'>): string {
  const h = COMMAND_HELP[name];
  return `${h.long}\n\nExamples:\n${indent(h.examples)}\n\nUsage:\n  ${h.usage}\n\nFlags:\n${indent(h.flags)}\n`;
}

function mainHelp(): string {
  const names = Object.keys(COMMAND_HELP) as Array<keyof typeof COMMAND_HELP>;
  const width = Math.max(...names.map((n) => n.length)) + 3;
  const commands = names.map((n) => `${n.padEnd(width)}${COMMAND_HELP[n].short}`);
  return (
    'kubectl engula: see and steer Engula Clusters that engula-operator runs.\n\n' +
    `Commands:\n${indent(commands)}\n\n` +
    'Usage:\n  kubectl engula COMMAND [flags]\n\n' +
    `Flags (every command):\n${indent(CONNECTION_FLAGS)}\n\n` +
    'Use "kubectl engula COMMAND --help" for more about a command.\n'
  );
}

export function helpText(topic: CommandName | undefined): string {
  return topic === undefined || topic === 'help' ? mainHelp() : commandHelp(topic);
}
