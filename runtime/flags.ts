// Command-line flags of the manager, named and defaulted as kubebuilder's main.go names them, and
// the one flag parser and help layout: the runtime's flags are a table, and cmd/ adds its own table
// to the same parser, so both are read, refused and listed alike.

export interface ManagerFlags {
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  webhookPort: number;
  leaderElect: boolean;
  leaderElectionId: string;
  /** '' means: the pod's own namespace when in a cluster, else 'default'. */
  leaderElectionNamespace: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** Empty: watch every namespace. */
  namespaces: string[];
  maxConcurrentReconciles: number;
  gracefulShutdownTimeoutMs: number;
  syncPeriodMs: number;
  watchWatchdogMs: number;
  cacheSyncTimeoutMs: number;
  logLevel: string;
  kubeconfig: string;
  /** '' = off; else a file that gets one JSON line per API request. */
  apiRequestLog: string;
}

export const defaultFlags: ManagerFlags = {
  metricsBindAddress: ':8080',
  healthProbeBindAddress: ':8081',
  webhookPort: 9443,
  leaderElect: false,
  leaderElectionId: 'operator-leader',
  leaderElectionNamespace: '',
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  namespaces: [],
  maxConcurrentReconciles: 1,
  gracefulShutdownTimeoutMs: 30_000,
  syncPeriodMs: 10 * 60 * 60 * 1000,
  watchWatchdogMs: 180_000,
  cacheSyncTimeoutMs: 120_000,
  logLevel: 'info',
  kubeconfig: '',
  apiRequestLog: '',
};

/** Go-style durations: '500ms', '15s', '2m', '10h', '1h30m'. */
export function parseDuration(s: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * (units[m[2] ?? ''] ?? Number.NaN);
    matched += m[0].length;
  }
  if (s === '' || matched !== s.length || !Number.isFinite(total)) throw new Error(`invalid duration ${JSON.stringify(s)} (want e.g. 500ms, 15s, 2m, 1h30m)`);
  return total;
}

/** One flag: its name, how its value is read, and its line in --help. */
export interface Flag<V> {
  name: string;
  /** `--x`, `--x=true|false` (Go's flag package) and `--no-x`: the reader gets 'true' or 'false'. */
  boolean?: true;
  /** Repeatable, and each value comma-separated: the reader gets every value joined by commas. */
  multiple?: true;
  /** Another spelling: `-h` for `--help`. */
  short?: string;
  read: (value: string, name: string) => V;
  /** What --help prints after the name (' string', '[=false]'); absent: left out of --help (test-only flags). */
  usage?: string;
  /** The help text, a line each. */
  help?: readonly string[];
}

/** A flag per field of T. */
export type FlagTable<T> = { [K in keyof T]: Flag<T[K]> };

/** How values are read, with errors that name the flag and the value. */
export const read = {
  text: (v: string): string => v,
  duration: (v: string): number => parseDuration(v),
  boolean(v: string, name: string): boolean {
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new Error(`--${name} takes true or false, got ${JSON.stringify(v)}`);
  },
  port(v: string, name: string): number {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port from 0 (any free port) to 65535, got ${JSON.stringify(v)}`);
    return n;
  },
  positiveNumber(v: string, name: string): number {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} takes a positive number, got ${JSON.stringify(v)}`);
    return n;
  },
  /** Digits only (no '1e3', no sign, no blanks), up to `max`. */
  positiveInteger:
    (max = Number.MAX_SAFE_INTEGER) =>
    (v: string, name: string): number => {
      const n = /^[0-9]+$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new Error(`--${name} takes a positive integer, got ${JSON.stringify(v)}`);
      return n;
    },
  list: (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== ''),
};

/**
 * Reads argv (without the node and script paths): `--x=v` or `--x v`, booleans as above. Unknown
 * flags are refused, so a typo is not silently ignored, or with `unknown: 'pass'` left in `rest`
 * for the next table's parse.
 */
export function parseFlagTable<T extends object>(argv: readonly string[], table: FlagTable<T>, defaults: T, unknown: 'refuse' | 'pass' = 'refuse'): { values: T; rest: string[] } {
  const keys = Object.keys(table) as Array<keyof T>;
  const byName = new Map<string, keyof T>();
  for (const key of keys) {
    byName.set(`--${table[key].name}`, key);
    if (table[key].short) byName.set(`-${table[key].short}`, key);
  }
  const values: T = { ...defaults };
  const repeated = new Map<keyof T, string[]>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const spelled = eq < 0 ? arg : arg.slice(0, eq);
    let inline = eq < 0 ? undefined : arg.slice(eq + 1);
    let key = byName.get(spelled);
    const negated = key === undefined && inline === undefined && spelled.startsWith('--no-') ? byName.get(`--${spelled.slice(5)}`) : undefined;
    if (negated !== undefined && table[negated].boolean) {
      key = negated;
      inline = 'false';
    }
    if (key === undefined) {
      if (unknown === 'refuse') throw new Error(`unknown flag ${JSON.stringify(arg)} (--help lists the flags)`);
      rest.push(arg);
      continue;
    }
    const flag = table[key];
    let value = inline;
    if (value === undefined && flag.boolean) value = 'true';
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Error(`--${flag.name} needs a value`);
    }
    if (flag.multiple) repeated.set(key, [...(repeated.get(key) ?? []), value]);
    else values[key] = flag.read(value, flag.name);
  }
  for (const [key, all] of repeated) values[key] = table[key].read(all.join(','), table[key].name);
  return { values, rest };
}

/** Where the help text starts, as Go's pflag aligns it. */
const HELP_COLUMN = 40;

/** `title:` and a line per listed flag, the text aligned in one column. */
export function helpOf<T extends object>(title: string, table: FlagTable<T>): string {
  const lines = [`${title}:`];
  for (const flag of Object.values<Flag<unknown>>(table)) {
    if (flag.usage === undefined) continue;
    const [first = '', ...more] = flag.help ?? [];
    lines.push(`${`  --${flag.name}${flag.usage}`.padEnd(HELP_COLUMN - 2)}  ${first}`);
    for (const line of more) lines.push(`${' '.repeat(HELP_COLUMN)}${line}`);
  }
  return `${lines.join('\n')}\n`;
}

type RuntimeFlags = ManagerFlags & { help: boolean };

const RUNTIME_FLAGS: FlagTable<RuntimeFlags> = {
  metricsBindAddress: { name: 'metrics-bind-address', read: read.text, usage: ' string', help: ['address the metrics endpoint binds to; "0" disables it (default ":8080")'] },
  healthProbeBindAddress: { name: 'health-probe-bind-address', read: read.text, usage: ' string', help: ['address the probe endpoint binds to (default ":8081")'] },
  webhookPort: { name: 'webhook-port', read: read.port, usage: ' int', help: [`port the webhook server listens on; 0 picks a free one (default ${defaultFlags.webhookPort})`] },
  leaderElect: { name: 'leader-elect', boolean: true, read: read.boolean, usage: '[=false]', help: ['enable leader election, so only one replica reconciles'] },
  leaderElectionId: { name: 'leader-election-id', read: read.text, usage: ' string', help: ['name of the Lease used for leader election'] },
  leaderElectionNamespace: { name: 'leader-election-namespace', read: read.text, usage: ' string', help: ["namespace of the Lease (default: the pod's namespace)"] },
  leaseDurationMs: { name: 'lease-duration', read: read.duration, usage: ' duration', help: ['(default 15s)'] },
  renewDeadlineMs: { name: 'renew-deadline', read: read.duration, usage: ' duration', help: ['(default 10s)'] },
  retryPeriodMs: { name: 'retry-period', read: read.duration, usage: ' duration', help: ['(default 2s)'] },
  namespaces: { name: 'namespaces', multiple: true, read: read.list, usage: ' strings', help: ['comma-separated namespaces to watch (default: all)'] },
  maxConcurrentReconciles: { name: 'max-concurrent-reconciles', read: read.positiveInteger(), usage: ' int', help: ['workers per controller (default 1)'] },
  gracefulShutdownTimeoutMs: { name: 'graceful-shutdown-timeout', read: read.duration, usage: ' duration', help: ['time reconciles in flight get on SIGTERM (default 30s)'] },
  syncPeriodMs: { name: 'sync-period', read: read.duration, usage: ' duration', help: ['how often every primary object (Cluster, child) is reconciled again, whatever the predicates (default 10h)'] },
  watchWatchdogMs: { name: 'watch-watchdog', read: read.duration, usage: ' duration', help: ['re-list a watch silent for this long (default 3m)'] },
  cacheSyncTimeoutMs: { name: 'cache-sync-timeout', read: read.duration, usage: ' duration', help: ['(default 2m)'] },
  logLevel: { name: 'log-level', read: read.text, usage: ' string', help: ['trace, debug, info, warn, error (default "info")'] },
  kubeconfig: { name: 'kubeconfig', read: read.text, usage: ' string', help: ['path to a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)'] },
  apiRequestLog: { name: 'api-request-log', read: read.text, usage: ' string', help: ['append one JSON line per Kubernetes API request to this file (audits, debugging)'] },
  help: { name: 'help', short: 'h', boolean: true, read: read.boolean },
};

export const flagHelp = helpOf('Flags', RUNTIME_FLAGS);

/** Parses the runtime's flags; any other flag is an error. */
export function parseFlags(argv: string[], defaults: Partial<ManagerFlags> = {}): RuntimeFlags {
  const { values: flags } = parseFlagTable(argv, RUNTIME_FLAGS, { ...defaultFlags, ...defaults, help: false });
  if (flags.renewDeadlineMs >= flags.leaseDurationMs) throw new Error('--renew-deadline must be shorter than --lease-duration');
  return flags;
}
