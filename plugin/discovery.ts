// What the server serves: whether the cluster.engula.io API is there (the CRDs installed), and
// the server's Kubernetes version. Both are readable by every authenticated user
// (system:discovery, system:public-info-viewer).
import { ApiError } from '../runtime/errors.ts';
import { CallFailed, type KubeApi } from './client.ts';
import { GROUP_VERSION_PATH } from './resources.ts';

interface ApiResourceList {
  resources?: Array<{ name?: string }>;
}

/** The plurals the cluster.engula.io API serves, or undefined when it is not served (404). */
export async function servedResources(api: KubeApi): Promise<string[] | undefined> {
  try {
    const list = await api.getPath<ApiResourceList>(GROUP_VERSION_PATH);
    return (list.resources ?? []).map((r) => r.name ?? '').filter((n) => n !== '' && !n.includes('/')).sort();
  } catch (err) {
    if (err instanceof CallFailed && err.cause instanceof ApiError && err.cause.statusCode === 404) return undefined;
    throw err;
  }
}

/** True only when discovery says the API is not served; any other answer does not prove it. */
export async function crdsMissing(api: KubeApi): Promise<boolean> {
  try {
    return (await servedResources(api)) === undefined;
  } catch {
    return false;
  }
}

export async function serverVersion(api: KubeApi): Promise<string> {
  const v = await api.getPath<{ gitVersion?: string }>('/version');
  return v.gitVersion ?? 'unknown';
}
