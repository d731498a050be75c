// Failures as kubectl words them, one kind each: a command line it cannot run, a kubeconfig it
// cannot use, the server's refusals (`Error from server (NotFound): ...`), the Engula CRDs missing,
// and a server it cannot reach. Pure: the error and what was learnt about it in, the text out.
import { ApiError } from '../runtime/errors.ts';
import { KubeconfigError } from '../runtime/kubeconfig/parse.ts';
import { ActionRefused } from './actions.ts';
import { UsageError } from './args.ts';
import { CallFailed } from './client.ts';
import { qualifiedName } from './resources.ts';

export interface ErrorFacts {
  /** Discovery says the cluster.engula.io API is not served: the CRDs are not installed. */
  crdsMissing?: boolean;
  /** The kubeconfig's server URL. */
  server?: string;
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function hostOf(server: string | undefined): string {
  if (!server) return 'the server';
  try {
    return new URL(server).host;
  } catch {
    return server;
  }
}

/** A 404 that is no object's NotFound Status: the path itself is not served. */
export function isUnservedPath(err: unknown): boolean {
  return err instanceof CallFailed && err.cause instanceof ApiError && err.cause.statusCode === 404 && err.cause.reason !== 'NotFound';
}

function fromServer(err: CallFailed, cause: ApiError, facts: ErrorFacts): string {
  const ref = err.call.ref;
  if (facts.crdsMissing) {
    const what = ref ? `"${ref.plural}" (${qualifiedName(ref)})` : `"${err.call.path}"`;
    return (
      `error: the server doesn't have a resource type ${what}: the Engula CRDs are not installed in this cluster.\n` +
      'Install them with `make install` from the engula-operator repository (kubectl apply --server-side -f config/crd/bases).'
    );
  }
  if (cause.statusCode === 401) return 'error: You must be logged in to the server (Unauthorized)';
  const lines = [`Error from server (${cause.reason}): ${cause.statusMessage}`];
  // RBAC's own refusal names the user, the verb and the resource; say how to check the rights. An
  // admission webhook's refusal is a 403 Forbidden too, and the Status has no field that tells the
  // two apart: the authorizer's fixed wording ("... is forbidden: User ...") does.
  if (cause.statusCode === 403 && ref && / is forbidden: User /.test(cause.statusMessage)) {
    const where = err.call.namespace ? ` -n ${err.call.namespace}` : ' -A';
    lines.push(`(check with: kubectl auth can-i ${err.call.verb} ${qualifiedName(ref)}${where})`);
  }
  return lines.join('\n');
}

export function formatError(err: unknown, facts: ErrorFacts = {}): string {
  if (err instanceof UsageError) {
    return `error: ${err.message}\nSee 'kubectl engula ${err.topic ? `${err.topic} ` : ''}--help' for usage.`;
  }
  if (err instanceof KubeconfigError || err instanceof ActionRefused) return `error: ${err.message}`;
  if (err instanceof CallFailed) {
    const cause = err.cause;
    if (cause instanceof ApiError) return fromServer(err, cause, facts);
    // No answer from the server at all (refused, unknown host, TLS, a timeout): kubectl's two sentences.
    if (codeOf(cause) === 'ECONNREFUSED') return `The connection to the server ${hostOf(facts.server)} was refused - did you specify the right host or port?`;
    return `Unable to connect to the server: ${cause instanceof Error ? cause.message : String(cause)}`;
  }
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}
