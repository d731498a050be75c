// Command-line flags of the manager, named and defaulted as kubebuilder's main.go names them.
import { parseArgs } from 'node:util';

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

export const flagHelp = `Flags:
  --metrics-bind-address string         address the metrics endpoint binds to; "0" disables it (default ":8080")
  --health-probe-bind-address string    address the probe endpoint binds to (default ":8081")
  --webhook-port int                    port the webhook server listens on; 0 picks a free one (default 9443)
  --leader-elect[=false]                enable leader election, so only one replica reconciles
  --leader-election-id string           name of the Lease used for leader election
  --leader-election-namespace string    namespace of the Lease (default: the pod's namespace)
  --lease-duration duration             (default 15s)
  --renew-deadline duration             (default 10s)
  --retry-period duration               (default 2s)
  --namespaces strings                  comma-separated namespaces to watch (default: all)
  --max-concurrent-reconciles int       workers per controller (default 1)
  --graceful-shutdown-timeout duration  time reconciles in flight get on SIGTERM (default 30s)
  --sync-period duration                how often every primary object (Cluster, child) is reconciled again, whatever the predicates (default 10h)
  --watch-watchdog duration             re-list a watch silent for this long (default 3m)
  --cache-sync-timeout duration         (default 2m)
  --log-level string                    trace, debug, info, warn, error (default "info")
  --kubeconfig string                   path to a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)
  --api-request-log string              append one JSON line per Kubernetes API request to this file (audits, debugging)
`;

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

function port(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port from 0 (any free port) to 65535, got ${JSON.stringify(v)}`);
  return n;
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** Go's flag package takes `--leader-elect=false`; node's parseArgs spells it `--no-leader-elect`. */
function goStyleBoolean(arg: string): string {
  const m = /^--(leader-elect)=(true|false)$/.exec(arg);
  if (!m) return arg;
  return m[2] === 'true' ? `--${m[1]}` : `--no-${m[1]}`;
}

/** Parses argv (without the node and script paths). Unknown flags are an error, so a typo is not silently ignored. */
export function parseFlags(argv: string[], defaults: Partial<ManagerFlags> = {}): ManagerFlags & { help: boolean } {
  const d = { ...defaultFlags, ...defaults };
  const { values } = parseArgs({
    args: argv.map(goStyleBoolean),
    strict: true,
    allowNegative: true,
    allowPositionals: false,
    options: {
      'metrics-bind-address': { type: 'string' },
      'health-probe-bind-address': { type: 'string' },
      'webhook-port': { type: 'string' },
      'leader-elect': { type: 'boolean' },
      'leader-election-id': { type: 'string' },
      'leader-election-namespace': { type: 'string' },
      'lease-duration': { type: 'string' },
      'renew-deadline': { type: 'string' },
      'retry-period': { type: 'string' },
      namespaces: { type: 'string', multiple: true },
      'max-concurrent-reconciles': { type: 'string' },
      'graceful-shutdown-timeout': { type: 'string' },
      'sync-period': { type: 'string' },
      'watch-watchdog': { type: 'string' },
      'cache-sync-timeout': { type: 'string' },
      'log-level': { type: 'string' },
      kubeconfig: { type: 'string' },
      'api-request-log': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const dur = (name: string, fallback: number): number => {
    const v = values[name as keyof typeof values];
    return typeof v === 'string' ? parseDuration(v) : fallback;
  };
  const flags: ManagerFlags & { help: boolean } = {
    metricsBindAddress: values['metrics-bind-address'] ?? d.metricsBindAddress,
    healthProbeBindAddress: values['health-probe-bind-address'] ?? d.healthProbeBindAddress,
    webhookPort: values['webhook-port'] !== undefined ? port('webhook-port', values['webhook-port']) : d.webhookPort,
    leaderElect: values['leader-elect'] ?? d.leaderElect,
    leaderElectionId: values['leader-election-id'] ?? d.leaderElectionId,
    leaderElectionNamespace: values['leader-election-namespace'] ?? d.leaderElectionNamespace,
    leaseDurationMs: dur('lease-duration', d.leaseDurationMs),
    renewDeadlineMs: dur('renew-deadline', d.renewDeadlineMs),
    retryPeriodMs: dur('retry-period', d.retryPeriodMs),
    namespaces: values.namespaces ? values.namespaces.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '') : d.namespaces,
    maxConcurrentReconciles: values['max-concurrent-reconciles'] !== undefined ? positiveInt('max-concurrent-reconciles', values['max-concurrent-reconciles']) : d.maxConcurrentReconciles,
    gracefulShutdownTimeoutMs: dur('graceful-shutdown-timeout', d.gracefulShutdownTimeoutMs),
    syncPeriodMs: dur('sync-period', d.syncPeriodMs),
    watchWatchdogMs: dur('watch-watchdog', d.watchWatchdogMs),
    cacheSyncTimeoutMs: dur('cache-sync-timeout', d.cacheSyncTimeoutMs),
    logLevel: values['log-level'] ?? d.logLevel,
    kubeconfig: values.kubeconfig ?? d.kubeconfig,
    apiRequestLog: values['api-request-log'] ?? d.apiRequestLog,
    help: values.help ?? false,
  };
  if (flags.renewDeadlineMs >= flags.leaseDurationMs) throw new Error('--renew-deadline must be shorter than --lease-duration');
  return flags;
}
