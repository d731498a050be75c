// The CRDs, installed idempotently: every test file that needs them may be the first to run, and
// several may run side by side. CRDs are never deleted by a test.
import { join } from 'node:path';
import { KINDS, KIND_NAMES } from '../../api/v1alpha1/index.ts';
import { kubectlOk } from './kube.ts';

const crdFolder = join(import.meta.dirname, '..', '..', 'config', 'crd', 'bases');
export const CRD_NAMES = KIND_NAMES.map((kind) => `${KINDS[kind].plural}.cluster.engula.io`);

/** Applies config/crd/bases (server-side, taking over fields another run applied) and waits until every CRD is Established. */
export async function installCrds(): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', crdFolder]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...CRD_NAMES.map((n) => `crd/${n}`)]);
}
