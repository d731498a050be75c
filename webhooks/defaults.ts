// The webhook server's defaults, apart from the server: the operator's flags, the manifests written
// at build time (manifests.ts) and the Helm chart read them without loading the server.

/**
 * Open connections at once, admission and the scaling API together: each costs a file descriptor
 * and some tens of KiB of TLS buffers, so 1024 stays within the Deployment's memory limit, and it
 * is far above what the API servers' calls and the in-flight reviews of the scaling API can hold.
 */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/** The labels of what the webhook side makes: its configurations, Service and certificate Secret. */
export const WEBHOOK_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': 'engula-operator', 'app.kubernetes.io/component': 'webhook' };

/** Flags of the operator that concern the webhook server, with their defaults. */
export const WEBHOOK_DEFAULTS = {
  host: '0.0.0.0',
  /** Per component; 100 pods of one component is far past any Engula deployment we know of. */
  maxReplicas: 100,
  certSecret: 'engula-operator-webhook-cert',
  serviceName: 'engula-operator-webhook',
  configurationName: 'engula-operator',
  maxConnections: DEFAULT_MAX_CONNECTIONS,
} as const;
