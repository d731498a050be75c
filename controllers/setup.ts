// Registers every Engula controller with a Manager.
import { COMPONENTS } from '../api/v1alpha1/index.ts';
import { coreResources, KindAvailability, keyOf, type Controller, type Manager } from '../runtime/index.ts';
import { clusterController } from './cluster-controller.ts';
import { componentController } from './component-controller.ts';
import { FleetRoll } from './fleet-roll.ts';
import { MANAGED_BY_SELECTOR, ownedResources, serviceMonitors } from './resources.ts';
import { REFUSAL_EVENTS_SELECTOR } from './component-controller.ts';

interface ControllerOptions {
  /** The cluster's DNS domain, for the host names in the topology ConfigMap (default cluster.local). */
  clusterDomain?: string;
  /** --roll-operator-changes: roll the operator's own pod template changes, Clusters this far apart; off when undefined. */
  rollOperatorChangesMs?: number;
}

export function setupControllers(manager: Manager, opts: ControllerOptions = {}): void {
  const clusterDomain = opts.clusterDomain ?? 'cluster.local';
  // Before any controller opens an informer: the owned kinds are cached by label only.
  for (const ref of ownedResources) manager.informers.restrict(ref, { labelSelector: MANAGED_BY_SELECTOR });
  // Of Events, only those that say why a StatefulSet's pods are refused (podRefusal).
  manager.informers.restrict(coreResources.events, { fieldSelector: REFUSAL_EVENTS_SELECTOR });
  // The dashboard (config/grafana) shows informer re-lists and watchdog restarts.
  manager.metrics.trackInformers(manager.informers);
  // ServiceMonitors are made only where the Prometheus Operator's CRD is served; it may be installed
  // or removed while the operator runs.
  const monitors = new KindAvailability({ rest: manager.rest, ref: serviceMonitors, logger: manager.log, tuning: { watchdogMs: manager.flags.watchWatchdogMs } });
  manager.add(monitors);
  const controllers = [manager.addController(clusterController({ clusterDomain, serviceMonitors: monitors }))];
  // One pacing for the whole fleet, shared by the four component controllers.
  const fleetRoll = opts.rollOperatorChangesMs !== undefined ? new FleetRoll(opts.rollOperatorChangesMs) : undefined;
  for (const component of COMPONENTS) {
    controllers.push(manager.addController(componentController({ component, informers: manager.informers, serviceMonitors: monitors, ...(fleetRoll ? { fleetRoll } : {}) })));
  }
  monitors.onChange(() => {
    for (const c of controllers) requeueMonitored(c, manager);
  });
}

/** Everything of the controller's kind that asks for monitoring goes back in its queue. */
function requeueMonitored(controller: Controller, manager: Manager): void {
  for (const informer of manager.informers.informersFor(controller.spec.for)) {
    for (const obj of informer.store.list()) {
      const spec = obj.spec as { monitoring?: { enabled?: boolean } } | undefined;
      if (spec?.monitoring?.enabled === true) controller.queue.add(keyOf(obj));
    }
  }
}
