// For a whole test run: every version of every StatefulSet the API server holds, checked once
// against its Engula line (statefulset.ts). The runner (hack/run-tests.ts) starts it with the
// control plane and fails the run when any launch would be refused. It sees every writer's versions
// (the cache keeps no managedFields), so a test that edits a StatefulSet by hand keeps its launch
// intact (a strategic merge patch of the image, not a replacement of the container).
//
// It uses the runtime's own informer (list, then watch from the list's version; re-list on 410,
// back off and reconnect on errors and early closes), reading with the admin kubeconfig of the
// test control plane, and refuses to start against any API server that is not on loopback.
import type { Logger } from 'pino';
import { Informer } from '../../../runtime/informer.ts';
import { loadClusterAccess } from '../../../runtime/kubeconfig/load.ts';
import { coreResources, type KubeObject } from '../../../runtime/resource.ts';
import { RestClient } from '../../../runtime/rest.ts';
import { checkStatefulSet, LaunchRefused } from './statefulset.ts';

export interface LaunchWatchReport {
  /** Distinct StatefulSets (by uid) checked against a grammar, passed or refused. */
  checked: number;
  /** Distinct versions (uid@resourceVersion) of those checked. */
  versions: number;
  /** Distinct StatefulSets (by uid) skipped because their launch is custom. */
  custom: number;
  /** Each distinct refusal, prefixed with namespace/name. */
  refused: string[];
}

export interface LaunchWatch {
  /** Stops the watch (once; later calls get the same report). */
  stop(): Promise<LaunchWatchReport>;
}

function isLoopback(server: string): boolean {
  let host: string;
  try {
    host = new URL(server).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export async function startLaunchWatch(kubeconfigPath: string, log: Logger): Promise<LaunchWatch> {
  const { access } = await loadClusterAccess({ file: kubeconfigPath });
  const server = access.getCurrentCluster()?.server ?? '';
  if (!isLoopback(server)) throw new Error(`launch check: the kubeconfig's API server ${server || '(none)'} is not on loopback; it only watches a test control plane`);

  const rest = new RestClient(access);
  const informer = new Informer({
    rest,
    ref: coreResources.statefulSets,
    namespace: '',
    logger: log.child({ launchCheck: true }),
    // Each version is checked once anyway; a resync would only repeat versions already seen.
    resyncPeriodMs: 0,
  });
  const seen = new Set<string>();
  const checkedVersions = new Set<string>();
  const checkedUids = new Set<string>();
  const customUids = new Set<string>();
  const refused = new Set<string>();

  const onObject = (obj: KubeObject): void => {
    const uid = obj.metadata.uid ?? `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
    const version = `${uid}@${obj.metadata.resourceVersion ?? ''}`;
    if (seen.has(version)) return;
    seen.add(version);
    try {
      const result = checkStatefulSet(obj);
      if ('skipped' in result) {
        if (result.skipped === 'custom') customUids.add(uid);
        return;
      }
      checkedUids.add(uid);
      checkedVersions.add(version);
    } catch (err) {
      checkedUids.add(uid);
      checkedVersions.add(version);
      // A fault of the check itself is reported too: a silent pass would hide it.
      const message = err instanceof LaunchRefused ? err.message : `launch check failed on ${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}: ${String(err)}`;
      if (!refused.has(message)) log.warn({ statefulSet: `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`, refusal: message }, 'launch check: refused');
      refused.add(message);
    }
  };
  informer.addEventHandler({ onAdd: onObject, onUpdate: (_old, obj) => onObject(obj) });
  informer.start();

  let report: Promise<LaunchWatchReport> | undefined;
  return {
    stop() {
      report ??= (async () => {
        await informer.stop();
        rest.close();
        return { checked: checkedUids.size, versions: checkedVersions.size, custom: customUids.size, refused: [...refused] };
      })();
      return report;
    },
  };
}
