// Kubernetes Events for what a person should see (`kubectl describe`, `kubectl get events`).
// Repeats of one (object, type, reason, message) within ten minutes bump the count of the
// existing Event instead of creating another, as client-go's EventCorrelator does. Recording never
// blocks or fails a reconcile: errors are logged.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { realClock, type Clock } from './clock.ts';
import { errorMessage, isNotFound } from './errors.ts';
import type { Client } from './client.ts';
import { coreResources, type KubeObject } from './resource.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  at: number;
}

const aggregateWindowMs = 10 * 60 * 1000;

export class ApiEventRecorder implements EventRecorder {
  private readonly client: Client;
  private readonly component: string;
  private readonly host: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly seen = new Map<string, Seen>();
  private readonly pending = new Set<Promise<void>>();

  constructor(opts: { client: Client; component: string; host?: string; logger: Logger; clock?: Clock }) {
    this.client = opts.client;
    this.component = opts.component;
    this.host = opts.host ?? '';
    this.log = opts.logger;
    this.clock = opts.clock ?? realClock;
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const p = this.record(obj, type, reason, message)
      .catch((err: unknown) => this.log.warn({ err: errorMessage(err), reason }, 'could not record event'))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for events in flight (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = obj.metadata.namespace || 'default';
    const objName = obj.metadata.name ?? '';
    const key = [obj.metadata.uid, type, reason, message].join('\u0000');
    const now = this.clock.now();
    const iso = new Date().toISOString();
    for (const [k, s] of this.seen) if (now - s.at > aggregateWindowMs) this.seen.delete(k);
    const prior = this.seen.get(key);
    if (prior) {
      prior.count++;
      prior.at = now;
      try {
        await this.client.patch(coreResources.events, prior.namespace, prior.name, { type: 'merge', body: { count: prior.count, lastTimestamp: iso } });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.seen.delete(key);
      }
    }
    const name = `${objName}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`;
    await this.client.create(coreResources.events, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: objName,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      reportingComponent: this.component,
      reportingInstance: this.host,
      firstTimestamp: iso,
      lastTimestamp: iso,
      count: 1,
    });
    this.seen.set(key, { name, namespace, count: 1, at: now });
  }
}
