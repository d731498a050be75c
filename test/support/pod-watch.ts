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
export async function watchPods(namespace: string): Promise<{ records: PodRecord[]; down: () => Set<string>; maxDown: () => number; replacements: () => string[]; uidFlips: (pod: string) => string[]; stop: () => Promise<void> }> {
  const { access } = await loadClusterAccess({ file: testEnv().kubeconfig });
  const rest = new RestClient(access);
  const informer = new Informer({ rest, ref: coreResources.pods, namespace, logger: log, resyncPeriodMs: 0 });
  const records: PodRecord[] = [];
  const down = new Set<string>();
  let maxDown = 0;
  // A pod replaced is a new pod of the same name: a uid not seen before under that name (readiness
  // alone can flap on kwok nodes). Not merely a uid other than the last one: an event of the pod
  // deleted can arrive after its successor's (the informer re-listing), and is no new pod.
  const uids = new Map<string, Set<string>>();
  const replaced: string[] = [];
  /** Every uid each name went through, in the order the events came, with its revision and last phase: what "made twice" rests on. */
  const flips = new Map<string, string[]>();
  let counting = false;
  const ready = (p: KubeObject): boolean =>
    p.metadata.deletionTimestamp === undefined && ((p.status as { conditions?: ConditionLike[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const image = (p: KubeObject): string | undefined => (p.spec as { containers?: Array<{ image: string }> } | undefined)?.containers?.[0]?.image;
  const note = (p: KubeObject, isUp: boolean): void => {
    const name = p.metadata.name ?? '';
    const uid = p.metadata.uid ?? '';
    const seen = uids.get(name);
    // uid, the revision the pod was made from, and its phase as last seen: a pod made twice shows
    // whether the StatefulSet controller made one from the old revision again (kubernetes#78209).
    const state = `${uid.slice(0, 8)}@${p.metadata.labels?.['controller-revision-hash'] ?? '?'}/${(p.status as { phase?: string } | undefined)?.phase ?? '?'}`;
    const list = flips.get(name) ?? [];
    if (list.at(-1)?.slice(0, 8) === uid.slice(0, 8)) list[list.length - 1] = state;
    else list.push(state);
    flips.set(name, list);
    if (!seen?.has(uid)) {
      if (counting && seen) replaced.push(name);
      uids.set(name, new Set([...(seen ?? []), uid]));
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
    uidFlips: (pod: string) => [...(flips.get(pod) ?? [])],
    stop: async () => {
      await informer.stop();
      rest.close();
    },
  };
}

