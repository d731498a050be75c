// An EventRecorder that keeps events in memory, for unit tests of controllers.
import type { EventRecorder, EventType, KubeObject } from '../../runtime/index.ts';

export class MemoryEventRecorder implements EventRecorder {
  readonly events: Array<{ key: string; type: EventType; reason: string; message: string }> = [];
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    this.events.push({ key: `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`, type, reason, message });
  }
}
