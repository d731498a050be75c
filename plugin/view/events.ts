// The Events about a Cluster's objects (the Cluster, its children, their StatefulSets, pods and
// claims): the newest, listed oldest first as `kubectl describe` lists them. Pods are matched by name, so the Events of a pod that a roll replaced
// (a new uid under the same name) still show. Pure.
import type { CoreV1Event } from '@kubernetes/client-node';
import { isoOf } from './time.ts';
import type { EventView } from './types.ts';

/** `kind/name` as kubectl writes it: `pod/demo-journal-0`, `cluster/demo`. */
export function objectRef(kind: string | undefined, name: string | undefined): string {
  return `${(kind ?? 'unknown').toLowerCase()}/${name ?? ''}`;
}

function lastSeenOf(e: CoreV1Event): string | undefined {
  return isoOf(e.series?.lastObservedTime) ?? isoOf(e.lastTimestamp) ?? isoOf(e.eventTime) ?? isoOf(e.firstTimestamp) ?? isoOf(e.metadata?.creationTimestamp);
}

/**
 * `belongs`: whether the object an Event is about (kind, name) is one of the Cluster's. Returns the
 * newest `limit` of those Events and how many older ones were left out.
 */
export function eventViews(events: readonly CoreV1Event[], belongs: (kind: string, name: string) => boolean, limit: number): { events: EventView[]; older: number } {
  const mine = events
    .filter((e) => belongs(e.involvedObject?.kind ?? '', e.involvedObject?.name ?? ''))
    .map((e): EventView => {
      const lastSeen = lastSeenOf(e);
      return {
        object: objectRef(e.involvedObject?.kind, e.involvedObject?.name),
        ...(e.type ? { type: e.type } : {}),
        ...(e.reason ? { reason: e.reason } : {}),
        ...(e.message ? { message: e.message.trim() } : {}),
        count: e.series?.count ?? e.count ?? 1,
        ...(lastSeen ? { lastSeen } : {}),
      };
    })
    .sort((a, b) => Date.parse(a.lastSeen ?? '') - Date.parse(b.lastSeen ?? '') || 0);
  const older = Math.max(0, mine.length - limit);
  return { events: mine.slice(older), older };
}
