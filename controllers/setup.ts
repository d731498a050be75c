// Registers every Engula controller with a Manager.
import { COMPONENTS } from '../api/v1alpha1/index.ts';
import type { Manager } from '../runtime/index.ts';
import { clusterController } from './cluster-controller.ts';
import { componentController } from './component-controller.ts';

export interface ControllerOptions {
  /** The cluster's DNS domain, used in the addresses handed to pods (default cluster.local). */
  clusterDomain?: string;
}

export function setupControllers(manager: Manager, opts: ControllerOptions = {}): void {
  const clusterDomain = opts.clusterDomain ?? 'cluster.local';
  manager.addController(clusterController({ clusterDomain }));
  for (const component of COMPONENTS) manager.addController(componentController({ component, informers: manager.informers, clusterDomain }));
}
