// helm for the chart's tests, and the chart's output as objects. hack/run-tests.ts resolves helm
// once per run (HELM_BIN); a test file run on its own gets it from hack/helm-bin.sh, which builds it
// the first time.
import { parseAllDocuments } from 'yaml';
import { resolveHelm } from '../../testenv/bins.ts';
import { run, type CommandResult } from './kube.ts';

let helm: Promise<string> | undefined;

export function helmBinary(): Promise<string> {
  helm ??= resolveHelm();
  return helm;
}

/** helm with its output; `kubeconfig` for commands that talk to a cluster. */
export async function runHelm(args: string[], opts: { kubeconfig?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  const env = { ...process.env, ...(opts.kubeconfig ? { KUBECONFIG: opts.kubeconfig } : {}) };
  return run(await helmBinary(), args, { env, timeoutMs: opts.timeoutMs ?? 120_000 });
}

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** The objects in a multi-document YAML stream (helm template's), empty documents left out. */
export function objectsOf(yamlText: string): RenderedObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as RenderedObject | null)
    .filter((o): o is RenderedObject => o !== null);
}
