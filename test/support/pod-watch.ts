// Every pod of a namespace going down (deleted, or no longer Ready) and coming up (Ready), as the
// watch delivers it: what a roll did, in order, and how many pods were down at once.
import pino from 'pino';
import { Informer } from '../../runtime/informer.ts';
import { loadClusterAccess } from '../../runtime/kubeconfig/load.ts';
import { coreResources, type KubeObject } from '../../runtime/resource.ts';
import { RestClient } from '../../runtime/rest.ts';
import { testEnv, waitFor } from './kube.ts';
import type { ConditionLike } from './operator.ts';

const log = pino({ level: 'warn' });

export interface PodRecord {
  at: number;
  pod: string;
  what: 'down' | 'up';
  image?: string;
}

/** Every pod of the namespace going down (deleted, or no longer Ready) and coming up (Ready), as the watch delivers it. */
export async function watchPods(namespace: string): Promise<{ records: PodRecord[]; down: () => Set<string>; maxDown: () => number; replacements: () => string[]; stop: () => Promise<void> }> {
  const { access } = await loadClusterAccess({ file: testEnv().kubeconfig });
  const rest = new RestClient(access);
  const informer = new Informer({ rest, ref: coreResources.pods, namespace, logger: log, resyncPeriodMs: 0 });
  const records: PodRecord[] = [];
  const down = new Set<string>();
  let maxDown = 0;
  // A pod replaced is a new pod of the same name: a new uid (readiness alone can flap on kwok nodes).
  const uids = new Map<string, string>();
  const replaced: string[] = [];
  let counting = false;
  const ready = (p: KubeObject): boolean =>
    p.metadata.deletionTimestamp === undefined && ((p.status as { conditions?: ConditionLike[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const image = (p: KubeObject): string | undefined => (p.spec as { containers?: Array<{ image: string }> } | undefined)?.containers?.[0]?.image;
  const note = (p: KubeObject, isUp: boolean): void => {
    const name = p.metadata.name ?? '';
    const uid = p.metadata.uid ?? '';
    if (uids.get(name) !== uid) {
      if (counting && uids.has(name)) replaced.push(name);
      uids.set(name, uid);
    }
    if (isUp && down.has(name)) {
      down.delete(name);
      records.push({ at: Date.now(), pod: name, what: 'up', ...(image(p) ? { image: image(p) } : {}) });
    } else if (!isUp && !down.has(name)) {
      down.add(name);
      maxDown = Math.max(maxDown, down.size);
      records.push({ at: Date.now(), pod: name, what: 'down' });
    }
  };
  informer.addEventHandler({
    onAdd: (p) => note(p, ready(p)),
    onUpdate: (_old, p) => note(p, ready(p)),
    onDelete: (p) => note(p, false),
  });
  informer.start();
  await waitFor('the pod watch synced', () => informer.hasSynced, { timeoutMs: 30_000 });
  // Pods already there and Ready are not "up" events; start counting from now.
  records.length = 0;
  maxDown = down.size;
  counting = true;
  return {
    records,
    down: () => down,
    maxDown: () => maxDown,
    replacements: () => [...replaced],
    stop: async () => {
      await informer.stop();
      rest.close();
    },
  };
}

